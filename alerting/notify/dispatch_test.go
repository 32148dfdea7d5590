package notify

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
)

var t0 = time.Date(2026, 3, 2, 14, 5, 0, 0, time.UTC)

// call is one Notify seen by a fakeNotifier.
type call struct {
	g   Group
	ref string
}

// fakeNotifier records calls; it returns errs in order (then success) and, when refs is set,
// the reference "<refs>-<n>" of its n-th successful call.
type fakeNotifier struct {
	name  string
	refs  string
	block bool // wait for ctx to end, then fail

	mu    sync.Mutex
	errs  []error
	calls []call
	ok    int
}

func (f *fakeNotifier) Name() string { return f.name }

func (f *fakeNotifier) Notify(ctx context.Context, g Group, ref string) (string, error) {
	f.mu.Lock()
	f.calls = append(f.calls, call{g, ref})
	var err error
	if len(f.errs) > 0 {
		err, f.errs = f.errs[0], f.errs[1:]
	}
	f.mu.Unlock()
	if f.block {
		<-ctx.Done()
		return "", ctx.Err()
	}
	if err != nil {
		return "", err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ok++
	if f.refs != "" {
		return fmt.Sprintf("%s-%d", f.refs, f.ok), nil
	}
	return "", nil
}

func (f *fakeNotifier) got() []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// sleeps records the waits between attempts without waiting.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d = append(s.d, d)
	return ctx.Err()
}

func (s *sleeps) got() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.d)
}

func upd(id, incident, phase string, seq int, provider, model_, kind string, regions ...string) model.EventUpdate {
	cond := kind
	switch kind {
	case model.EventRestored:
		cond = model.EventRevoked
	case model.EventRecovered:
		cond = model.EventOutage
	}
	return model.EventUpdate{Phase: phase, Seq: seq, Event: model.Event{
		ID: id, IncidentID: incident, Kind: kind, Condition: cond, Scope: model.ScopeRegional,
		Provider: provider, Model: model_, Regions: regions, StartedAt: t0, Signature: "geo_blocked",
	}}
}

func revoked(id string, seq int, regions ...string) model.EventUpdate {
	return upd(id, "inc-1", model.PhaseOpened, seq, "anthropic", "claude-"+id, model.EventRevoked, regions...)
}

// running starts d.Run and returns a function that stops it and waits for it to return.
func running(t *testing.T, d *Dispatcher) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	return func() {
		t.Helper()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
}

func TestGroupingSixUpdatesOneNotify(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeNotifier{name: "slack"}
		d := New(Options{Notifiers: []Notifier{f}, GroupWait: time.Second, GroupInterval: 10 * time.Second,
			Now: func() time.Time { return t0 }})
		stop := running(t, d)
		defer stop()
		// Two models in three regions arrive within the group wait: one message.
		for i, id := range []string{"a", "b", "c", "d", "e", "f"} {
			d.Submit(revoked(id, 1, "india"))
			if i%2 == 1 {
				time.Sleep(100 * time.Millisecond)
			}
		}
		// The same update again inside the window is not a seventh entry.
		d.Submit(revoked("a", 1, "india"))
		time.Sleep(2 * time.Second)
		synctest.Wait()
		calls := f.got()
		if len(calls) != 1 || len(calls[0].g.Updates) != 6 {
			t.Fatalf("want 1 call with 6 updates, got %d calls: %+v", len(calls), calls)
		}
		if g := calls[0].g; g.IncidentID != "inc-1" || g.Phase != model.PhaseOpened || !g.At.Equal(t0) {
			t.Errorf("group = %q %q %v", g.IncidentID, g.Phase, g.At)
		}
		// A later event of the same incident is an update of it, sent no earlier than the
		// group interval after the first notification.
		d.Submit(revoked("g", 1, "india"))
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if calls := f.got(); len(calls) != 1 {
			t.Fatalf("sent before the group interval: %d calls", len(calls))
		}
		time.Sleep(10 * time.Second)
		synctest.Wait()
		calls = f.got()
		if len(calls) != 2 || len(calls[1].g.Updates) != 1 || calls[1].g.Phase != model.PhaseUpdated {
			t.Fatalf("want a second call (updated) with 1 update, got %+v", calls)
		}
		if g := calls[1].g; g.Updates[0].Phase != model.PhaseOpened || g.Path != "/incidents/inc-1" || g.URL != "" {
			t.Errorf("joining event: phase %q, path %q, url %q", g.Updates[0].Phase, g.Path, g.URL)
		}
	})
}

