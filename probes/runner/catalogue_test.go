package runner

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accesswatch/accesswatch/internal/config"
	"github.com/accesswatch/accesswatch/internal/model"
	"github.com/accesswatch/accesswatch/internal/simvendor"
	"github.com/accesswatch/accesswatch/probes/providers"
)

// catalogueFixture starts a simulated vendor with o (its Country: the test vantages') over
// TLS and a runner for cfgYAML, VENDOR replaced by the vendor's URL.
func catalogueFixture(t *testing.T, o simvendor.Options, cfgYAML string) (*Runner, *simvendor.Server) {
	t.Helper()
	o.Country = countryOf
	vendor := simvendor.New(o)
	vsrv := httptest.NewTLSServer(vendor.Handler())
	t.Cleanup(vsrv.Close)
	pool := x509.NewCertPool()
	pool.AddCert(vsrv.Certificate())
	return runnerFor(t, strings.ReplaceAll(cfgYAML, "VENDOR", vsrv.URL), &tls.Config{RootCAs: pool}), vendor
}

func runnerFor(t *testing.T, text string, tc *tls.Config) *Runner {
	t.Helper()
	cfg, err := config.Parse([]byte(text), "test.yml", func(k string) (string, bool) {
		if k == "KEY" {
			return testKey, true
		}
		return "", false
	})
	if err != nil {
		t.Fatal(err)
	}
	r, err := New(Options{Config: cfg, TLSConfig: tc})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

const catalogueConfig = `
probing: { echo_url: "http://127.0.0.1:1/", timeout: 5s }
vantages:
  - { id: in-1, region: india, country: IN, source_ip: 127.0.1.1 }
  - { id: us-1, region: us, country: US, source_ip: 127.0.4.1 }
providers:
  - id: anthropic
    kind: anthropic
    base_url: VENDOR/anthropic
    api_key: ${KEY}
    models: [claude-fable-5, claude-mythos-5, claude-sonnet-4-5]
    checks: [ { kind: models, schedule: "@every 60s" } ]
  - id: openai
    kind: openai
    base_url: VENDOR/openai/v1
    api_key: ${KEY}
    models: [gpt-5.1, gpt-4o]
    checks: [ { kind: models, schedule: "@every 60s" } ]
`

var catalogueModels = []string{"claude-fable-5", "claude-mythos-5", "claude-sonnet-4-5", "gpt-5.1", "gpt-4o"}

func listRound(t *testing.T, r *Runner) map[string]model.Result {
	t.Helper()
	var ts []Target
	for _, tg := range r.Targets("", "") {
		if tg.Check.Kind == model.CheckModels {
			ts = append(ts, tg)
		}
	}
	rs := r.Round(context.Background(), ts)
	if len(rs) != 10 {
		t.Fatalf("%d results, want 10 (2 vantages × 5 models)", len(rs))
	}
	got := index(rs)
	for _, res := range rs {
		if res.Check != model.CheckModels {
			t.Errorf("%s/%s: check %q, want models", res.Vantage, res.Model, res.Check)
		}
		if strings.Contains(fmt.Sprintf("%+v", res), "SECRET") {
			t.Fatal("the API key reached a result")
		}
	}
	return got
}

func key(v, provider, m string) string { return v + "/" + provider + "/" + m + "/models" }

func providerOf(m string) string {
	if strings.HasPrefix(m, "gpt") {
		return "openai"
	}
	return "anthropic"
}

// The simulated vendor lists dated ids (Anthropic only dated ones, OpenAI both) and pages
// Anthropic's list two at a time: undated names are found on every page, without a get.
func TestCatalogueUndatedNamesOnEveryPage(t *testing.T) {
	r, _ := catalogueFixture(t, simvendor.Options{PageLimit: 2, Models: catalogueModels}, catalogueConfig)
	got := listRound(t, r)
	for _, v := range []string{"in-1", "us-1"} {
		for _, m := range catalogueModels {
			res := got[key(v, providerOf(m), m)]
			if res.Class != model.ClassOK || res.Access != model.AccessAvailable {
				t.Errorf("%s %s: %s/%s %q, want available", v, m, res.Class, res.Access, res.Signature)
			}
		}
	}
	// The vendor serves all five models under both shapes: Anthropic's list takes three
	// pages (claude-sonnet-4-5 is on page 2), two more per vantage.
	if c := r.CatalogueRequests(); c.Pages != 4 || c.Confirmations != 0 {
		t.Errorf("extra requests %+v, want 4 pages and no confirmation", c)
	}
}

// A list that is wrong, empty or cut never revokes; a model really withdrawn still is, on the
// vendor's own 404 to the confirming get.
func TestCatalogueBrokenListsNeverRevoke(t *testing.T) {
	r, vendor := catalogueFixture(t, simvendor.Options{Models: catalogueModels}, catalogueConfig)
	vendor.Withdraw("claude-fable-5", "IN")
	vendor.Withdraw("gpt-4o", "IN")

	check := func(name string, got map[string]model.Result, want func(v, m string) model.Access) {
		t.Helper()
		for _, v := range []string{"in-1", "us-1"} {
			for _, m := range catalogueModels {
				res := got[key(v, providerOf(m), m)]
				if w := want(v, m); res.Access != w {
					t.Errorf("%s: %s %s: %s/%s %q (rule %s), want %s", name, v, m, res.Class, res.Access, res.Signature, res.Rule, w)
				}
			}
		}
	}
	withdrawn := func(v, m string) model.Access {
		if v == "in-1" && (m == "claude-fable-5" || m == "gpt-4o") {
			return model.AccessRevoked
		}
		return model.AccessAvailable
	}

	// Served correctly: the two withdrawals in India are revoked, each confirmed by one get.
	got := listRound(t, r)
	check("served", got, withdrawn)
	rev := got[key("in-1", "anthropic", "claude-fable-5")]
	if rev.Class != model.ClassModelUnavailable || rev.HTTPStatus != 404 || !strings.HasSuffix(rev.URL, "/anthropic/v1/models/claude-fable-5") ||
		rev.RequestID == "" || !strings.Contains(rev.Excerpt, "is not available") || !strings.HasPrefix(rev.Rule, "confirm:") {
		t.Errorf("revocation lacks the get's evidence: %+v", rev)
	}
	if c := r.CatalogueRequests(); c.Confirmations != 2 {
		t.Errorf("confirmations %d, want 2 (one per absent model)", c.Confirmations)
	}

	// A list leaving a model out: the gets decide, the same as above.
	vendor.SetListFault(simvendor.ListIncomplete)
	check("incomplete", listRound(t, r), withdrawn)
	if c := r.CatalogueRequests(); c.Confirmations != 2+4 {
		t.Errorf("confirmations %d, want 6 (2 withdrawals, then the withdrawals again and each list's left-out model)", c.Confirmations)
	}

	// {} (an unshaped 2xx) and a cut list cannot be read: unknown for every model, never
	// revoked, and no get is spent on them.
	for _, f := range []simvendor.ListFault{simvendor.ListEmpty, simvendor.ListCut} {
		vendor.SetListFault(f)
		got = listRound(t, r)
		check(fmt.Sprintf("fault %d", f), got, func(string, string) model.Access { return model.AccessUnknown })
		if res := got[key("us-1", "anthropic", "claude-fable-5")]; res.Class != model.ClassUnexpectedResponse {
			t.Errorf("fault %d: %+v", f, res.Classification)
		}
	}
	if c := r.CatalogueRequests(); c.Confirmations != 6 {
		t.Errorf("confirmations %d after unreadable lists, want still 6", c.Confirmations)
	}
}

// fakeVendor serves an Anthropic-shaped API from h on loopback.
func fakeVendor(t *testing.T, h http.HandlerFunc) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

func oneVantage(kind, base, models, extra string) string {
	return fmt.Sprintf(`
probing: { echo_url: "http://127.0.0.1:1/", timeout: 5s %s }
vantages: [ { id: in-1, region: india, country: IN, source_ip: 127.0.1.1 } ]
providers:
  - id: p
    kind: %s
    base_url: %s
    api_key: ${KEY}
    models: [%s]
    checks: [ { kind: models, schedule: "@every 60s" } ]
`, extra, kind, base, models)
}

func probeModels(t *testing.T, r *Runner) map[string]model.Result {
	t.Helper()
	out := map[string]model.Result{}
	for _, tg := range r.Targets("p", "") {
		for _, res := range r.Probe(context.Background(), tg, time.Now()) {
			out[res.Model] = res
		}
	}
	return out
}

func TestCatalogueBounds(t *testing.T) {
	big := func(n int) string {
		var items []string
		for i := range n {
			items = append(items, fmt.Sprintf(`{"type":"model","id":"claude-filler-%04d-20250101","display_name":"Filler","created_at":"2025-01-01T00:00:00Z"}`, i))
		}
		items = append(items, `{"type":"model","id":"claude-sonnet-4-5-20250929","display_name":"Claude Sonnet 4.5","created_at":"2025-09-29T00:00:00Z"}`)
		return `{"data":[` + strings.Join(items, ",") + `],"has_more":false,"first_id":null,"last_id":null}`
	}
	list := big(200) // about 22 KiB
	var gets atomic.Int64
	base := fakeVendor(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("content-type", "application/json")
		if r.URL.Path != "/v1/models" {
			gets.Add(1)
			w.WriteHeader(404)
			fmt.Fprint(w, `{"type":"error","error":{"type":"not_found_error","message":"model: claude-x"}}`)
			return
		}
		fmt.Fprint(w, list)
	})

	// Beyond max_body_kib but within max_list_kib: read whole.
	r := runnerFor(t, oneVantage("anthropic", base, "claude-sonnet-4-5", ", max_body_kib: 4, max_list_kib: 64"), nil)
	if res := probeModels(t, r)["claude-sonnet-4-5"]; res.Access != model.AccessAvailable {
		t.Errorf("list within max_list_kib: %+v", res.Classification)
	}
	// Beyond max_list_kib: a clear unknown, no get, never absent.
	r = runnerFor(t, oneVantage("anthropic", base, "claude-sonnet-4-5, claude-x", ", max_list_kib: 8"), nil)
	for m, res := range probeModels(t, r) {
		if res.Class != model.ClassUnexpectedResponse || res.Access != model.AccessUnknown || res.Signature != "anthropic:models:list too large" {
			t.Errorf("%s, list beyond max_list_kib: %+v", m, res.Classification)
		}
	}
	if gets.Load() != 0 {
		t.Errorf("%d gets after a list too large, want none", gets.Load())
	}
}

