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
