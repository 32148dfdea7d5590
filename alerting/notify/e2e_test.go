package notify_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accesswatch/accesswatch/alerting/notify"
	"github.com/accesswatch/accesswatch/alerting/slack"
	"github.com/accesswatch/accesswatch/alerting/webhook"
	"github.com/accesswatch/accesswatch/internal/config"
	"github.com/accesswatch/accesswatch/internal/model"
)

// receivers are an httptest webhook receiver and an httptest Slack Web API
// (chat.postMessage), each answering a script of statuses first and 200 after.
type receivers struct {
	hook, slack *httptest.Server

	mu          sync.Mutex
	hookScript  []int
	slackScript []int
	hookOK      map[string]int // X-Accesswatch-Delivery → 2xx answers
	hookByEvent map[string]int // event id → 2xx answers
	slackOK     []string       // text of each message Slack accepted
	requests    int
}

// script statuses: 429 answers carry Retry-After: 1.
func newReceivers(t *testing.T, hookScript, slackScript []int) *receivers {
	r := &receivers{hookScript: hookScript, slackScript: slackScript, hookOK: map[string]int{}, hookByEvent: map[string]int{}}
	r.hook = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		var p webhook.Payload
		if err := json.Unmarshal(body, &p); err != nil {
			http.Error(w, "bad json", http.StatusBadRequest)
			return
		}
		if !webhook.Verify([]byte("hook-secret-123"), req.Header.Get(webhook.HeaderTimestamp), req.Header.Get(webhook.HeaderSignature), body) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		if status := r.next(&r.hookScript); status != http.StatusOK {
			answer(w, status)
			return
		}
		r.mu.Lock()
		r.hookOK[req.Header.Get(webhook.HeaderDelivery)]++
		r.hookByEvent[p.ID]++
		r.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	r.slack = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path != "/api/chat.postMessage" || req.ParseForm() != nil {
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		if status := r.next(&r.slackScript); status != http.StatusOK {
			answer(w, status)
			return
		}
		r.mu.Lock()
		r.slackOK = append(r.slackOK, req.PostForm.Get("blocks"))
		n := len(r.slackOK)
		r.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprintf(w, `{"ok":true,"channel":"C1","ts":"1700000000.%06d"}`, n)
	}))
	t.Cleanup(r.hook.Close)
	t.Cleanup(r.slack.Close)
	return r
}

func (r *receivers) next(script *[]int) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests++
	if len(*script) == 0 {
		return http.StatusOK
	}
	s := (*script)[0]
	*script = (*script)[1:]
	return s
}

func answer(w http.ResponseWriter, status int) {
	if status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "1")
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, http.StatusText(status))
}

func (r *receivers) notifiers(t *testing.T) []notify.Notifier {
	t.Helper()
	h, err := webhook.New(webhook.Options{Name: "hook", URL: r.hook.URL + "/hook", Secret: config.Secret("hook-secret-123")})
	if err != nil {
		t.Fatal(err)
	}
	s, err := slack.New(slack.Options{Name: "slack", Token: config.Secret("xoxb-1-2-test"), Channel: "C1", APIURL: r.slack.URL + "/api"})
	if err != nil {
		t.Fatal(err)
	}
	return []notify.Notifier{h, s}
}

func ev(id, mdl, phase string, seq int, regions ...string) model.EventUpdate {
	e := model.Event{ID: id, IncidentID: "inc-1", Kind: model.EventRevoked, Condition: model.EventRevoked,
		Scope: model.ScopeRegional, Provider: "anthropic", Model: mdl, Regions: regions,
		StartedAt: time.Now().UTC(), Signature: "geo_blocked"}
	if phase == model.PhaseClosed {
		end := time.Now().UTC()
		e.EndedAt, e.Outcome = &end, model.EventRestored
	}
	return model.EventUpdate{Phase: phase, Seq: seq, Event: e}
}