func TestCataloguePagination(t *testing.T) {
	var pages, gets atomic.Int64
	loop := false
	base := fakeVendor(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("content-type", "application/json")
		if r.URL.Path != "/v1/models" {
			gets.Add(1)
			fmt.Fprint(w, `{"type":"model","id":"claude-late-20250101","display_name":"Late","created_at":"2025-01-01T00:00:00Z"}`)
			return
		}
		n := pages.Add(1)
		id := fmt.Sprintf("claude-p%03d-20250101", n)
		if loop {
			id = "claude-same-20250101"
		}
		if r.URL.Query().Get("limit") != "1000" {
			t.Errorf("page %d asked without limit=1000: %s", n, r.URL.RawQuery)
		}
		if n > 1 && r.URL.Query().Get("after_id") == "" {
			t.Errorf("page %d asked without after_id: %s", n, r.URL.RawQuery)
		}
		fmt.Fprintf(w, `{"data":[{"type":"model","id":%q}],"has_more":true,"first_id":%q,"last_id":%q}`, id, id, id)
	})
	r := runnerFor(t, oneVantage("anthropic", base, "claude-p002, claude-late", ""), nil)
	got := probeModels(t, r)
	if pages.Load() != MaxListPages {
		t.Errorf("%d pages read of an endless list, want %d", pages.Load(), MaxListPages)
	}
	// Found on page 2; not found in 20 pages: confirmed by one get, which finds it.
	if got["claude-p002"].Access != model.AccessAvailable || got["claude-late"].Access != model.AccessAvailable || gets.Load() != 1 {
		t.Errorf("results %+v / %+v, %d gets", got["claude-p002"].Classification, got["claude-late"].Classification, gets.Load())
	}
	// A cursor that repeats stops the read.
	pages.Store(0)
	loop = true
	probeModels(t, r)
	if pages.Load() != 2 {
		t.Errorf("repeating cursor: %d pages, want 2", pages.Load())
	}
}