// TestCoalescing: an event that spreads, or spreads and then closes, within the group wait is
// announced once with its latest regions, not once per step.
func TestCoalescing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeNotifier{name: "slack"}
		d := New(Options{Notifiers: []Notifier{f}, GroupWait: time.Second})
		stop := running(t, d)
		defer stop()
		d.Submit(revoked("a", 1, "india"))
		spread := upd("a", "inc-1", model.PhaseUpdated, 2, "anthropic", "claude-a", model.EventRevoked, "europe", "india")
		d.Submit(spread)
		spread = upd("a", "inc-1", model.PhaseUpdated, 3, "anthropic", "claude-a", model.EventRevoked, "australia", "europe", "india")
		d.Submit(spread)
		time.Sleep(2 * time.Second)
		synctest.Wait()
		calls := f.got()
		if len(calls) != 1 || len(calls[0].g.Updates) != 1 {
			t.Fatalf("want one opening, got %+v", calls)
		}
		if u := calls[0].g.Updates[0]; u.Phase != model.PhaseOpened || u.Seq != 1 || !slices.Equal(u.Event.Regions, []string{"australia", "europe", "india"}) {
			t.Fatalf("opening = %s seq %d regions %v; want the latest regions under seq 1", u.Phase, u.Seq, u.Event.Regions)
		}
		// Narrowing updates followed by the closing inside one wait: only the closing goes out.
		d.Submit(upd("a", "inc-1", model.PhaseUpdated, 4, "anthropic", "claude-a", model.EventRevoked, "europe", "india"))
		d.Submit(upd("a", "inc-1", model.PhaseUpdated, 5, "anthropic", "claude-a", model.EventRevoked, "india"))
		d.Submit(upd("a", "inc-1", model.PhaseClosed, 6, "anthropic", "claude-a", model.EventRestored, "australia", "europe", "india"))
		time.Sleep(2 * time.Second)
		synctest.Wait()
		calls = f.got()
		if len(calls) != 2 || calls[1].g.Phase != model.PhaseClosed || len(calls[1].g.Updates) != 1 {
			t.Fatalf("want the closing alone, got %+v", calls)
		}
	})
}

// TestOneNotificationPerIncident: an event that opens and ends before its incident's first
// notification is announced once, as ended, with both updates; another incident is its own.
func TestOneNotificationPerIncident(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeNotifier{name: "slack"}
		d := New(Options{Notifiers: []Notifier{f}})
		stop := running(t, d)
		defer stop()
		a := revoked("a", 1, "india")
		other := upd("x", "inc-2", model.PhaseOpened, 1, "openai", "gpt", model.EventRevoked, "india")
		closed := upd("a", "inc-1", model.PhaseClosed, 2, "anthropic", "claude-a", model.EventRevoked, "india")
		d.Submit(a, other, closed)
		time.Sleep(2 * time.Second)
		synctest.Wait()
		calls := f.got()
		var got []string
		for _, c := range calls {
			got = append(got, fmt.Sprintf("%s/%s/%d", c.g.IncidentID, c.g.Phase, len(c.g.Updates)))
		}
		// Groups due together go out in the order they began.
		want := []string{"inc-1/closed/2", "inc-2/opened/1"}
		if !slices.Equal(got, want) {
			t.Errorf("groups = %v, want %v", got, want)
		}
	})
}