// waitFor polls cond every 20ms until it holds or the deadline passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestReceivers503Then429Then200: a webhook receiver and Slack that answer 503, then 429 with
// Retry-After, then 200 get each update exactly once — the webhook's partly delivered group is
// resumed where it failed, not posted again from its start.
func TestReceivers503Then429Then200(t *testing.T) {
	t.Parallel()
	// The webhook takes the first update of the opening and then fails the second twice.
	r := newReceivers(t, []int{200, 503, 429}, []int{503, 429})
	d := notify.New(notify.Options{Notifiers: r.notifiers(t), GroupWait: 100 * time.Millisecond,
		GroupInterval: time.Second, Backoff: 50 * time.Millisecond, PublicURL: "https://watch.example.org"})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	start := time.Now()
	d.Submit(ev("a", "claude-a", model.PhaseOpened, 1, "india"), ev("b", "claude-b", model.PhaseOpened, 1, "india"))
	waitFor(t, 20*time.Second, "the opening", func() bool {
		st := d.Stats().Receivers
		return st["hook"].Sent == 2 && st["slack"].Sent == 2
	})
	d.Submit(ev("a", "claude-a", model.PhaseClosed, 2, "india"), ev("b", "claude-b", model.PhaseClosed, 2, "india"))
	waitFor(t, 20*time.Second, "the closing", func() bool {
		st := d.Stats().Receivers
		return st["hook"].Sent == 4 && st["slack"].Sent == 4
	})
	took := time.Since(start)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, k := range []string{"a/1", "b/1", "a/2", "b/2"} {
		if n := r.hookOK[k]; n != 1 {
			t.Errorf("webhook got %s %d times, want exactly once", k, n)
		}
	}
	if len(r.hookOK) != 4 {
		t.Errorf("webhook deliveries %v", r.hookOK)
	}
	if len(r.slackOK) != 2 {
		t.Errorf("Slack accepted %d messages, want 2 (opening, closing)", len(r.slackOK))
	}
	if len(r.slackOK) == 2 && (!strings.Contains(r.slackOK[0], "Revoked in india") || !strings.Contains(r.slackOK[1], "Restored after")) {
		t.Errorf("Slack messages: %q", r.slackOK)
	}
	for _, m := range r.slackOK {
		if !strings.Contains(m, "https://watch.example.org/incidents/inc-1") {
			t.Errorf("Slack message without the incident link: %q", m)
		}
	}
	st := d.Stats().Receivers
	if st["hook"].Retried != 2 || st["slack"].Retried != 2 || st["hook"].Failed+st["slack"].Failed != 0 {
		t.Errorf("stats %+v", st)
	}
	t.Logf("503 → 429 (Retry-After: 1) → 200: %d requests, webhook %v, Slack %d messages, %v; stats %+v",
		r.requests, r.hookOK, len(r.slackOK), took.Round(time.Millisecond), st)
}

// TestFlappingVendorBound: a vendor that flips a revocation between available and revoked every
// second for 20 s (one model is revoked and restored every other second, a new event each
// time; another model's revocation spreads to a second region and back every second) yields at
// most 1 + ceil(duration / group_interval) + 1 notifications per event and receiver.
func TestFlappingVendorBound(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("20 s of wall time")
	}
	r := newReceivers(t, nil, nil)
	const interval = 5 * time.Second
	d := notify.New(notify.Options{Notifiers: r.notifiers(t), GroupWait: 200 * time.Millisecond, GroupInterval: interval})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	start := time.Now()
	d.Submit(ev("steady", "claude-steady", model.PhaseOpened, 1, "india"))
	seq := 1
	var flaps []string
	for i := range 20 {
		time.Sleep(time.Second)
		seq++
		regions := []string{"india"}
		if i%2 == 0 {
			regions = append(regions, "us")
		}
		d.Submit(ev("steady", "claude-steady", model.PhaseUpdated, seq, regions...))
		id := fmt.Sprintf("flap-%02d", i/2)
		if i%2 == 0 {
			d.Submit(ev(id, "claude-flap", model.PhaseOpened, 1, "europe"))
			flaps = append(flaps, id)
		} else {
			d.Submit(ev(id, "claude-flap", model.PhaseClosed, 2, "europe"))
		}
	}
	flapping := time.Since(start)
	d.Submit(ev("steady", "claude-steady", model.PhaseClosed, seq+1, "india"))
	waitFor(t, 20*time.Second, "the closing", func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.hookByEvent["steady"] > 0 && len(r.slackOK) > 0 && strings.Contains(r.slackOK[len(r.slackOK)-1], "Restored after")
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	bound := 2 + int(math.Ceil(float64(flapping)/float64(interval)))
	r.mu.Lock()
	defer r.mu.Unlock()
	slackPer := map[string]int{}
	for _, m := range r.slackOK {
		// Each Slack message lists its events' models; the flapping model's events share one.
		for _, mdl := range []string{"claude-steady", "claude-flap"} {
			if strings.Contains(m, mdl) {
				slackPer[mdl]++
			}
		}
	}
	t.Logf("flapping for %v, group_interval %v: bound %d per event and receiver; webhook per event %v; Slack %d messages, per model %v",
		flapping.Round(time.Millisecond), interval, bound, r.hookByEvent, len(r.slackOK), slackPer)
	for id, n := range r.hookByEvent {
		if n > bound {
			t.Errorf("webhook: event %s announced %d times, bound %d", id, n, bound)
		}
	}
	if slackPer["claude-steady"] > bound {
		t.Errorf("Slack: the steady event in %d messages, bound %d", slackPer["claude-steady"], bound)
	}
	// One incident: the whole of Slack's traffic is bounded like one event's.
	if len(r.slackOK) > bound {
		t.Errorf("Slack: %d messages for one incident, bound %d", len(r.slackOK), bound)
	}
	if r.hookByEvent["steady"] < 3 {
		t.Errorf("webhook: the steady event announced %d times; its changes must still go out", r.hookByEvent["steady"])
	}
	for _, id := range flaps {
		if r.hookByEvent[id] == 0 {
			t.Errorf("webhook: flapping event %s never announced", id)
		}
	}
}
