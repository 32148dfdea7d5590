package schedule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/robfig/cron/v3"
)

// every is a sub-second schedule, so tests need not wait whole seconds.
type every time.Duration

func (e every) Next(t time.Time) time.Time { return t.Add(time.Duration(e)) }

func TestNoOverlappingRuns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := New(Options{})
		var running, maxRunning, runs atomic.Int32
		release := make(chan struct{})
		if err := s.Add(Job{Key: "slow", Schedule: every(10 * time.Millisecond), Pool: "v", Run: func(ctx context.Context, _ time.Time) {
			n := running.Add(1)
			if n > maxRunning.Load() {
				maxRunning.Store(n)
			}
			runs.Add(1)
			<-release
			running.Add(-1)
		}}); err != nil {
			t.Fatal(err)
		}
		s.Start()
		time.Sleep(105 * time.Millisecond)
		close(release)
		if err := s.Stop(context.Background()); err != nil {
			t.Fatal(err)
		}
		st := s.Stats()
		if maxRunning.Load() != 1 || runs.Load() != 1 {
			t.Fatalf("max concurrent runs %d, runs %d; want 1 and 1", maxRunning.Load(), runs.Load())
		}
		if st.Skipped < 8 {
			t.Fatalf("skipped %d runs, want ≥ 8 while the first one ran", st.Skipped)
		}
	})
}

func TestPoolConcurrencyLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := New(Options{Concurrency: map[string]int{"in": 2}})
		var running, maxRunning atomic.Int32
		var mu sync.Mutex
		for i := range 5 {
			_ = s.Add(Job{Key: string(rune('a' + i)), Schedule: every(time.Second), Pool: "in", Run: func(ctx context.Context, _ time.Time) {
				n := running.Add(1)
				mu.Lock()
				if n > maxRunning.Load() {
					maxRunning.Store(n)
				}
				mu.Unlock()
				time.Sleep(300 * time.Millisecond)
				running.Add(-1)
			}})
		}
		// Another pool is not held back by the first.
		var other atomic.Int32
		_ = s.Add(Job{Key: "us", Schedule: every(time.Second), Pool: "us", Run: func(context.Context, time.Time) { other.Add(1) }})
		s.Start()
		time.Sleep(1100 * time.Millisecond)
		if err := s.Stop(context.Background()); err != nil {
			t.Fatal(err)
		}
		if maxRunning.Load() != 2 {
			t.Fatalf("max concurrent in pool = %d, want 2", maxRunning.Load())
		}
		if other.Load() != 1 {
			t.Fatalf("other pool ran %d times, want 1", other.Load())
		}
	})
}

func TestTimeoutAndStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := New(Options{})
		got := make(chan error, 1)
		_ = s.Add(Job{Key: "hang", Schedule: every(time.Second), Pool: "v", Timeout: 50 * time.Millisecond, Run: func(ctx context.Context, _ time.Time) {
			<-ctx.Done()
			got <- ctx.Err()
		}})
		s.Start()
		time.Sleep(1100 * time.Millisecond)
		if err := <-got; !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("run ended with %v, want deadline exceeded", err)
		}
		_ = s.Stop(context.Background())
	})
}

func TestStopCancelsRunningJobsAfterGrace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := New(Options{})
		started := make(chan struct{})
		var cancelled atomic.Bool
		_ = s.Add(Job{Key: "long", Schedule: every(time.Second), Pool: "v", Run: func(ctx context.Context, _ time.Time) {
			close(started)
			<-ctx.Done()
			cancelled.Store(true)
		}})
		s.Start()
		<-started
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		err := s.Stop(ctx)
		if !errors.Is(err, context.DeadlineExceeded) || !cancelled.Load() {
			t.Fatalf("Stop = %v, job cancelled %v; want deadline error and a cancelled job", err, cancelled.Load())
		}
	})
}

func TestJitterIsCappedAtHalfTheInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var asked []int64
		var mu sync.Mutex
		s := New(Options{Jitter: 10 * time.Second, Rand: func(n int64) int64 {
			mu.Lock()
			asked = append(asked, n)
			mu.Unlock()
			return n - 1
		}})
		ran := make(chan time.Duration, 4)
		_ = s.Add(Job{Key: "j", Schedule: every(2 * time.Second), Pool: "v", Run: func(_ context.Context, scheduled time.Time) {
			ran <- time.Since(scheduled)
		}})
		s.Start()
		delay := <-ran
		_ = s.Stop(context.Background())
		if len(asked) == 0 || asked[0] != int64(time.Second) {
			t.Fatalf("jitter bound %v, want 1s (half the 2s interval)", asked)
		}
		if delay < 999*time.Millisecond || delay > time.Second {
			t.Fatalf("run delayed %v after firing, want just under 1s", delay)
		}
	})
}

