package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accesswatch/accesswatch/alerting/notify"
	"github.com/accesswatch/accesswatch/internal/config"
	"github.com/accesswatch/accesswatch/internal/model"
)

const (
	token    = "xoxb-1111-2222-SECRETTOKEN"
	hookPath = "/services/T000/B000/SECRETHOOKPART"
)

// answer is one scripted HTTP answer of the fake Slack.
type answer struct {
	status     int
	body       string
	retryAfter string
}

// fakeSlack speaks chat.postMessage (form-encoded, as slack-go sends it) and an incoming
// webhook, answering from a script (then with success) and recording what it received.
type fakeSlack struct {
	t   *testing.T
	srv *httptest.Server

	mu      sync.Mutex
	script  []answer
	posts   []url.Values // chat.postMessage forms
	hooks   []map[string]any
	nextTS  int
	badAuth int
}

func newFakeSlack(t *testing.T, script ...answer) *fakeSlack {
	f := &fakeSlack{t: t, script: script}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/chat.postMessage", f.postMessage)
	mux.HandleFunc("POST "+hookPath, f.webhook)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeSlack) next() (answer, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.script) == 0 {
		return answer{}, false
	}
	a := f.script[0]
	f.script = f.script[1:]
	return a, true
}

func (a answer) write(w http.ResponseWriter) {
	if a.retryAfter != "" {
		w.Header().Set("Retry-After", a.retryAfter)
	}
	w.WriteHeader(a.status)
	_, _ = io.WriteString(w, a.body)
}

func (f *fakeSlack) postMessage(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.posts = append(f.posts, r.PostForm)
	if r.PostForm.Get("token") != token {
		f.badAuth++
	}
	f.mu.Unlock()
	if a, ok := f.next(); ok {
		a.write(w)
		return
	}
	f.mu.Lock()
	f.nextTS++
	ts := fmt.Sprintf("1700000000.%06d", f.nextTS*100)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_, _ = fmt.Fprintf(w, `{"ok":true,"channel":"C1","ts":%q,"message":{"text":"x"}}`, ts)
}

func (f *fakeSlack) webhook(w http.ResponseWriter, r *http.Request) {
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || r.Header.Get("Content-Type") != "application/json" {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, "invalid_payload")
		return
	}
	f.mu.Lock()
	f.hooks = append(f.hooks, body)
	f.mu.Unlock()
	if a, ok := f.next(); ok {
		a.write(w)
		return
	}
	_, _ = io.WriteString(w, "ok")
}

func (f *fakeSlack) gotPosts() []url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]url.Values(nil), f.posts...)
}

