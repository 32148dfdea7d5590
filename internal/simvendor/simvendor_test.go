package simvendor

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// client returns an HTTP client whose connections come from the given loopback source address.
func client(t *testing.T, src string) *http.Client {
	t.Helper()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true}}
}

func newVendor(t *testing.T) (*Server, string) {
	countries := map[string]string{"127.0.1.1": "IN", "127.0.4.1": "US"}
	v := New(Options{
		Country: func(a netip.Addr) string { return countries[a.String()] },
		Models:  []string{"claude-fable-5", "claude-sonnet-4-5"},
	})
	srv := httptest.NewServer(v.Handler())
	t.Cleanup(srv.Close)
	return v, srv.URL
}

func call(t *testing.T, c *http.Client, method, url, body string, hdr map[string]string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

var (
	anth = map[string]string{"x-api-key": "k", "anthropic-version": "2023-06-01"}
	oai  = map[string]string{"Authorization": "Bearer k"}
)

func TestWithdrawByCountry(t *testing.T) {
	v, url := newVendor(t)
	in, us := client(t, "127.0.1.1"), client(t, "127.0.4.1")
	msg := `{"model":"claude-fable-5","max_tokens":1,"messages":[{"role":"user","content":"."}]}`

	if st, h, _ := call(t, in, "POST", url+"/anthropic/v1/messages", msg, anth); st != 200 || !strings.HasSuffix(h.Get("cf-ray"), "-BOM") || h.Get("request-id") == "" {
		t.Fatalf("before withdrawal: %d cf-ray %q request-id %q", st, h.Get("cf-ray"), h.Get("request-id"))
	}
	v.Withdraw("claude-fable-5", "IN")
	st, _, body := call(t, in, "POST", url+"/anthropic/v1/messages", msg, anth)
	if st != 404 || !strings.Contains(body, `"type":"not_found_error","message":"Claude Fable 5 is not available.`) {
		t.Fatalf("withdrawn in IN: %d %s", st, body)
	}
	if st, _, _ := call(t, us, "POST", url+"/anthropic/v1/messages", msg, anth); st != 200 {
		t.Fatalf("US after IN withdrawal: %d, want 200", st)
	}
	if _, _, list := call(t, in, "GET", url+"/anthropic/v1/models", "", anth); strings.Contains(list, "claude-fable-5") || !strings.Contains(list, "claude-sonnet-4-5") {
		t.Fatalf("IN models list: %s", list)
	}
	if st, _, body := call(t, in, "GET", url+"/openai/v1/models/claude-fable-5", "", oai); st != 404 || !strings.Contains(body, `"code":"model_not_found"`) {
		t.Fatalf("openai shape withdrawn: %d %s", st, body)
	}
	v.Withdraw("claude-fable-5", Everyone)
	if st, _, _ := call(t, us, "GET", url+"/anthropic/v1/models/claude-fable-5", "", anth); st != 404 {
		t.Fatalf("US after global withdrawal: %d, want 404", st)
	}
	v.Restore("claude-fable-5", Everyone)
	for _, c := range []*http.Client{in, us} {
		if st, _, _ := call(t, c, "POST", url+"/anthropic/v1/messages/count_tokens", msg, anth); st != 200 {
			t.Fatalf("after restore: %d, want 200", st)
		}
	}
}

func TestGeoBlockOverloadAndAuth(t *testing.T) {
	v, url := newVendor(t)
	in := client(t, "127.0.1.1")
	v.Block("IN")
	st, h, body := call(t, in, "GET", url+"/anthropic/v1/models", "", anth)
	if st != 403 || body != `{"error":{"type":"forbidden","message":"Request not allowed"}}` || h.Get("request-id") != "" {
		t.Fatalf("geo-block: %d %q request-id %q", st, body, h.Get("request-id"))
	}
	if st, _, body := call(t, in, "GET", url+"/openai/v1/models", "", oai); st != 403 || !strings.Contains(body, "unsupported_country_region_territory") {
		t.Fatalf("openai geo-block: %d %s", st, body)
	}
	v.Unblock("IN")
	v.SetOverloaded(true)
	if st, _, body := call(t, in, "GET", url+"/anthropic/v1/models/claude-sonnet-4-5", "", anth); st != 529 || !strings.Contains(body, "overloaded_error") {
		t.Fatalf("overloaded: %d %s", st, body)
	}
	v.SetOverloaded(false)
	if st, _, body := call(t, in, "GET", url+"/anthropic/v1/models", "", nil); st != 401 || !strings.Contains(body, "authentication_error") {
		t.Fatalf("no key: %d %s", st, body)
	}
	if st, _, body := call(t, in, "GET", url+"/anthropic/v1/models/claude-nope", "", anth); st != 404 || !strings.Contains(body, `"message":"model: claude-nope"`) {
		t.Fatalf("unknown model: %d %s", st, body)
	}
}

func TestAnthropicListIsDatedAndPaginates(t *testing.T) {
	countries := map[string]string{"127.0.1.1": "IN"}
	v := New(Options{
		Country:   func(a netip.Addr) string { return countries[a.String()] },
		Models:    []string{"claude-a", "claude-b", "claude-c-20250101"},
		PageLimit: 2,
	})
	srv := httptest.NewServer(v.Handler())
	t.Cleanup(srv.Close)
	in := client(t, "127.0.1.1")

	_, _, p1 := call(t, in, "GET", srv.URL+"/anthropic/v1/models?limit=1000", "", anth)
	want1 := `{"data":[{"type":"model","id":"claude-a-20260501","display_name":"Claude A","created_at":"2026-05-01T00:00:00Z"},` +
		`{"type":"model","id":"claude-b-20260501","display_name":"Claude B","created_at":"2026-05-01T00:00:00Z"}],` +
		`"has_more":true,"first_id":"claude-a-20260501","last_id":"claude-b-20260501"}`
	if p1 != want1 {
		t.Fatalf("page 1:\n got %s\nwant %s", p1, want1)
	}
	_, _, p2 := call(t, in, "GET", srv.URL+"/anthropic/v1/models?limit=1000&after_id=claude-b-20260501", "", anth)
	if !strings.Contains(p2, `"id":"claude-c-20250101"`) || !strings.Contains(p2, `"has_more":false`) {
		t.Fatalf("page 2: %s", p2)
	}
	if _, _, p := call(t, in, "GET", srv.URL+"/anthropic/v1/models?limit=1", "", anth); !strings.Contains(p, `"last_id":"claude-a-20260501"`) || !strings.Contains(p, `"has_more":true`) {
		t.Fatalf("limit=1: %s", p)
	}
	if _, _, p := call(t, in, "GET", srv.URL+"/anthropic/v1/models?after_id=claude-c-20250101", "", anth); p != `{"data":[],"has_more":false,"first_id":null,"last_id":null}` {
		t.Fatalf("past the end: %s", p)
	}
	// A get by alias answers with the dated id it resolves to; the dated id works everywhere.
	if st, _, b := call(t, in, "GET", srv.URL+"/anthropic/v1/models/claude-a", "", anth); st != 200 || !strings.Contains(b, `"id":"claude-a-20260501"`) {
		t.Fatalf("get alias: %d %s", st, b)
	}
	v.Withdraw("claude-a", "IN")
	if st, _, _ := call(t, in, "GET", srv.URL+"/anthropic/v1/models/claude-a-20260501", "", anth); st != 404 {
		t.Fatalf("withdrawn, by dated id: %d", st)
	}
	msg := `{"model":"claude-b-20260501","max_tokens":1,"messages":[{"role":"user","content":"."}]}`
	if st, _, _ := call(t, in, "POST", srv.URL+"/anthropic/v1/messages", msg, anth); st != 200 {
		t.Fatalf("messages by dated id: %d", st)
	}
}

func TestOpenAIListAndFaults(t *testing.T) {
	v, url := newVendor(t)
	in := client(t, "127.0.1.1")
	_, _, list := call(t, in, "GET", url+"/openai/v1/models", "", oai)
	for _, id := range []string{`"id":"claude-fable-5"`, `"id":"claude-fable-5-2026-05-01"`, `"id":"claude-sonnet-4-5-2026-05-01"`} {
		if !strings.Contains(list, id) {
			t.Errorf("openai list lacks %s: %s", id, list)
		}
	}
	if strings.Contains(list, "has_more") {
		t.Errorf("OpenAI's model list is not paginated: %s", list)
	}
	v.SetListFault(ListEmpty)
	if st, _, b := call(t, in, "GET", url+"/anthropic/v1/models", "", anth); st != 200 || b != `{}` {
		t.Errorf("empty: %d %s", st, b)
	}
	v.SetListFault(ListCut)
	if _, _, b := call(t, in, "GET", url+"/openai/v1/models", "", oai); !strings.HasPrefix(list, b) || len(b) >= len(list) {
		t.Errorf("cut: %s", b)
	}
	v.SetListFault(ListIncomplete)
	if _, _, b := call(t, in, "GET", url+"/anthropic/v1/models", "", anth); strings.Contains(b, "claude-sonnet-4-5") || !strings.Contains(b, `"has_more":false`) {
		t.Errorf("incomplete: %s", b)
	}
	if st, _, _ := call(t, in, "GET", url+"/anthropic/v1/models/claude-sonnet-4-5", "", anth); st != 200 {
		t.Errorf("a model the incomplete list leaves out still answers: %d", st)
	}
	v.SetListFault(ListServed)
	if _, _, b := call(t, in, "GET", url+"/anthropic/v1/models", "", anth); !strings.Contains(b, "claude-sonnet-4-5-20260501") {
		t.Errorf("served again: %s", b)
	}
}

// A stalled country's calls are held until the stall ends, then answered; other countries
// are answered at once; a caller that gives up is let go.
func TestStall(t *testing.T) {
	v, url := newVendor(t)
	in, us := client(t, "127.0.1.1"), client(t, "127.0.4.1")
	v.Stall("IN")
	if st, _, _ := call(t, us, "GET", url+"/anthropic/v1/models", "", anth); st != 200 {
		t.Fatalf("US during India's stall: %d, want 200", st)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", url+"/anthropic/v1/models", nil)
	if resp, err := in.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("India answered %d during its stall", resp.StatusCode)
	}
	held := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest("GET", url+"/anthropic/v1/models", nil)
		for k, val := range anth {
			req.Header.Set(k, val)
		}
		resp, err := in.Do(req)
		if err != nil {
			held <- 0
			return
		}
		resp.Body.Close()
		held <- resp.StatusCode
	}()
	select {
	case st := <-held:
		t.Fatalf("held call answered %d before the stall ended", st)
	case <-time.After(200 * time.Millisecond):
	}
	v.Unstall("IN")
	select {
	case st := <-held:
		if st != 200 {
			t.Fatalf("held call answered %d after the stall, want 200", st)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("held call not answered within 5s of the stall's end")
	}
}