func TestAddRejectsIncompleteJob(t *testing.T) {
	s := New(Options{})
	if err := s.Add(Job{Key: "x", Run: func(context.Context, time.Time) {}}); err == nil {
		t.Fatal("job without schedule accepted")
	}
	var sched cron.Schedule = every(time.Second)
	if err := s.Add(Job{Key: "y", Schedule: sched}); err == nil {
		t.Fatal("job without run function accepted")
	}
}

func TestRunAtStart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := New(Options{Jitter: 100 * time.Millisecond, Rand: func(n int64) int64 { return n / 2 }})
		var atStart, later atomic.Int32
		_ = s.Add(Job{Key: "now", Schedule: every(time.Hour), Pool: "v", RunAtStart: true, Run: func(context.Context, time.Time) { atStart.Add(1) }})
		_ = s.Add(Job{Key: "later", Schedule: every(time.Hour), Pool: "v", Run: func(context.Context, time.Time) { later.Add(1) }})
		s.Start()
		time.Sleep(time.Second)
		if err := s.Stop(context.Background()); err != nil {
			t.Fatal(err)
		}
		if atStart.Load() != 1 || later.Load() != 0 {
			t.Fatalf("within a second of start: RunAtStart job ran %d times, other job %d; want 1 and 0", atStart.Load(), later.Load())
		}
	})
}

// lines is a slog handler that keeps each record's message and attributes.
type lines struct {
	mu  sync.Mutex
	got []string
}

func (l *lines) Enabled(context.Context, slog.Level) bool { return true }
func (l *lines) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *lines) WithGroup(string) slog.Handler            { return l }
func (l *lines) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Level.String() + " " + r.Message)
	r.Attrs(func(a slog.Attr) bool { fmt.Fprintf(&b, " %s=%v", a.Key, a.Value); return true })
	l.mu.Lock()
	l.got = append(l.got, b.String())
	l.mu.Unlock()
	return nil
}

func (l *lines) matching(s string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, g := range l.got {
		if strings.Contains(g, s) {
			out = append(out, g)
		}
	}
	return out
}

// A run that holds up later runs makes one WARN when the streak starts and one line when it
// ends, with the count; every skipped run reaches OnSkip with the job's labels.
func TestSkippedRunsLogOncePerStreak(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log := &lines{}
		var mu sync.Mutex
		skips := map[string]int{}
		s := New(Options{Logger: slog.New(log), OnSkip: func(j Job) {
			mu.Lock()
			skips[j.Vantage+"/"+j.Provider+"/"+j.Check]++
			mu.Unlock()
		}})
		var runs atomic.Int32
		release := make(chan struct{})
		_ = s.Add(Job{Key: "au/anthropic/generate/m", Vantage: "au", Provider: "anthropic", Check: "generate",
			Schedule: every(time.Second), Pool: "au", Run: func(context.Context, time.Time) {
				if runs.Add(1) == 1 {
					<-release // the first run stalls for a while; later ones are quick
				}
			}})
		s.Start()
		time.Sleep(10500 * time.Millisecond) // due at 1s…10s: the first (1s) stalls until 10.5s, 2s…10s are skipped
		close(release)
		time.Sleep(5 * time.Second) // 11s…15s run normally
		if err := s.Stop(context.Background()); err != nil {
			t.Fatal(err)
		}
		st := s.Stats()
		if st.Skipped != 9 || skips["au/anthropic/generate"] != 9 {
			t.Fatalf("skipped %d, OnSkip %v; want 9 and 9", st.Skipped, skips)
		}
		if runs.Load() != 6 {
			t.Fatalf("%d runs, want 6 (the stalled one and 11s…15s)", runs.Load())
		}
		starts, ends := log.matching("skipping its runs"), log.matching("runs skipped while it ran")
		if len(starts) != 1 || !strings.HasPrefix(starts[0], "WARN") || !strings.Contains(starts[0], "vantage=au") {
			t.Errorf("streak start lines %q, want one WARN naming the vantage", starts)
		}
		if len(ends) != 1 || !strings.Contains(ends[0], "skipped=9") || !strings.Contains(ends[0], "ran_for=9.5s") {
			t.Errorf("streak end lines %q, want one saying skipped=9 ran_for=9.5s", ends)
		}
	})
}
