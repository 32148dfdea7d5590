package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/accesswatch/accesswatch/internal/config"
	"github.com/accesswatch/accesswatch/internal/model"
)

// relayCanary is an openai_compatible key with no vendor shape: only the config knows it.
const relayCanary = "Zq8T0mVx4LpR2sKd9NwY7cHb1JfG6uAe3XiO5nBt"

// A relay that echoes the key everywhere it can: the results hold it nowhere, in any case, and
// the classification is what the same answer without the echo gets.
func TestExchangeScrubsEchoedSecrets(t *testing.T) {
	t.Parallel()
	upper := strings.ToUpper(relayCanary)
	vendor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		mixed := key[:10] + strings.ToLower(key[10:20]) + strings.ToUpper(key[20:])
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("request-id", key)
		w.Header().Set("x-request-id", "req-"+upper)
		w.Header().Set("X-Echo-"+key, "1")
		w.Header().Set("X-Other-Key", testKey) // another provider's key, echoed by a shared relay
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprintf(w, `{"error":{"message":"Incorrect API key provided: %s. KEY=%s; escaped \u005a%s","type":"invalid_request_error","code":"invalid_api_key"},"request_id":%q}`,
			mixed, upper, key[1:], key)
	}))
	t.Cleanup(vendor.Close)
	cfg, err := config.Parse([]byte(strings.NewReplacer("VENDOR", vendor.URL).Replace(`
probing: { echo_url: http://127.0.0.1:9/whoami, timeout: 5s }
vantages:
  - { id: v-1, region: us, country: US }
providers:
  - id: relay
    kind: openai_compatible
    base_url: VENDOR/v1
    api_key: ${RELAY}
    models: [m-1]
    checks:
      - { kind: generate, schedule: "@every 60s" }
  - id: anthropic
    kind: anthropic
    base_url: VENDOR/anthropic
    api_key: ${KEY}
    models: [claude-x]
    checks:
      - { kind: model, schedule: "@every 60s" }
`)), "t.yml", func(k string) (string, bool) {
		switch k {
		case "RELAY":
			return relayCanary, true
		case "KEY":
			return testKey, true
		}
		return "", false
	})
	if err != nil {
		t.Fatal(err)
	}
	r, err := New(Options{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	rs := r.Round(context.Background(), r.Targets("relay", ""))
	if len(rs) != 1 {
		t.Fatalf("%d results", len(rs))
	}
	res := rs[0]
	b, _ := json.Marshal(rs)
	low := strings.ToLower(string(b))
	for _, sec := range []string{relayCanary, testKey, relayCanary[1:]} {
		if strings.Contains(low, strings.ToLower(sec)) {
			t.Errorf("result holds a secret: %s", b)
		}
	}
	if res.Class != model.ClassAuthFailed || res.Access != model.AccessMisconfigured {
		t.Errorf("class %s/%s (%s), want auth_failed/misconfigured: scrubbing must not change the reading", res.Class, res.Access, res.Signature)
	}
	if res.RequestID != "[REDACTED]" || !strings.Contains(res.Excerpt, "invalid_api_key") || res.Signature == "" {
		t.Errorf("request id %q, excerpt %q, signature %q", res.RequestID, res.Excerpt, res.Signature)
	}
}

func TestScrubbedErrorKeepsItsKind(t *testing.T) {
	t.Parallel()
	inner := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: connection refused for " + relayCanary)}
	ue := &url.Error{Op: "Post", URL: "https://u:" + relayCanary + "@relay.example/v1?key=" + relayCanary, Err: inner}
	err := scrubErr(ue, []string{relayCanary})
	if strings.Contains(err.Error(), relayCanary) {
		t.Errorf("Error() = %q", err.Error())
	}
	var got *url.Error
	if !errors.As(err, &got) || strings.Contains(got.URL, relayCanary) || strings.Contains(got.Err.Error(), relayCanary) || got.Op != "Post" {
		t.Errorf("errors.As *url.Error = %+v", got)
	}
	var op *net.OpError
	if !errors.As(err, &op) || op.Op != "dial" {
		t.Errorf("errors.As *net.OpError lost: %v", op)
	}
	if !errors.Is(err, inner) {
		t.Error("errors.Is lost the original")
	}
}

// A vantage proxy's password never reaches a result, whatever fails.
func TestProxyPasswordNotInResults(t *testing.T) {
	t.Parallel()
	dead, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := dead.Addr().String()
	dead.Close()
	const pass = "pr0xyPassw0rdXYZ"
	cfg, err := config.Parse([]byte(`
probing: { echo_url: http://127.0.0.1:9/whoami, timeout: 2s }
vantages:
  - { id: v-1, region: us, country: US, proxy: "http://user:`+pass+`@`+addr+`" }
providers:
  - id: relay
    kind: openai_compatible
    base_url: http://127.0.0.1:9/v1
    api_key: k-123456789
    models: [m-1]
    checks:
      - { kind: generate, schedule: "@every 60s" }
`), "t.yml", nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := New(Options{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	rs := r.Round(context.Background(), r.Targets("", ""))
	b, _ := json.Marshal(rs)
	if len(rs) != 2 || strings.Contains(strings.ToLower(string(b)), strings.ToLower(pass)) {
		t.Errorf("results (%d) hold the proxy password or are missing: %s", len(rs), b)
	}
}
