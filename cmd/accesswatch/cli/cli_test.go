package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/accesswatch/accesswatch/collector/store"
	"github.com/accesswatch/accesswatch/internal/model"
	"github.com/accesswatch/accesswatch/internal/simvendor"
)

func run(t *testing.T, stdin string, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), Env{
		Args: args, Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb,
		LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
	})
	return code, out.String(), errb.String()
}

func TestClassifyCommand(t *testing.T) {
	code, out, errOut := run(t, `{"error":{"type":"forbidden","message":"Request not allowed"}}`, nil,
		"classify", "--provider", "anthropic", "--status", "403", "--header", "cf-ray: 89cdc7d74e3e2512-SJC", "--body", "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("output is not one JSON object: %v\n%s", err, out)
	}
	if got["class"] != "geo_blocked" || got["access"] != "revoked" || got["layer"] != "api" || got["edge_colo"] != "SJC" || got["signature"] == "" {
		t.Fatalf("classification %v", got)
	}
	// From a file, OpenAI's model-gone answer.
	body := filepath.Join(t.TempDir(), "b.json")
	_ = os.WriteFile(body, []byte(`{"error":{"message":"The model `+"`gpt-4o`"+` does not exist or you do not have access to it.","type":"invalid_request_error","param":null,"code":"model_not_found"}}`), 0o644)
	code, out, _ = run(t, "", nil, "classify", "--provider", "openai", "--status", "404", "--body", body, "--model", "gpt-4o")
	got = nil
	if code != 0 || json.Unmarshal([]byte(out), &got) != nil || got["class"] != "model_unavailable" ||
		strings.Contains(got["signature"].(string), "gpt-4o") || !strings.Contains(got["excerpt"].(string), "gpt-4o") {
		t.Fatalf("exit %d, output %s; want the model normalised out of the signature and kept in the excerpt", code, out)
	}
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"classify", "--provider", "nope", "--status", "403"}, 2, `--provider: want one of anthropic, gemini, mistral, openai, openai_compatible, got "nope"`},
		{[]string{"classify", "--provider", "openai", "--status", "99"}, 2, "--status: want an HTTP status from 100 to 599, got 99"},
		{[]string{"classify", "--provider", "openai", "--status", "403", "--header", "nocolon"}, 2, `--header: want 'Name: value', got "nocolon"`},
		{[]string{"classify", "--provider", "openai", "--status", "403", "--body", "/does/not/exist"}, 1, "--body: open /does/not/exist"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"config"}, 2, "want 'accesswatch config check --config FILE [--json]'"},
		{[]string{"run", "--config", "/does/not/exist.yml"}, 1, "/does/not/exist.yml"},
		{[]string{"run", "--log-level", "loud"}, 2, `--log-level: want debug, info, warn or error, got "loud"`},
		{[]string{"probe", "extra"}, 2, `unexpected argument "extra"`},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, _, errOut := run(t, "", nil, tc.args...)
			if code != tc.code || !strings.Contains(errOut, tc.msg) {
				t.Fatalf("exit %d, stderr %q; want exit %d containing %q", code, errOut, tc.code, tc.msg)
			}
		})
	}
	if code, out, _ := run(t, "", nil, "help"); code != 0 || !strings.Contains(out, "classify") {
		t.Fatalf("help: %d %s", code, out)
	}
}

func TestConfigCheck(t *testing.T) {
	env := map[string]string{"ANTHROPIC_API_KEY": "sk-ant-api03-zzzSECRETzzz"}
	code, out, errOut := run(t, "", env, "config", "check", "--config", "../../../internal/config/testdata/example.yml")
	if code != 0 || !strings.Contains(out, "ok") || !strings.Contains(out, "in-mumbai-1") || strings.Contains(out+errOut, "SECRET") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = run(t, "", env, "config", "check", "--config", "../../../internal/config/testdata/example.yml", "--json")
	var plan map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &plan) != nil {
		t.Fatalf("--json: exit %d\n%s", code, out)
	}
	bad := filepath.Join(t.TempDir(), "bad.yml")
	_ = os.WriteFile(bad, []byte("server:\n  listen: 127.0.0.1:8080\n  lisen: x\n"), 0o644)
	code, _, errOut = run(t, "", nil, "config", "check", "--config", bad)
	if code != 1 || !strings.Contains(errOut, "bad.yml:3: server.lisen: unknown key") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	// Unset variable names the variable, not a value.
	code, _, errOut = run(t, "", nil, "config", "check", "--config", "../../../internal/config/testdata/example.yml")
	if code != 1 || !strings.Contains(errOut, "ANTHROPIC_API_KEY") {
		t.Fatalf("unset env: exit %d, stderr %q", code, errOut)
	}
}

