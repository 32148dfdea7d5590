package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/accesswatch/accesswatch/internal/testkit"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accesswatch/accesswatch/cmd/accesswatch/app"
	"github.com/accesswatch/accesswatch/internal/config"
	"github.com/accesswatch/accesswatch/internal/model"
)

// The canaries: an openai_compatible key with no vendor shape (40 random letters: only the
// config knows it is a key, and without digits the signature normaliser would not take it for
// an id either, so nothing but the scrub stands between it and the signature), and an
// Anthropic-shaped one. Built at run time so no file holds anything a secret scanner would flag.
var (
	relayCanary  = "ZqTmVxLpRsKdNwYcHbJfGuAeXiOnBtQwErTyUiOp"
	anthroCanary = "sk-ant-api03-" + strings.Repeat("CnRy7Q", 15) + "xAA"
	slackToken   = "xoxb-" + "canary-e2e-" + "4417288201"
)

// countFold counts the occurrences of sec in s, case-insensitively.
func countFold(s, sec string) int {
	return strings.Count(strings.ToLower(s), strings.ToLower(sec))
}

// mixCase re-cases s the way a careless relay might echo it.
func mixCase(s string) string {
	b := []byte(s)
	for i := range b {
		if i%3 == 0 {
			b[i] = bytes.ToUpper(b[i : i+1])[0]
		} else {
			b[i] = bytes.ToLower(b[i : i+1])[0]
		}
	}
	return string(b)
}

// echoVendor is a vendor (and relay) that echoes the caller's key into every place an answer
// can carry it: request-id, x-request-id, other headers, a body request_id and the error
// message, in mixed and upper case. India is refused in each vendor's own geo-block shape; the
// US gets a length-limited success. It records everything it wrote.
type echoVendor struct {
	srv *httptest.Server

	mu      sync.Mutex
	written strings.Builder
}

func newEchoVendor(t *testing.T) *echoVendor {
	v := &echoVendor{}
	v.srv = httptest.NewServer(http.HandlerFunc(v.serve))
	t.Cleanup(v.srv.Close)
	return v
}

func (v *echoVendor) serve(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
	key := r.Header.Get("x-api-key")
	if key == "" {
		key = strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	}
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	india := host == "127.0.1.1"
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("request-id", key)
	h.Set("x-request-id", "req_"+strings.ToUpper(key))
	h.Set("X-Debug-Key", mixCase(key))
	h.Set("WWW-Authenticate", `Bearer realm="relay", error="`+key+`"`)
	var status int
	var body string
	switch {
	case strings.HasSuffix(r.URL.Path, "/v1/messages") && india:
		h.Set("server", "cloudflare")
		h.Set("cf-ray", "8f1e2d3c4b5a6978-BOM")
		status = http.StatusForbidden
		body = fmt.Sprintf(`{"type":"error","error":{"type":"forbidden","message":"Request not allowed"},"request_id":%q}`, key)
	case strings.HasSuffix(r.URL.Path, "/v1/messages"):
		status = http.StatusOK
		body = fmt.Sprintf(`{"id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant","model":"claude-canary-5",`+
			`"content":[{"type":"text","text":"."}],"stop_reason":"max_tokens","stop_sequence":null,"usage":{"input_tokens":8,"output_tokens":1},"request_id":%q}`, key)
	case strings.HasSuffix(r.URL.Path, "/chat/completions") && india:
		status = http.StatusForbidden
		body = fmt.Sprintf(`{"error":{"code":"unsupported_country_region_territory","message":"Country, region, or territory not supported for key %s (KEY=%s)","param":null,"type":"request_forbidden"},"request_id":%q}`,
			mixCase(key), strings.ToUpper(key), key)
	case strings.HasSuffix(r.URL.Path, "/chat/completions"):
		status = http.StatusOK
		body = fmt.Sprintf(`{"id":"chatcmpl-AbCdEf0123456789GhIj","object":"chat.completion","created":1764300000,"model":"relay-model-1",`+
			`"choices":[{"index":0,"message":{"role":"assistant","content":"."},"finish_reason":"length"}],`+
			`"usage":{"prompt_tokens":8,"completion_tokens":1,"total_tokens":9},"request_id":%q,"system_fingerprint":%q}`, key, "fp_"+key)
	default:
		status = http.StatusNotFound
		body = fmt.Sprintf(`{"error":{"message":"Unknown path %s for key %s","type":"invalid_request_error"}}`, r.URL.Path, key)
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
	v.mu.Lock()
	defer v.mu.Unlock()
	for name, vs := range h {
		fmt.Fprintf(&v.written, "%s: %s\n", name, strings.Join(vs, ", "))
	}
	v.written.WriteString(body + "\n")
}

func (v *echoVendor) wrote() string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.written.String()
}

// rawRecorder keeps every request body it receives (webhook and Slack payloads as sent).
type rawRecorder struct {
	srv    *httptest.Server
	mu     sync.Mutex
	bodies []string
	answer string
}