func botNotifier(t *testing.T, f *fakeSlack) *Notifier {
	t.Helper()
	n, err := New(Options{Token: token, Channel: "C1", APIURL: f.srv.URL + "/api", Client: f.srv.Client(),
		Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func hookNotifier(t *testing.T, f *fakeSlack) *Notifier {
	t.Helper()
	n, err := New(Options{Name: "hook", WebhookURL: config.Secret(f.srv.URL + hookPath), Client: f.srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// noSecret fails when err's text holds the token or the webhook's secret part.
func noSecret(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	for _, s := range []string{token, "SECRETTOKEN", "SECRETHOOKPART"} {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error leaks a secret: %q", err)
		}
	}
}

func regional() notify.Group {
	three := []string{"india", "australia", "europe"}
	return group(model.PhaseOpened, 1, revocation("ev-fable", "claude-fable-5", three...),
		revocation("ev-mythos", "claude-mythos-5", three...))
}

func restoredGroup() notify.Group {
	e := revocation("ev-fable", "claude-fable-5", "india", "australia", "europe")
	e.Kind, e.EndedAt = model.EventRestored, at(2*time.Hour+14*time.Minute)
	return group(model.PhaseClosed, 2, e)
}

// TestRestorationThreadsUnderRevocation runs the dispatcher with the Slack notifier against the
// fake Web API, across a restart, and checks the restoration's thread_ts.
func TestRestorationThreadsUnderRevocation(t *testing.T) {
	f := newFakeSlack(t)
	log := notify.NewMemLog()
	deliver := func(g notify.Group) {
		d := notify.New(notify.Options{Notifiers: []notify.Notifier{botNotifier(t, f)}, Log: log,
			GroupWait: time.Hour, Now: func() time.Time { return t0 }})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- d.Run(ctx) }()
		d.Submit(g.Updates...)
		cancel() // Run flushes the pending group and delivers it before returning
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if st := d.Stats().Receivers["slack"]; st.Notifications != 1 {
			t.Fatalf("stats %+v", st)
		}
	}
	deliver(regional())
	deliver(restoredGroup())

	posts := f.gotPosts()
	if len(posts) != 2 {
		t.Fatalf("posts = %d, want 2", len(posts))
	}
	if f.badAuth != 0 {
		t.Errorf("%d posts without the token", f.badAuth)
	}
	first, second := posts[0], posts[1]
	if first.Get("thread_ts") != "" || first.Get("channel") != "C1" {
		t.Errorf("revocation: thread_ts %q channel %q", first.Get("thread_ts"), first.Get("channel"))
	}
	if got := second.Get("thread_ts"); got != "1700000000.000100" {
		t.Errorf("restoration thread_ts = %q, want the revocation's ts 1700000000.000100", got)
	}
	if !strings.Contains(second.Get("text"), "Restored after 2h 14m") {
		t.Errorf("restoration text = %q", second.Get("text"))
	}
	var blocks []map[string]any
	if err := json.Unmarshal([]byte(first.Get("blocks")), &blocks); err != nil || len(blocks) < 3 {
		t.Fatalf("blocks %q: %v", first.Get("blocks"), err)
	}
	if blocks[0]["type"] != "header" || first.Get("unfurl_links") != "false" {
		t.Errorf("blocks[0] = %v, unfurl_links = %q", blocks[0], first.Get("unfurl_links"))
	}
}

func TestBroadcastReplies(t *testing.T) {
	f := newFakeSlack(t)
	n, err := New(Options{Token: token, Channel: "C1", APIURL: f.srv.URL + "/api/", Broadcast: true, Client: f.srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	ts, err := n.Notify(context.Background(), restoredGroup(), "1699999999.000100")
	if err != nil || ts != "1700000000.000100" {
		t.Fatalf("Notify = %q, %v", ts, err)
	}
	if p := f.gotPosts()[0]; p.Get("reply_broadcast") != "true" || p.Get("thread_ts") != "1699999999.000100" {
		t.Errorf("reply_broadcast %q thread_ts %q", p.Get("reply_broadcast"), p.Get("thread_ts"))
	}
}

func TestWebAPIErrors(t *testing.T) {
	okFalse := func(code string) answer {
		return answer{status: 200, body: `{"ok":false,"error":"` + code + `"}`}
	}
	tests := []struct {
		name       string
		a          answer
		permanent  bool
		retryAfter time.Duration
		text       string
	}{
		{"invalid_auth", okFalse("invalid_auth"), true, 0, "invalid_auth"},
		{"channel_not_found", okFalse("channel_not_found"), true, 0, "channel_not_found"},
		{"not_in_channel", okFalse("not_in_channel"), true, 0, "not_in_channel"},
		{"account_inactive", okFalse("account_inactive"), true, 0, "account_inactive"},
		{"invalid_blocks", okFalse("invalid_blocks"), true, 0, "invalid_blocks"},
		{"ratelimited body", okFalse("ratelimited"), false, 0, "ratelimited"},
		{"internal_error", okFalse("internal_error"), false, 0, "internal_error"},
		{"429 retry-after", answer{status: 429, body: `{"ok":false,"error":"ratelimited"}`, retryAfter: "7"}, false, 7 * time.Second, "rate limited"},
		{"429 without retry-after", answer{status: 429}, false, 0, "HTTP 429"},
		{"503", answer{status: 503, body: "<html>down</html>"}, false, 0, "HTTP 503"},
		{"400", answer{status: 400, body: "bad"}, true, 0, "HTTP 400"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeSlack(t, tt.a)
			_, err := botNotifier(t, f).Notify(context.Background(), regional(), "")
			if err == nil {
				t.Fatal("want an error")
			}
			if notify.IsPermanent(err) != tt.permanent {
				t.Errorf("permanent = %v, want %v (%v)", !tt.permanent, tt.permanent, err)
			}
			if got := notify.RetryAfter(err); got != tt.retryAfter {
				t.Errorf("RetryAfter = %v, want %v", got, tt.retryAfter)
			}
			if !strings.Contains(err.Error(), tt.text) {
				t.Errorf("error %q lacks %q", err, tt.text)
			}
			noSecret(t, err)
		})
	}
}

func TestIncomingWebhook(t *testing.T) {
	tests := []struct {
		name       string
		script     []answer
		ok         bool
		permanent  bool
		retryAfter time.Duration
	}{
		{"ok", nil, true, false, 0},
		{"no_service", []answer{{status: 404, body: "no_service"}}, false, true, 0},
		{"channel_is_archived", []answer{{status: 410, body: "channel_is_archived"}}, false, true, 0},
		{"rate limited", []answer{{status: 429, body: "rate_limited", retryAfter: "3"}}, false, false, 3 * time.Second},
		{"rollup_error", []answer{{status: 500, body: "rollup_error"}}, false, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeSlack(t, tt.script...)
			ref, err := hookNotifier(t, f).Notify(context.Background(), regional(), "ignored")
			if ref != "" {
				t.Errorf("webhook returned ref %q", ref)
			}
			noSecret(t, err)
			if tt.ok {
				if err != nil {
					t.Fatal(err)
				}
				f.mu.Lock()
				defer f.mu.Unlock()
				if len(f.hooks) != 1 || !strings.HasPrefix(f.hooks[0]["text"].(string), "🚫 Revoked in 3 regions") {
					t.Fatalf("hook bodies %v", f.hooks)
				}
				if blocks, _ := f.hooks[0]["blocks"].([]any); len(blocks) < 3 {
					t.Errorf("hook blocks %v", f.hooks[0]["blocks"])
				}
				return
			}
			if err == nil {
				t.Fatal("want an error")
			}
			if notify.IsPermanent(err) != tt.permanent || notify.RetryAfter(err) != tt.retryAfter {
				t.Errorf("err %v: permanent %v retry after %v", err, notify.IsPermanent(err), notify.RetryAfter(err))
			}
		})
	}
}

func TestTransportErrorsHideSecrets(t *testing.T) {
	f := newFakeSlack(t)
	hook, bot := hookNotifier(t, f), botNotifier(t, f)
	f.srv.Close() // nothing listens any more
	for _, n := range []*Notifier{hook, bot} {
		t.Run(n.Name(), func(t *testing.T) {
			_, err := n.Notify(context.Background(), regional(), "")
			if err == nil || notify.IsPermanent(err) {
				t.Fatalf("want a retryable error, got %v", err)
			}
			noSecret(t, err)
		})
	}
	// A request that outlives its timeout is retryable and still a deadline error.
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer slow.Close()
	defer close(release)
	n, err := New(Options{WebhookURL: config.Secret(slow.URL + hookPath), Timeout: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	_, err = n.Notify(context.Background(), regional(), "")
	if err == nil || notify.IsPermanent(err) || !strings.Contains(err.Error(), "deadline") {
		t.Errorf("timeout: %v", err)
	}
	noSecret(t, err)
}

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name string
		o    Options
		want string
	}{
		{"nothing", Options{}, "slack: one of webhook_url and token is required"},
		{"both", Options{WebhookURL: "https://hooks.slack.com" + hookPath, Token: token, Channel: "C1"}, "slack: at most one of webhook_url and token may be set"},
		{"no channel", Options{Token: token}, "slack: token requires a channel"},
		{"bad url", Options{WebhookURL: "hooks.slack.com" + hookPath}, "slack: webhook_url is not an http(s) URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.o)
			if err == nil || err.Error() != tt.want {
				t.Errorf("New = %v, want %q", err, tt.want)
			}
			noSecret(t, err)
		})
	}
}