// withdrawingVendor serves claude-fable-5 to everyone but India (127.0.1.1), where it is
// withdrawn; it returns the vendor's URL.
func withdrawingVendor(t *testing.T) string {
	t.Helper()
	vendor := simvendor.New(simvendor.Options{
		Country: func(a netip.Addr) string { return map[string]string{"127.0.1.1": "IN"}[a.String()] },
		Models:  []string{"claude-fable-5"},
	})
	vendor.Withdraw("claude-fable-5", "IN")
	srv := httptest.NewServer(vendor.Handler())
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestProbeCommand(t *testing.T) {
	vendorURL := withdrawingVendor(t)
	cfg := filepath.Join(t.TempDir(), "p.yml")
	_ = os.WriteFile(cfg, []byte(`
vantages:
  - { id: in-1, region: india, country: IN, source_ip: 127.0.1.1 }
  - { id: us-1, region: us, country: US }
providers:
  - { id: anthropic, kind: anthropic, base_url: "`+vendorURL+`/anthropic", api_key: "${KEY}", models: [claude-fable-5],
      checks: [ { kind: generate, schedule: "@every 60s" } ] }
`), 0o644)
	env := map[string]string{"KEY": "sk-ant-SECRET"}
	code, out, errOut := run(t, "", env, "probe", "--config", cfg, "--json")
	var rs []model.Result
	if code != 0 || json.Unmarshal([]byte(out), &rs) != nil || len(rs) != 2 {
		t.Fatalf("exit %d, %d results\n%s\n%s", code, len(rs), out, errOut)
	}
	if rs[0].Vantage != "in-1" || rs[0].Class != model.ClassModelUnavailable || rs[1].Class != model.ClassOK {
		t.Fatalf("results: %s/%s, %s/%s", rs[0].Vantage, rs[0].Class, rs[1].Vantage, rs[1].Class)
	}
	code, out, _ = run(t, "", env, "probe", "--config", cfg, "--vantage", "in-1")
	if code != 0 || !strings.Contains(out, "VANTAGE") || !strings.Contains(out, "model_unavailable") || strings.Contains(out, "us-1") || strings.Contains(out, "SECRET") {
		t.Fatalf("table: exit %d\n%s", code, out)
	}
	if code, _, errOut := run(t, "", env, "probe", "--config", cfg, "--provider", "nope"); code != 2 || !strings.Contains(errOut, "no checks match") {
		t.Fatalf("unknown provider: %d %s", code, errOut)
	}
}

func TestExportCommand(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.yml")
	_ = os.WriteFile(cfg, []byte("store: {path: "+dir+"/aw.db}\ncollector: {agents: [{id: a, tokens: [abcdefghijklmnopq]}]}\n"), 0o644)
	st, err := store.Open(context.Background(), store.Options{Path: dir + "/aw.db"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	var rs []model.Result
	for i, region := range []string{"india", "us", "india"} {
		at := now.Add(time.Duration(i-10) * time.Minute)
		rs = append(rs, model.Result{ID: model.NewID(at), SchemaVersion: 1, Time: at, Vantage: "v-" + region, Region: region,
			Provider: "anthropic", Model: "claude-fable-5", Check: model.CheckGenerate, RequestID: fmt.Sprintf("req_%d", i),
			Classification: model.Classification{Class: model.ClassGeoBlocked, Access: model.AccessRevoked, Layer: model.LayerAPI, Signature: "s"}})
	}
	if err := st.Write(context.Background(), rs); err != nil {
		t.Fatal(err)
	}
	st.Close()
	code, out, errOut := run(t, "", nil, "export", "--config", cfg, "--region", "india", "--from", "1h")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 3 || !strings.HasPrefix(lines[0], "time,") || !strings.Contains(lines[1], "req_0") || !strings.Contains(lines[2], "req_2") {
		t.Fatalf("exit %d, %d lines\n%s\n%s", code, len(lines), out, errOut)
	}
	code, out, _ = run(t, "", nil, "export", "--config", cfg, "--format", "jsonl", "--from", "1h")
	if code != 0 || strings.Count(out, "\n") != 3 {
		t.Fatalf("jsonl: exit %d\n%s", code, out)
	}
	if code, _, errOut := run(t, "", nil, "export", "--config", cfg, "--class", "nope"); code != 2 || !strings.Contains(errOut, `unknown class "nope"`) {
		t.Fatalf("bad class: exit %d %s", code, errOut)
	}
}

func TestDashboardsCommands(t *testing.T) {
	out := t.TempDir()
	if code, stdout, errOut := run(t, "", nil, "dashboards", "export", "--out", out); code != 0 || !strings.Contains(stdout, out) {
		t.Fatalf("export: exit %d %s %s", code, stdout, errOut)
	}
	if _, err := os.Stat(filepath.Join(out, "accesswatch-access-influx.json")); err != nil {
		t.Fatal(err)
	}
	var saved []string
	grafana := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer glsa_SECRET" {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"message":"invalid API key"}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/api/folders":
			fmt.Fprint(w, `[]`)
		case r.Method == http.MethodPost && r.URL.Path == "/api/folders":
			fmt.Fprint(w, `{"uid":"f1","title":"accesswatch"}`)
		case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/api/dashboards/uid/"):
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"message":"Dashboard not found"}`)
		case r.Method == http.MethodPost && r.URL.Path == "/api/dashboards/db":
			saved = append(saved, r.URL.Path)
			fmt.Fprint(w, `{"status":"success","uid":"x","version":1}`)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer grafana.Close()
	cfg := filepath.Join(t.TempDir(), "g.yml")
	_ = os.WriteFile(cfg, []byte("grafana: {url: \""+grafana.URL+"\", token: \"${GRAFANA_TOKEN}\"}\ncollector: {agents: [{id: a, tokens: [abcdefghijklmnopq]}]}\n"), 0o644)
	code, stdout, errOut := run(t, "", map[string]string{"GRAFANA_TOKEN": "glsa_SECRET"}, "dashboards", "publish", "--config", cfg)
	if code != 0 || len(saved) != 8 || !strings.Contains(stdout, "8 dashboards published") {
		t.Fatalf("publish: exit %d, %d saved\n%s%s", code, len(saved), stdout, errOut)
	}
	code, _, errOut = run(t, "", map[string]string{"GRAFANA_TOKEN": "glsa_WRONG"}, "dashboards", "publish", "--config", cfg)
	if code != 1 || !strings.Contains(errOut, "authentication failed") || strings.Contains(errOut, "WRONG") {
		t.Fatalf("bad token: exit %d %s", code, errOut)
	}
}