func newRawRecorder(t *testing.T, answer string) *rawRecorder {
	rr := &rawRecorder{answer: answer}
	rr.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
			// Slack's own credential, sent to Slack as it must be, is not a leak.
			if form, err := url.ParseQuery(string(b)); err == nil {
				form.Del("token")
				b = []byte(form.Encode())
			}
		}
		rr.mu.Lock()
		// Headers too: a signature or an Authorization echo would show here.
		var hb strings.Builder
		for name, vs := range r.Header {
			if name == "Authorization" { // our own Slack bot token, sent as it must be
				continue
			}
			fmt.Fprintf(&hb, "%s: %s\n", name, strings.Join(vs, ", "))
		}
		rr.bodies = append(rr.bodies, r.Method+" "+r.URL.String()+"\n"+hb.String()+"\n"+string(b))
		n := len(rr.bodies)
		rr.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if rr.answer == "" {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		fmt.Fprintf(w, rr.answer, n)
	}))
	t.Cleanup(rr.srv.Close)
	return rr
}

func (rr *rawRecorder) all() []string {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	return append([]string(nil), rr.bodies...)
}

const canaryConfig = `server: { listen: "{{LISTEN}}" }
store: { path: "{{DIR}}/aw.db", flush_interval: 100ms }
geoip: { country_db: "{{COUNTRYDB}}", asn_db: "{{ASNDB}}" }
probing: { timeout: 2s, jitter: 0s, verify_every: 1m }
detection: { fail_after: 2, recover_after: 2 }
alerting:
  group_wait: 300ms
  webhooks: [ { url: "{{HOOK}}/hook", secret: "${HOOK_SECRET}" } ]
  slack: [ { name: newsroom, token: "{{SLACKTOKEN}}", channel: "#access", api_url: "{{SLACK}}/" } ]
vantages:
  - { id: in-mumbai-1, region: india, country: IN, source_ip: 127.0.1.1 }
  - { id: us-virginia-1, region: us, country: US, source_ip: 127.0.4.1 }
providers:
  - id: relay
    kind: openai_compatible
    base_url: "{{FAKE}}/relay/v1"
    api_key: "{{RELAYKEY}}"
    models: [relay-model-1]
    checks:
      - { kind: generate, schedule: "@every 1s" }
  - id: anthropic
    kind: anthropic
    base_url: "{{FAKE}}/anthropic"
    api_key: "{{ANTHROKEY}}"
    models: [claude-canary-5]
    checks:
      - { kind: generate, schedule: "@every 1s" }
`

