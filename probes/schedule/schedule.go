// Package schedule runs probe jobs on cron schedules: per-job jitter so vantages don't fire in
// lock-step, no overlapping runs of the same job, a concurrency limit per vantage, a timeout per
// run, and a clean stop that waits for running jobs.
//
// A run that comes due while the job's previous run is still in flight is skipped, never queued:
// it is counted (Stats.Skipped, Options.OnSkip) and logged once per streak — a WARN when the
// first run is skipped and an INFO line, with how many were skipped, when the run that held
// them up ends — not once per due run.
package schedule

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/robfig/cron/v3"
)

// Job is one scheduled probe.
type Job struct {
	Key      string        // unique name, for logs
	Schedule cron.Schedule // when it fires
	Pool     string        // concurrency pool, usually the vantage id
	Timeout  time.Duration // per run; 0 means no limit beyond the scheduler's context
	// Run does the work. scheduled is the time cron fired the job (before jitter).
	Run func(ctx context.Context, scheduled time.Time)
	// RunAtStart also runs the job once when the scheduler starts (after its jitter), so a
	// restarted monitor knows the state in seconds, not after a whole interval.
	RunAtStart bool
	// Vantage, Provider and Check label what the job probes, for Options.OnSkip and the log;
	// empty for jobs that are not probes.
	Vantage, Provider, Check string
}

// Options configure a Scheduler.
type Options struct {
	Jitter      time.Duration  // maximum random delay before a run (capped at half the job's interval)
	Concurrency map[string]int // per pool; pools not listed use DefaultConcurrency
	// DefaultConcurrency bounds running jobs of a pool not in Concurrency; default 8.
	DefaultConcurrency int
	Logger             *slog.Logger
	Now                func() time.Time
	// Rand returns a random duration in [0, n); default math/rand/v2.
	Rand func(n int64) int64
	// OnSkip, when set, is called for every skipped run (the job's previous run still in
	// flight), from the cron goroutine: it must not block.
	OnSkip func(Job)
}

// Stats count what the scheduler did.
type Stats struct {
	Started, Skipped, Finished uint64
}

// Scheduler owns a cron and the goroutines of its jobs.
type Scheduler struct {
	o      Options
	cron   *cron.Cron
	pools  map[string]chan struct{}
	ctx    context.Context
	cancel context.CancelFunc
	// atStart are the jobs to fire once on Start; initial tracks those runs for Stop.
	atStart []func()
	initial sync.WaitGroup

	started, skipped, finished atomic.Uint64
}