func TestReceiversFor(t *testing.T) {
	all := []string{"slack", "hooks", "ops"}
	routes := []Route{
		{Receivers: []string{"slack"}, Providers: []string{"anthropic"}, Regions: []string{"india", "europe"}},
		{Receivers: []string{"hooks"}, Kinds: []string{model.EventVantageFault}},
		{Receivers: []string{"ops"}, Models: []string{"gpt"}, Kinds: []string{model.EventRevoked}},
	}
	vf := upd("v", "", model.PhaseOpened, 1, "", "", model.EventVantageFault, "india")
	vf.Event.Provider = ""
	tests := []struct {
		name   string
		routes []Route
		u      model.EventUpdate
		want   []string
	}{
		{"no routes: everyone", nil, revoked("a", 1, "us"), all},
		{"provider and any region", routes, revoked("a", 1, "us", "europe"), []string{"slack"}},
		{"provider, other region", routes, revoked("a", 1, "us"), nil},
		{"other provider", routes, upd("b", "i", model.PhaseOpened, 1, "mistral", "m", model.EventRevoked, "india"), nil},
		{"kind", routes, vf, []string{"hooks"}},
		{"closing matches its condition", routes, upd("c", "i", model.PhaseClosed, 2, "openai", "gpt", model.EventRestored, "us"), []string{"ops"}},
		{"kind mismatch", routes, upd("d", "i", model.PhaseOpened, 1, "openai", "gpt", model.EventOutage, "us"), nil},
		{"union of routes", append(routes, Route{Regions: []string{"india"}}), revoked("a", 1, "india"), []string{"slack", "hooks", "ops"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := receiversFor(tt.routes, all, &tt.u.Event); !slices.Equal(got, tt.want) {
				t.Errorf("receivers = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRouting(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		slack := &fakeNotifier{name: "slack"}
		hooks := &fakeNotifier{name: "hooks"}
		d := New(Options{Notifiers: []Notifier{slack, hooks}, Routes: []Route{
			{Receivers: []string{"slack"}, Providers: []string{"anthropic"}},
			{Receivers: []string{"hooks"}, Regions: []string{"india"}},
		}})
		stop := running(t, d)
		defer stop()
		d.Submit(revoked("a", 1, "india"), revoked("b", 1, "us"),
			upd("c", "inc-1", model.PhaseOpened, 1, "openai", "gpt", model.EventRevoked, "india"),
			upd("d", "inc-1", model.PhaseOpened, 1, "openai", "gpt", model.EventRevoked, "us"))
		time.Sleep(2 * time.Second)
		synctest.Wait()
		ids := func(f *fakeNotifier) []string {
			var out []string
			for _, c := range f.got() {
				for _, u := range c.g.Updates {
					out = append(out, u.Event.ID)
				}
			}
			return out
		}
		if got := ids(slack); !slices.Equal(got, []string{"a", "b"}) {
			t.Errorf("slack got %v", got)
		}
		if got := ids(hooks); !slices.Equal(got, []string{"a", "c"}) {
			t.Errorf("hooks got %v", got)
		}
	})
}

func TestSilences(t *testing.T) {
	window := Silence{Providers: []string{"anthropic"}, Regions: []string{"india"},
		Starts: t0, Ends: t0.Add(time.Hour), Comment: "maintenance"}
	tests := []struct {
		name     string
		now      time.Time
		u        model.EventUpdate
		silenced bool
		override []Silence
	}{
		{"inside window", t0.Add(time.Minute), revoked("a", 1, "india"), true, nil},
		{"at start", t0, revoked("a", 1, "us", "india"), true, nil},
		{"at end", t0.Add(time.Hour), revoked("a", 1, "india"), false, nil},
		{"before", t0.Add(-time.Second), revoked("a", 1, "india"), false, nil},
		{"other region", t0.Add(time.Minute), revoked("a", 1, "us"), false, nil},
		{"no end mutes nothing", t0.Add(time.Minute), revoked("a", 1, "india"), false, []Silence{{Starts: t0}}},
		{"match-all window", t0.Add(time.Minute), revoked("a", 1, "us"), true, []Silence{{Starts: t0, Ends: t0.Add(time.Hour)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				silences := []Silence{window}
				if tt.override != nil {
					silences = tt.override
				}
				f := &fakeNotifier{name: "slack"}
				log := NewMemLog()
				d := New(Options{Notifiers: []Notifier{f}, Silences: silences, Log: log, Now: func() time.Time { return tt.now }})
				stop := running(t, d)
				d.Submit(tt.u)
				time.Sleep(2 * time.Second)
				synctest.Wait()
				stop()
				st := d.Stats().Receivers["slack"]
				if tt.silenced {
					if len(f.got()) != 0 || st.Suppressed != 1 || log.Len() != 0 {
						t.Errorf("want silenced and unrecorded: calls %d, stats %+v, log %d", len(f.got()), st, log.Len())
					}
					return
				}
				if len(f.got()) != 1 || st.Suppressed != 0 || st.Sent != 1 {
					t.Errorf("want sent: calls %d, stats %+v", len(f.got()), st)
				}
			})
		})
	}
}

func TestRetries(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name        string
		errs        []error
		attempts    int
		calls       int
		waits       []time.Duration
		sent        bool
		retried     int
		maxAttempts int
	}{
		{"retry-after honoured then success", []error{Retryable(boom, 7*time.Second), Retryable(boom, 0)}, 3, 3,
			[]time.Duration{7 * time.Second, 2 * time.Second}, true, 2, 0},
		{"unclassified errors are retried", []error{boom}, 2, 2, []time.Duration{time.Second}, true, 1, 0},
		{"retry-after capped", []error{Retryable(boom, 5*time.Hour)}, 2, 2, []time.Duration{MaxRetryAfter}, true, 1, 0},
		{"permanent not retried", []error{Permanent(boom)}, 1, 1, nil, false, 0, 0},
		{"permanent after a retry", []error{boom, Permanent(boom)}, 2, 2, []time.Duration{time.Second}, false, 1, 0},
		{"attempts exhausted, backoff doubles to its cap", []error{boom, boom, boom, boom, boom, boom}, 5, 5,
			[]time.Duration{time.Second, 2 * time.Second, 3 * time.Second, 3 * time.Second}, false, 4, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := &fakeNotifier{name: "slack", errs: tt.errs}
				sl := &sleeps{}
				log := NewMemLog()
				d := New(Options{Notifiers: []Notifier{f}, Log: log, Sleep: sl.sleep, MaxAttempts: tt.maxAttempts,
					Backoff: time.Second, MaxBackoff: 3 * time.Second})
				stop := running(t, d)
				d.Submit(revoked("a", 1, "india"))
				time.Sleep(2 * time.Second)
				synctest.Wait()
				stop()
				if got := len(f.got()); got != tt.calls {
					t.Errorf("calls = %d, want %d", got, tt.calls)
				}
				if got := sl.got(); !slices.Equal(got, tt.waits) {
					t.Errorf("waits = %v, want %v", got, tt.waits)
				}
				st := d.Stats().Receivers["slack"]
				_, logged, _ := log.Get(context.Background(), "slack", "a/1")
				if tt.sent != (st.Notifications == 1) || tt.sent == (st.Failed == 1) || logged != tt.sent || st.Retried != tt.retried {
					t.Errorf("sent=%v: stats %+v, logged %v", tt.sent, st, logged)
				}
			})
		})
	}
}