// TestCanaryKeyNeverLeaks runs the whole service against a vendor that echoes our keys into
// headers, request ids, body fields and messages, lets detection open revocations that reach
// the webhook and Slack, and then looks for the keys everywhere the service keeps, serves or
// sends anything: none may be found, in any letter case.
func TestCanaryKeyNeverLeaks(t *testing.T) {
	w := newWorld(t)
	vendor := newEchoVendor(t)
	hook := newRawRecorder(t, "")
	slack := newRawRecorder(t, `{"ok":true,"channel":"C0ACCESS","ts":"1764300000.%06d"}`)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.NewReplacer("{{LISTEN}}", ln.Addr().String(), "{{DIR}}", w.dir, "{{COUNTRYDB}}", w.countryDB,
		"{{ASNDB}}", w.asnDB, "{{HOOK}}", hook.srv.URL, "{{SLACK}}", slack.srv.URL, "{{SLACKTOKEN}}", slackToken,
		"{{FAKE}}", vendor.srv.URL, "{{RELAYKEY}}", relayCanary, "{{ANTHROKEY}}", anthroCanary).Replace(canaryConfig)
	cfg, err := config.Parse([]byte(text), "canary.yml", func(k string) (string, bool) {
		if k == "HOOK_SECRET" {
			return hookSecret, true
		}
		return "", false
	})
	if err != nil {
		t.Fatal(err)
	}
	logs := &testkit.Buffer{}
	var logTo io.Writer = logs
	if os.Getenv("E2E_LOG") != "" {
		logTo = io.MultiWriter(logs, os.Stderr)
	}
	log := slog.New(slog.NewTextHandler(logTo, &slog.HandlerOptions{Level: slog.LevelDebug}))
	svc, err := app.New(context.Background(), app.Options{Config: cfg, Listener: ln, StopGrace: 3 * time.Second, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	run := &running{svc: svc, base: "http://" + svc.Addr(), cancel: cancel, done: make(chan error, 1)}
	go func() { run.done <- svc.Run(ctx) }()
	t.Cleanup(func() { run.stop(t) })

	// Detection opens the Indian revocations; the webhook and Slack are told.
	var events struct{ Events []model.Event }
	deadline := time.Now().Add(30 * time.Second)
	for {
		run.get(t, "/api/v1/events", &events)
		opened := map[string]bool{}
		for _, e := range events.Events {
			if e.Kind == model.EventRevoked {
				opened[e.Provider] = true
			}
		}
		if opened["relay"] && opened["anthropic"] && len(hook.all()) > 0 && len(slack.all()) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no revocation of both providers reached webhook and Slack within 30s: events %+v, %d webhook, %d slack posts",
				events.Events, len(hook.all()), len(slack.all()))
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // one more store flush of the rounds that opened it

	// The test can fail: the vendor really sent both keys, in every way it knows.
	sent := vendor.wrote()
	for name, key := range map[string]string{"relay": relayCanary, "anthropic": anthroCanary} {
		if n := countFold(sent, key); n < 10 {
			t.Fatalf("the vendor echoed the %s key only %d times", name, n)
		}
	}
	if !strings.Contains(sent, strings.ToUpper(relayCanary)) || !strings.Contains(sent, mixCase(relayCanary)) {
		t.Fatal("the vendor did not echo the key re-cased")
	}

	surfaces := map[string]string{}
	get := func(path string) string {
		resp, err := http.Get(run.base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d %s", path, resp.StatusCode, b)
		}
		var hb strings.Builder
		for name, vs := range resp.Header {
			fmt.Fprintf(&hb, "%s: %s\n", name, strings.Join(vs, ", "))
		}
		surfaces["GET "+path] = hb.String() + string(b)
		return string(b)
	}
	// Every page of results.
	var page struct {
		Results []model.Result
		Next    string
	}
	path := "/api/v1/results?limit=1000"
	for i := 0; i < 50; i++ {
		page.Next = ""
		if err := json.Unmarshal([]byte(get(path)), &page); err != nil {
			t.Fatal(err)
		}
		if page.Next == "" {
			break
		}
		path = "/api/v1/results?limit=1000&cursor=" + url.QueryEscape(page.Next)
	}
	for _, p := range []string{"/api/v1/status", "/api/v1/status?provider=relay", "/api/v1/events", "/api/v2/summary.json",
		"/api/v1/uptime?provider=relay&model=relay-model-1", "/api/v1/uptime?provider=anthropic&model=claude-canary-5", "/api/v1/results/export?format=csv", "/api/v1/results/export?format=jsonl", "/metrics", "/",
		"/fragment/matrix", "/fragment/incidents", "/healthz"} {
		get(p)
	}
	incidents := map[string]bool{}
	for _, e := range events.Events {
		if !incidents[e.IncidentID] {
			incidents[e.IncidentID] = true
			get("/incidents/" + url.PathEscape(e.IncidentID))
		}
		get("/incidents/" + url.PathEscape(e.ID))
	}
	for _, pm := range []string{"relay/relay-model-1", "anthropic/claude-canary-5"} {
		get("/embed/" + pm)
		get("/fragment/embed/" + pm)
		for _, region := range []string{"india", "us"} {
			get("/badge/" + pm + "/" + region + ".svg")
			get("/badge/" + pm + "/" + region + ".json")
		}
	}
	// The evidence is really there: a stored Indian result of each provider, its request id
	// redacted, and the export holds the rounds.
	var results struct{ Results []model.Result }
	for _, p := range []string{"relay", "anthropic"} {
		run.get(t, "/api/v1/results?region=india&limit=10&provider="+p, &results)
		if len(results.Results) == 0 || results.Results[0].RequestID == "" || results.Results[0].Excerpt == "" ||
			results.Results[0].Class != model.ClassGeoBlocked {
			t.Errorf("Indian %s results lack the evidence the test relies on: %+v", p, results.Results)
		}
	}
	for i, b := range hook.all() {
		surfaces[fmt.Sprintf("webhook #%d", i)] = b
	}
	for i, b := range slack.all() {
		surfaces[fmt.Sprintf("slack #%d", i)] = b
	}

	// Stop the service, so the store is flushed and closed, and read its files: the database,
	// and its WAL and shared-memory index if they remain; also read while it was running.
	dbFiles := func(when string) {
		for _, suffix := range []string{"", "-wal", "-shm"} {
			b, err := os.ReadFile(filepath.Join(w.dir, "aw.db"+suffix))
			if err == nil {
				surfaces[when+" aw.db"+suffix] = string(b)
			} else if suffix == "" {
				t.Errorf("reading the database: %v", err)
			}
		}
	}
	dbFiles("running:")
	run.stop(t)
	dbFiles("stopped:")
	surfaces["logs"] = logs.String()
	if !strings.Contains(surfaces["logs"], "level=") || len(surfaces["running: aw.db"]) == 0 {
		t.Fatal("no logs or no database captured: the search below would prove nothing")
	}

	secrets := map[string]string{
		"relay key": relayCanary, "anthropic key": anthroCanary, "slack token": slackToken, "webhook secret": hookSecret,
		"relay key tail": relayCanary[8:32], "anthropic key body": anthroCanary[13:60],
	}
	for where, text := range surfaces {
		for name, sec := range secrets {
			if n := countFold(text, sec); n > 0 {
				i := strings.Index(strings.ToLower(text), strings.ToLower(sec))
				t.Errorf("%s holds the %s %d times, e.g. …%s…", where, name, n, text[max(0, i-80):min(len(text), i+len(sec)+40)])
			}
		}
	}
	t.Logf("searched %d surfaces (%d webhook, %d slack payloads, %d incident pages) for %d secrets",
		len(surfaces), len(hook.all()), len(slack.all()), len(incidents), len(secrets))
}