// New returns a stopped Scheduler.
func New(o Options) *Scheduler {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Rand == nil {
		o.Rand = rand.Int64N
	}
	if o.DefaultConcurrency <= 0 {
		o.DefaultConcurrency = 8
	}
	l := cronLogger{o.Logger.With("component", "schedule")}
	s := &Scheduler{
		o:     o,
		pools: map[string]chan struct{}{},
		cron:  cron.New(cron.WithLocation(time.UTC), cron.WithLogger(l), cron.WithChain(cron.Recover(l))),
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s
}

// Add registers a job. Jobs may be added before or after Start.
func (s *Scheduler) Add(j Job) error {
	if j.Schedule == nil || j.Run == nil {
		return fmt.Errorf("schedule: job %q needs a schedule and a run function", j.Key)
	}
	pool, ok := s.pools[j.Pool]
	if !ok {
		n := s.o.DefaultConcurrency
		if c := s.o.Concurrency[j.Pool]; c > 0 {
			n = c
		}
		pool = make(chan struct{}, n)
		s.pools[j.Pool] = pool
	}
	jitter := s.o.Jitter
	now := s.o.Now()
	if next := j.Schedule.Next(now); !next.IsZero() {
		if half := j.Schedule.Next(next).Sub(next) / 2; half < jitter {
			jitter = half
		}
	}
	st := &jobState{}
	fire := func() {
		scheduled := s.o.Now()
		if !s.claim(j, st, scheduled) {
			return
		}
		defer s.release(j, st)
		s.run(j, pool, jitter, scheduled)
	}
	s.cron.Schedule(j.Schedule, cron.FuncJob(fire))
	if j.RunAtStart {
		s.atStart = append(s.atStart, fire)
	}
	return nil
}

// jobState is one job's run in flight and the streak of runs skipped behind it.
type jobState struct {
	mu      sync.Mutex
	busy    bool
	since   time.Time // when the run in flight fired
	skipped int       // runs skipped since it started
}

// claim marks j running, or counts (and, first in a streak, logs) a skipped run.
func (s *Scheduler) claim(j Job, st *jobState, now time.Time) bool {
	st.mu.Lock()
	if !st.busy {
		st.busy, st.since, st.skipped = true, now, 0
		st.mu.Unlock()
		return true
	}
	st.skipped++
	first, since := st.skipped == 1, st.since
	st.mu.Unlock()
	s.skipped.Add(1)
	if s.o.OnSkip != nil {
		s.o.OnSkip(j)
	}
	if first {
		s.o.Logger.Warn("probe still running; skipping its runs until it ends", jobAttrs(j,
			"running_for", now.Sub(since).Round(time.Millisecond))...)
	}
	return false
}

// release ends j's run and closes a streak of skipped runs with one line.
func (s *Scheduler) release(j Job, st *jobState) {
	st.mu.Lock()
	n, since := st.skipped, st.since
	st.busy, st.skipped = false, 0
	st.mu.Unlock()
	if n > 0 {
		s.o.Logger.Info("probe run ended; runs skipped while it ran", jobAttrs(j,
			"skipped", n, "ran_for", s.o.Now().Sub(since).Round(time.Millisecond))...)
	}
}

func jobAttrs(j Job, kv ...any) []any {
	out := []any{"job", j.Key}
	if j.Vantage != "" {
		out = append(out, "vantage", j.Vantage)
	}
	if j.Provider != "" {
		out = append(out, "provider", j.Provider)
	}
	if j.Check != "" {
		out = append(out, "check", j.Check)
	}
	return append(out, kv...)
}

func (s *Scheduler) run(j Job, pool chan struct{}, jitter time.Duration, scheduled time.Time) {
	if jitter > 0 {
		t := time.NewTimer(time.Duration(s.o.Rand(int64(jitter))))
		select {
		case <-t.C:
		case <-s.ctx.Done():
			t.Stop()
			return
		}
	}
	select {
	case pool <- struct{}{}:
		defer func() { <-pool }()
	case <-s.ctx.Done():
		return
	}
	ctx := s.ctx
	if j.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, j.Timeout)
		defer cancel()
	}
	s.started.Add(1)
	j.Run(ctx, scheduled)
	s.finished.Add(1)
}

// Start begins firing jobs, and runs those marked RunAtStart once now.
func (s *Scheduler) Start() {
	s.cron.Start()
	for _, fire := range s.atStart {
		s.initial.Add(1)
		go func() {
			defer s.initial.Done()
			fire()
		}()
	}
	s.atStart = nil
}

// Stop stops firing jobs and waits for running ones until ctx is done, then cancels them and
// waits for them to return. It reports ctx's error when it had to cancel.
func (s *Scheduler) Stop(ctx context.Context) error {
	stopped := s.cron.Stop() // done when every running job has returned
	initial := make(chan struct{})
	go func() { s.initial.Wait(); close(initial) }()
	select {
	case <-stopped.Done():
	case <-ctx.Done():
	}
	select {
	case <-initial:
	case <-ctx.Done():
	}
	s.cancel()
	<-stopped.Done()
	<-initial
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("schedule: stop: cancelled running probes: %w", err)
	}
	return nil
}

// Stats returns counters since New.
func (s *Scheduler) Stats() Stats {
	return Stats{Started: s.started.Load(), Skipped: s.skipped.Load(), Finished: s.finished.Load()}
}

// cronLogger adapts slog to cron's logr-style Logger.
type cronLogger struct{ l *slog.Logger }

func (c cronLogger) Info(msg string, kv ...any) { c.l.Debug(msg, kv...) }
func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error(msg, append(kv, "err", err)...)
}