func TestDedupAcrossRestartAndThreading(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log := NewMemLog()
		opened := []model.EventUpdate{revoked("a", 1, "india"), revoked("b", 1, "india")}
		closed := []model.EventUpdate{
			upd("a", "inc-1", model.PhaseClosed, 2, "anthropic", "claude-a", model.EventRevoked, "india"),
			upd("b", "inc-1", model.PhaseClosed, 2, "anthropic", "claude-b", model.EventRevoked, "india"),
		}

		f1 := &fakeNotifier{name: "slack", refs: "ts"}
		d1 := New(Options{Notifiers: []Notifier{f1}, Log: log})
		stop := running(t, d1)
		d1.Submit(opened...)
		time.Sleep(2 * time.Second)
		synctest.Wait()
		stop()
		if e, ok, _ := log.Get(context.Background(), "slack", IncidentKey("inc-1")); !ok || e.Ref != "ts-1" {
			t.Fatalf("incident ref = %+v %v", e, ok)
		}

		// After a restart detection replays the same updates plus the closing.
		f2 := &fakeNotifier{name: "slack", refs: "later"}
		d2 := New(Options{Notifiers: []Notifier{f2}, Log: log})
		stop = running(t, d2)
		d2.Submit(opened...)
		d2.Submit(closed...)
		time.Sleep(2 * time.Second)
		synctest.Wait()
		stop()
		calls := f2.got()
		if len(calls) != 1 || calls[0].g.Phase != model.PhaseClosed {
			t.Fatalf("want only the closing, got %+v", calls)
		}
		if calls[0].ref != "ts-1" {
			t.Errorf("closing threaded under %q, want ts-1", calls[0].ref)
		}
		if st := d2.Stats().Receivers["slack"]; st.Deduplicated != 2 || st.Sent != 2 || st.Notifications != 1 {
			t.Errorf("stats %+v", st)
		}
		// The incident keeps its first message's ref.
		if e, _, _ := log.Get(context.Background(), "slack", IncidentKey("inc-1")); e.Ref != "ts-1" {
			t.Errorf("incident ref overwritten: %q", e.Ref)
		}
	})
}

func TestRunStopsAndFlushes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeNotifier{name: "slack"}
		d := New(Options{Notifiers: []Notifier{f}, GroupWait: time.Hour})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- d.Run(ctx) }()
		synctest.Wait()
		if err := d.Run(ctx); err == nil {
			t.Error("second Run while running: want an error")
		}
		d.Submit(revoked("a", 1, "india"))
		synctest.Wait()
		if len(f.got()) != 0 {
			t.Fatal("sent before the group wait")
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("Run = %v", err)
		}
		if len(f.got()) != 1 {
			t.Errorf("pending group not flushed on shutdown: %d calls", len(f.got()))
		}
	})
}

func TestShutdownGraceBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeNotifier{name: "slack", block: true}
		d := New(Options{Notifiers: []Notifier{f}, Grace: 3 * time.Second, MaxAttempts: 1})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- d.Run(ctx) }()
		d.Submit(revoked("a", 1, "india"))
		d.Submit(upd("x", "inc-2", model.PhaseOpened, 1, "openai", "gpt", model.EventRevoked, "india"))
		time.Sleep(2 * time.Second) // the first Notify hangs
		cancel()
		start := time.Now()
		<-done
		if waited := time.Since(start); waited != 3*time.Second {
			t.Errorf("shutdown took %v (virtual), want the 3s grace", waited)
		}
		if st := d.Stats().Receivers["slack"]; st.Failed != 2 {
			t.Errorf("stats %+v, want both notifications failed", st)
		}
	})
}
