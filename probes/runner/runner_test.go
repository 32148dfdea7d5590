package runner

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
	"github.com/accesswatch/accesswatch/internal/simvendor"
)

const testKey = "sk-ant-api03-SECRETSECRETSECRET-do-not-leak"

// countries maps the test vantages' loopback source addresses to countries.
var countries = map[string]string{"127.0.1.1": "IN", "127.0.4.1": "US"}

func countryOf(a netip.Addr) string { return countries[a.String()] }

// fixture starts a simulated vendor over TLS and an echo (whoami) server, and parses cfgYAML
// with VENDOR and ECHO replaced by their URLs.
func fixture(t *testing.T, cfgYAML string) (*Runner, *simvendor.Server) {
	t.Helper()
	vendor := simvendor.New(simvendor.Options{Country: countryOf, Models: []string{"claude-fable-5", "claude-sonnet-4-5", "gpt-5.1"}})
	vsrv := httptest.NewTLSServer(vendor.Handler())
	t.Cleanup(vsrv.Close)
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		fmt.Fprintf(w, `{"ip":%q,"country":%q}`, host, countries[host])
	}))
	t.Cleanup(echo.Close)
	text := strings.NewReplacer("VENDOR", vsrv.URL, "ECHO", echo.URL+"/api/v1/whoami").Replace(cfgYAML)
	pool := x509.NewCertPool()
	pool.AddCert(vsrv.Certificate())
	return runnerFor(t, text, &tls.Config{RootCAs: pool}), vendor
}

const twoVantages = `
probing: { echo_url: ECHO, timeout: 5s }
vantages:
  - { id: in-1, region: india, country: IN, source_ip: 127.0.1.1 }
  - { id: us-1, region: us, country: US, source_ip: 127.0.4.1 }
providers:
  - id: anthropic
    kind: anthropic
    base_url: VENDOR/anthropic
    api_key: ${KEY}
    models: [claude-fable-5, claude-sonnet-4-5]
    checks:
      - { kind: models, schedule: "@every 60s" }
      - { kind: generate, schedule: "@every 60s" }
  - id: openai
    kind: openai
    base_url: VENDOR/openai/v1
    api_key: ${KEY}
    models: [gpt-5.1]
    checks:
      - { kind: model, schedule: "@every 60s" }
`

func index(rs []model.Result) map[string]model.Result {
	out := map[string]model.Result{}
	for _, r := range rs {
		out[r.Vantage+"/"+r.Provider+"/"+r.Model+"/"+r.Check] = r
	}
	return out
}

func TestRoundSeesRegionalWithdrawal(t *testing.T) {
	r, vendor := fixture(t, twoVantages)
	vendor.Withdraw("claude-fable-5", "IN")
	targets := r.Targets("", "")
	if len(targets) != 10 {
		t.Fatalf("%d targets, want 10 (per vantage: one models list, generate × 2 models, openai model, control)", len(targets))
	}
	rs := r.Round(context.Background(), targets)
	if len(rs) != 12 {
		t.Fatalf("%d results, want 12 (per vantage: 2 models × 2 anthropic checks + 1 openai + control)", len(rs))
	}
	got := index(rs)
	for _, v := range []string{"in-1", "us-1"} {
		c := got[v+"///control"]
		if c.Class != model.ClassOK || !strings.HasSuffix(c.URL, "/api/v1/whoami") || c.Provider != "" {
			t.Errorf("%s control: %+v", v, c)
		}
	}
	want := map[string]model.Class{
		"in-1/anthropic/claude-fable-5/generate":    model.ClassModelUnavailable,
		"in-1/anthropic/claude-fable-5/models":      model.ClassModelUnavailable,
		"in-1/anthropic/claude-sonnet-4-5/generate": model.ClassOK,
		"in-1/anthropic/claude-sonnet-4-5/models":   model.ClassOK,
		"us-1/anthropic/claude-fable-5/generate":    model.ClassOK,
		"us-1/anthropic/claude-fable-5/models":      model.ClassOK,
		"in-1/openai/gpt-5.1/model":                 model.ClassOK,
		"us-1/openai/gpt-5.1/model":                 model.ClassOK,
	}
	for k, c := range want {
		if got[k].Class != c {
			t.Errorf("%s: class %q (%s), want %q", k, got[k].Class, got[k].Signature, c)
		}
	}
	rev := got["in-1/anthropic/claude-fable-5/generate"]
	if rev.Access != model.AccessRevoked || rev.HTTPStatus != 404 || rev.RequestID == "" || rev.EdgeColo != "BOM" ||
		!strings.Contains(rev.Excerpt, "is not available") || rev.Region != "india" || rev.Country != "IN" {
		t.Errorf("revoked result lacks evidence: %+v", rev)
	}
	ok := got["us-1/anthropic/claude-fable-5/generate"]
	if ok.TLSVersion == "" || len(ok.CertSHA256) != 64 || ok.RemoteIP != "127.0.0.1" || ok.Timings.TotalMs <= 0 ||
		ok.Method != http.MethodPost || !strings.HasSuffix(ok.URL, "/anthropic/v1/messages") || ok.Excerpt != "" {
		t.Errorf("ok result lacks transport evidence: %+v", ok)
	}
	b, _ := json.Marshal(rs)
	if strings.Contains(string(b), "SECRET") {
		t.Fatal("the API key reached a result")
	}
}