// A later page that fails: models not seen so far take its answer, not "absent".
func TestCataloguePageFails(t *testing.T) {
	base := fakeVendor(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("content-type", "application/json")
		if r.URL.Query().Get("after_id") != "" {
			w.WriteHeader(529)
			fmt.Fprint(w, `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`)
			return
		}
		fmt.Fprint(w, `{"data":[{"type":"model","id":"claude-a-20250101"}],"has_more":true,"first_id":"claude-a-20250101","last_id":"claude-a-20250101"}`)
	})
	got := probeModels(t, runnerFor(t, oneVantage("anthropic", base, "claude-a, claude-b", ""), nil))
	if got["claude-a"].Access != model.AccessAvailable {
		t.Errorf("claude-a on page 1: %+v", got["claude-a"].Classification)
	}
	if b := got["claude-b"]; b.Class != model.ClassOverloaded || b.Access != model.AccessFault || !strings.HasPrefix(b.Rule, "page:") {
		t.Errorf("claude-b behind a failed page: %+v", b.Classification)
	}
}

// Gemini's {} and a get the vendor answers with its NOT_FOUND; Mistral's aliases and dates.
func TestCatalogueGeminiAndMistral(t *testing.T) {
	gem := fakeVendor(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("content-type", "application/json")
		switch r.URL.Path {
		case "/v1beta/models":
			fmt.Fprint(w, `{}`)
		case "/v1beta/models/gemini-2.5-flash":
			fmt.Fprint(w, `{"name":"models/gemini-2.5-flash","version":"001","displayName":"Gemini 2.5 Flash","supportedGenerationMethods":["generateContent","countTokens"]}`)
		default:
			w.WriteHeader(404)
			fmt.Fprint(w, `{"error":{"code":404,"message":"models/gemini-2.0-pro is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.","status":"NOT_FOUND"}}`)
		}
	})
	got := probeModels(t, runnerFor(t, oneVantage("gemini", gem, "gemini-2.5-flash, gemini-2.0-pro", ""), nil))
	if got["gemini-2.5-flash"].Access != model.AccessAvailable {
		t.Errorf("gemini {} then a good get: %+v", got["gemini-2.5-flash"].Classification)
	}
	if g := got["gemini-2.0-pro"]; g.Class != model.ClassModelUnavailable || g.Access != model.AccessRevoked {
		t.Errorf("gemini {} then the vendor's NOT_FOUND: %+v", g.Classification)
	}

	mis := fakeVendor(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("content-type", "application/json")
		fmt.Fprint(w, `{"object":"list","data":[{"id":"magistral-medium-2509","object":"model","created":1757000000,"owned_by":"mistralai","aliases":["magistral-medium-latest"],"deprecation":"2026-07-31T12:00:00Z","deprecation_replacement_model":"mistral-medium-latest","type":"base"},{"id":"mistral-small-2506","object":"model","aliases":["mistral-small-latest"],"deprecation":null,"deprecation_replacement_model":null,"type":"base"}]}`)
	})
	got = probeModels(t, runnerFor(t, oneVantage("mistral", mis, "magistral-medium-latest, mistral-small-latest", ""), nil))
	mm := got["magistral-medium-latest"]
	if mm.Access != model.AccessAvailable || mm.RetiresAt == nil || !mm.RetiresAt.Equal(time.Date(2026, 7, 31, 12, 0, 0, 0, time.UTC)) ||
		mm.Replacement != "mistral-medium-latest" {
		t.Errorf("deprecated model: %+v retires %v replacement %q", mm.Classification, mm.RetiresAt, mm.Replacement)
	}
	if ms := got["mistral-small-latest"]; ms.Access != model.AccessAvailable || ms.RetiresAt != nil {
		t.Errorf("current model: %+v retires %v", ms.Classification, ms.RetiresAt)
	}
}

