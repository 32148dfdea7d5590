package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// slackPost is one chat.postMessage call the fake Slack received.
type slackPost struct {
	Channel, Text, ThreadTS, TS string
}

// fakeSlack speaks the part of Slack's Web API the notifier uses: chat.postMessage, form-encoded
// with a bot token, answering {"ok":true,"ts":…}.
type fakeSlack struct {
	srv   *httptest.Server
	mu    sync.Mutex
	posts []slackPost
}

func newFakeSlack(t *testing.T, token string) *fakeSlack {
	f := &fakeSlack{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path != "/chat.postMessage" {
			http.NotFound(w, r)
			return
		}
		_ = r.ParseForm()
		if r.Header.Get("Authorization") != "Bearer "+token && r.PostForm.Get("token") != token {
			fmt.Fprint(w, `{"ok":false,"error":"invalid_auth"}`)
			return
		}
		f.mu.Lock()
		p := slackPost{Channel: r.PostForm.Get("channel"), Text: r.PostForm.Get("text"), ThreadTS: r.PostForm.Get("thread_ts"),
			TS: fmt.Sprintf("1764300000.%06d", len(f.posts)+1)}
		f.posts = append(f.posts, p)
		f.mu.Unlock()
		fmt.Fprintf(w, `{"ok":true,"channel":"C0ACCESS","ts":%q}`, p.TS)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeSlack) got() []slackPost {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]slackPost(nil), f.posts...)
}

// await waits (bounded) until the posts satisfy ok.
func (f *fakeSlack) await(t *testing.T, what string, within time.Duration, ok func([]slackPost) bool) []slackPost {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		ps := f.got()
		if ok(ps) {
			return ps
		}
		if time.Now().After(deadline) {
			t.Fatalf("slack never got %s within %v: %+v", what, within, ps)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