func TestVerifyMarksMismatchedVantage(t *testing.T) {
	// The vantage claims India but leaves from the US address.
	r, _ := fixture(t, strings.Replace(twoVantages, "source_ip: 127.0.1.1", "source_ip: 127.0.4.1", 1))
	vds := r.Verify(context.Background())
	if len(vds) != 2 || !vds[0].Mismatch() || vds[0].Country != "US" || vds[1].Mismatch() || !vds[1].Match {
		t.Fatalf("verdicts %+v, want in-1 mismatched (US) and us-1 verified", vds)
	}
	for _, res := range r.Round(context.Background(), r.Targets("openai", "")) {
		if res.VantageMismatch != (res.Vantage == "in-1") || res.EgressIP == "" {
			t.Errorf("%s: vantage_mismatch %v egress %q", res.Vantage, res.VantageMismatch, res.EgressIP)
		}
	}
}

func TestFailuresAreResults(t *testing.T) {
	dead, _ := net.Listen("tcp", "127.0.0.1:0")
	deadAddr := dead.Addr().String()
	dead.Close()
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	defer hang.Close()
	cfg := fmt.Sprintf(`
vantages:
  - { id: direct, region: india, country: IN, source_ip: 127.0.1.1 }
  - { id: proxied, region: india, country: IN, proxy: "http://%s" }
providers:
  - id: hang
    kind: openai_compatible
    base_url: %s/v1
    api_key: ${KEY}
    models: [m]
    timeout: 300ms
    checks: [ { kind: model, schedule: "@every 60s" } ]
`, deadAddr, hang.URL)
	r, _ := fixture(t, cfg)
	got := index(r.Round(context.Background(), r.Targets("", "")))
	timeout := got["direct/hang/m/model"]
	if timeout.Class != model.ClassTimeout || timeout.Access != model.AccessFault || timeout.Failure != "generic_timeout_error" {
		t.Errorf("hanging vendor: %+v, want timeout / generic_timeout_error", timeout.Classification)
	}
	proxied := got["proxied/hang/m/model"]
	if proxied.Class != model.ClassConnectionRefused || proxied.Error == "" || strings.Contains(proxied.Error, "SECRET") {
		t.Errorf("dead proxy: %+v error %q, want connection_refused with a redacted error", proxied.Classification, proxied.Error)
	}
}

func TestTargetsFilterAndTimeouts(t *testing.T) {
	r, _ := fixture(t, twoVantages)
	if n := len(r.Targets("openai", "us-1")); n != 1 {
		t.Fatalf("openai from us-1: %d targets, want 1", n)
	}
	if n := len(r.Targets("nope", "")); n != 0 {
		t.Fatalf("unknown provider: %d targets", n)
	}
	for _, tg := range r.Targets("", "") {
		if tg.Timeout != 5*time.Second {
			t.Fatalf("%s timeout %v, want probing.timeout 5s", tg.Key(), tg.Timeout)
		}
	}
	// The control target runs as often as the vantage's most frequent check.
	r2, _ := fixture(t, strings.Replace(twoVantages, `{ kind: generate, schedule: "@every 60s" }`, `{ kind: generate, schedule: "*/10 * * * * *" }`, 1))
	ts := r2.Targets("", "in-1")
	if c := ts[len(ts)-1]; c.Check.Kind != model.CheckControl || c.Check.Schedule != "*/10 * * * * *" {
		t.Fatalf("control target %+v, want the 10s schedule", c.Check)
	}
}