// noGet is an adapter without a retrieve endpoint.
type noGet struct{ providers.Adapter }

func (noGet) Kind() string { return "noget" }
func (n noGet) Request(ctx context.Context, t providers.Target, check, modelID string) (*http.Request, error) {
	t.Kind = providers.KindAnthropic
	return n.Adapter.Request(ctx, t, check, modelID)
}
func (n noGet) Supports(check string) bool {
	return check != model.CheckModel && n.Adapter.Supports(check)
}

func TestCatalogueAbsentWithoutGetIsUnconfirmed(t *testing.T) {
	base := fakeVendor(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("content-type", "application/json")
		fmt.Fprint(w, `{"data":[],"has_more":false,"first_id":null,"last_id":null}`)
	})
	reg := providers.NewRegistry()
	anth, _ := reg.Lookup(providers.KindAnthropic)
	if err := reg.Register(noGet{anth}); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse([]byte(oneVantage("anthropic", base, "claude-x", "")), "t.yml", func(string) (string, bool) { return "k", true })
	if err != nil {
		t.Fatal(err)
	}
	r, err := New(Options{Config: cfg, Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	tg := r.Targets("p", "")[0]
	tg.Provider.Kind = "noget"
	rs := r.Probe(context.Background(), tg, time.Now())
	if len(rs) != 1 || rs[0].Access != model.AccessUnknown || rs[0].Signature != "noget:absent:unconfirmed" || r.CatalogueRequests().Confirmations != 0 {
		t.Fatalf("absent without a get: %+v", rs)
	}
}
