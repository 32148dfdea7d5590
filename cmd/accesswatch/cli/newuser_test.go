package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/accesswatch/accesswatch/collector/store"
)

// "help CMD" and "CMD -h" print that command's help on stdout and exit 0, for every command and
// command group.
func TestHelpForEveryCommand(t *testing.T) {
	for _, c := range commands() {
		for _, args := range [][]string{{"help", c.name}, {c.name, "-h"}, {c.name, "--help"}} {
			code, out, errOut := run(t, "", nil, args...)
			if code != 0 || !strings.Contains(out, "Usage: accesswatch "+c.name) || strings.Contains(out, "Commands:") {
				t.Errorf("%q: exit %d, stdout %q, stderr %q; want %s's own help on stdout", args, code, out, errOut, c.name)
			}
		}
	}
	for _, args := range [][]string{{"help", "config", "check"}, {"config", "check", "-h"}} {
		if code, out, _ := run(t, "", nil, args...); code != 0 || !strings.Contains(out, "--allow-unset") {
			t.Errorf("%q: exit %d, stdout %q", args, code, out)
		}
	}
	if code, out, _ := run(t, "", nil, "help", "dashboards"); code != 0 || !strings.Contains(out, "publish") || !strings.Contains(out, "export") {
		t.Errorf("help dashboards: exit %d, stdout %q", code, out)
	}
	code, out, errOut := run(t, "", nil, "help", "frobnicate")
	if code != 2 || out != "" || !strings.Contains(errOut, `accesswatch help: unknown command "frobnicate"`) {
		t.Errorf("help of an unknown command: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	// A bad flag still prints the usage on stderr, with exit 2.
	if code, out, errOut := run(t, "", nil, "probe", "--nope"); code != 2 || out != "" || !strings.Contains(errOut, "Usage: accesswatch probe") {
		t.Errorf("bad flag: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

const keyedConfig = `vantages: [{id: v1, region: eu, country: DE}]
providers:
  - id: anthropic
    kind: anthropic
    base_url: "${ANTHROPIC_URL}"
    api_key: "${ANTHROPIC_API_KEY}"
    models: [claude-fable-5]
    checks: [{kind: generate, schedule: "@hourly"}]
`

func TestConfigCheckAllowUnset(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "c.yml")
	if err := os.WriteFile(cfg, []byte(keyedConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := run(t, "", nil, "config", "check", "--config", cfg); code != 1 || !strings.Contains(errOut, "ANTHROPIC_API_KEY") {
		t.Fatalf("without --allow-unset: exit %d, stderr %q", code, errOut)
	}
	code, out, errOut := run(t, "", nil, "config", "check", "--config", cfg, "--allow-unset")
	if code != 0 || !strings.Contains(out, ": ok") {
		t.Fatalf("--allow-unset: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	for _, want := range []string{
		cfg + `:5: providers[0].base_url: environment variable "ANTHROPIC_URL" is not set`,
		cfg + `:6: providers[0].api_key: environment variable "ANTHROPIC_API_KEY" is not set`,
	} {
		if !strings.Contains(errOut, "warning: "+want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	// Everything else is still checked.
	bad := filepath.Join(t.TempDir(), "bad.yml")
	_ = os.WriteFile(bad, []byte(keyedConfig+"server: {lisen: x}\n"), 0o600)
	if code, _, errOut := run(t, "", nil, "config", "check", "--config", bad, "--allow-unset"); code != 1 || !strings.Contains(errOut, "bad.yml:9: server.lisen: unknown key") {
		t.Fatalf("other errors: exit %d, stderr %q", code, errOut)
	}
}

// export reads the store with the probing host's config, without its API keys.
func TestExportWithoutKeys(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "aw.db")
	st, err := store.Open(context.Background(), store.Options{Path: db})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	cfg := filepath.Join(dir, "c.yml")
	_ = os.WriteFile(cfg, []byte(keyedConfig+"store: {path: \"${AW_DIR}/aw.db\"}\n"), 0o600)
	code, out, errOut := run(t, "", map[string]string{"AW_DIR": dir}, "export", "--config", cfg, "--from", "1h")
	if code != 0 || !strings.HasPrefix(out, "time,") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	// An unset variable in store: still stops it, naming it.
	code, _, errOut = run(t, "", nil, "export", "--config", cfg)
	if code != 1 || !strings.Contains(errOut, `c.yml:9: store.path: environment variable "AW_DIR" is not set`) {
		t.Fatalf("unset store variable: exit %d, stderr %q", code, errOut)
	}
}

func TestProbeFailOn(t *testing.T) {
	vendorURL := withdrawingVendor(t)
	cfg := filepath.Join(t.TempDir(), "p.yml")
	_ = os.WriteFile(cfg, []byte(`
vantages:
  - { id: in-1, region: india, country: IN, source_ip: 127.0.1.1 }
  - { id: us-1, region: us, country: US }
providers:
  - { id: anthropic, kind: anthropic, base_url: "`+vendorURL+`/anthropic", api_key: "${KEY}", models: [claude-fable-5],
      checks: [ { kind: generate, schedule: "@every 60s" } ] }
  - { id: down, kind: anthropic, base_url: "http://127.0.0.1:1/anthropic", api_key: "${KEY}", models: [claude-fable-5],
      checks: [ { kind: generate, schedule: "@every 60s" } ] }
`), 0o644)
	env := map[string]string{"KEY": "sk-ant-x"}
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"--provider", "down"}, 0, ""}, // default: never
		{[]string{"--provider", "down", "--fail-on", "error"}, 1, "2 of 2 probes not ok (--fail-on error)"}, // connection refused
		{[]string{"--provider", "anthropic", "--fail-on", "error"}, 0, ""},                                  // revoked in India is an answer
		{[]string{"--provider", "anthropic", "--fail-on", "any"}, 1, "1 of 2 probes not ok (--fail-on any)"},
		{[]string{"--provider", "anthropic", "--vantage", "us-1", "--fail-on", "any"}, 0, ""},
		{[]string{"--fail-on", "sometimes"}, 2, `--fail-on: want never, error or any, got "sometimes"`},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, out, errOut := run(t, "", env, append([]string{"probe", "--config", cfg}, tc.args...)...)
			if code != tc.code || (tc.msg != "" && !strings.Contains(errOut, tc.msg)) {
				t.Fatalf("exit %d, stderr %q; want exit %d with %q", code, errOut, tc.code, tc.msg)
			}
			if tc.code != 2 && !strings.Contains(out, "VANTAGE") {
				t.Fatalf("the results are printed whatever the exit: %q", out)
			}
		})
	}
}
