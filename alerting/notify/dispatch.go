package notify

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
)

// Defaults of Options.
const (
	DefaultGroupWait   = time.Second
	DefaultMaxAttempts = 6
	DefaultBackoff     = 500 * time.Millisecond
	DefaultMaxBackoff  = 30 * time.Second
	DefaultGrace       = 5 * time.Second
	// MaxRetryAfter caps a receiver's Retry-After, so one answer cannot stall a receiver for hours.
	MaxRetryAfter = 10 * time.Minute
	// maxInbox bounds the updates waiting for Run; Submit drops (and counts) beyond it.
	maxInbox = 10000
)

// Options configure a Dispatcher. Zero values take the defaults above.
type Options struct {
	Notifiers []Notifier
	Routes    []Route // no routes = every update to every notifier
	Silences  []Silence
	Log       Log // nil: an in-memory log (no dedup across restarts)

	GroupWait   time.Duration // collect updates of one incident+phase this long before sending
	MaxAttempts int           // attempts per notification, the first included
	Backoff     time.Duration // first wait between attempts, doubled each time
	MaxBackoff  time.Duration // cap of the doubling
	Grace       time.Duration // how long Run keeps delivering once its context ends

	Now    func() time.Time
	Logger *slog.Logger
	Sleep  func(ctx context.Context, d time.Duration) error // waits between attempts
}

// ReceiverStats counts one receiver's deliveries. Notifications, Failed and Retried count
// messages (Notify calls); Sent, Suppressed and Deduplicated count updates.
type ReceiverStats struct {
	Notifications int // successful Notify calls
	Sent          int // updates announced by them
	Failed        int // notifications given up (permanent error, attempts or time exhausted)
	Retried       int // attempts after the first
	Suppressed    int // updates muted by a silence
	Deduplicated  int // updates skipped because the log says they were sent
}

// Stats is a snapshot of a Dispatcher's counters.
type Stats struct {
	Receivers map[string]ReceiverStats
	Dropped   int // updates Submit refused because the queue was full
}

// Dispatcher groups, routes, silences, deduplicates and delivers event updates.
type Dispatcher struct {
	o       Options
	log     *slog.Logger
	names   []string
	workers map[string]*worker
	running atomic.Bool

	mu      sync.Mutex
	inbox   []model.EventUpdate
	stats   map[string]*ReceiverStats
	dropped int
	wake    chan struct{}
}

// New builds a Dispatcher. Configuration problems (see Options.Validate) are logged; receivers
// with a duplicate name after the first are ignored.
func New(o Options) *Dispatcher {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if err := o.Validate(); err != nil {
		o.Logger.Warn("notification settings", "err", err)
	}
	o.GroupWait = orDefault(o.GroupWait, DefaultGroupWait)
	o.Backoff = orDefault(o.Backoff, DefaultBackoff)
	o.MaxBackoff = orDefault(o.MaxBackoff, DefaultMaxBackoff)
	o.Grace = orDefault(o.Grace, DefaultGrace)
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.Log == nil {
		o.Log = NewMemLog()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = sleep
	}
	d := &Dispatcher{
		o:       o,
		log:     o.Logger.With("component", "notify"),
		workers: map[string]*worker{},
		stats:   map[string]*ReceiverStats{},
		wake:    make(chan struct{}, 1),
	}
	for _, n := range o.Notifiers {
		if n == nil || d.workers[n.Name()] != nil {
			continue
		}
		d.names = append(d.names, n.Name())
		d.workers[n.Name()] = &worker{n: n, wake: make(chan struct{}, 1)}
		d.stats[n.Name()] = &ReceiverStats{}
	}
	return d
}

func orDefault(v, def time.Duration) time.Duration {
	if v <= 0 {
		return def
	}
	return v
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Submit queues updates for delivery without blocking.
func (d *Dispatcher) Submit(us ...model.EventUpdate) {
	if len(us) == 0 {
		return
	}
	d.mu.Lock()
	room := max(0, maxInbox-len(d.inbox))
	if len(us) > room {
		d.dropped += len(us) - room
		d.log.Error("notification queue full, updates dropped", "dropped", len(us)-room)
		us = us[:room]
	}
	d.inbox = append(d.inbox, us...)
	d.mu.Unlock()
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Stats returns a snapshot of the counters.
func (d *Dispatcher) Stats() Stats {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := Stats{Receivers: make(map[string]ReceiverStats, len(d.stats)), Dropped: d.dropped}
	for n, r := range d.stats {
		s.Receivers[n] = *r
	}
	return s
}

func (d *Dispatcher) count(receiver string, f func(*ReceiverStats)) {
	d.mu.Lock()
	defer d.mu.Unlock()
	f(d.stats[receiver])
}

type groupKey struct{ incident, phase string }

// pending is a group still collecting updates.
type pending struct {
	order    int // arrival order, so groups due together go out in the order they began
	deadline time.Time
	keys     map[string]bool
	updates  []model.EventUpdate
}

// Run delivers until ctx ends; then it sends the groups still collecting at once and keeps
// delivering for at most Grace. It returns nil then, or an error if it was already running.
func (d *Dispatcher) Run(ctx context.Context) error {
	if !d.running.CompareAndSwap(false, true) {
		return errors.New("notify: dispatcher already running")
	}
	defer d.running.Store(false)
	wctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	defer stop()
	var wg sync.WaitGroup
	for _, name := range d.names {
		w := d.workers[name]
		w.reset()
		wg.Go(func() { d.work(wctx, w) })
	}
	groups := map[groupKey]*pending{}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	order := 0
	for {
		select {
		case <-ctx.Done():
			d.take(groups, order)
			d.flush(groups, true)
			for _, w := range d.workers {
				w.close()
			}
			grace := time.AfterFunc(d.o.Grace, stop)
			wg.Wait()
			grace.Stop()
			return nil
		case <-d.wake:
			order = d.take(groups, order)
		case <-timer.C:
		}
		d.flush(groups, false)
		timer.Stop()
		if next, ok := earliest(groups); ok {
			timer.Reset(max(0, time.Until(next)))
		}
	}
}

// take moves the inbox into the collecting groups.
func (d *Dispatcher) take(groups map[groupKey]*pending, order int) int {
	d.mu.Lock()
	in := d.inbox
	d.inbox = nil
	d.mu.Unlock()
	for _, u := range in {
		if coalesce(groups, incidentOf(u), u) {
			continue
		}
		k := groupKey{incidentOf(u), u.Phase}
		p := groups[k]
		if p == nil {
			order++
			p = &pending{order: order, deadline: time.Now().Add(d.o.GroupWait), keys: map[string]bool{}}
			groups[k] = p
		}
		if key := UpdateKey(u); !p.keys[key] {
			p.keys[key] = true
			p.updates = append(p.updates, u)
		}
	}
	return order
}

// coalesce folds u into an update of the same event that is still collecting, so a revocation
// spreading over three regions within the group wait is one message with the three regions,
// not an opening and two updates: an opening or update not yet sent takes u's newer event, and
// a closing drops the updates waiting before it. It reports whether u was absorbed.
func coalesce(groups map[groupKey]*pending, incident string, u model.EventUpdate) bool {
	switch u.Phase {
	case model.PhaseUpdated:
		if p := groups[groupKey{incident, model.PhaseOpened}]; p != nil {
			if i := p.index(u.Event.ID); i >= 0 {
				p.updates[i].Event = u.Event // still announced as the opening (its key, seq 1)
				return true
			}
		}
		if p := groups[groupKey{incident, model.PhaseUpdated}]; p != nil {
			if i := p.index(u.Event.ID); i >= 0 {
				delete(p.keys, UpdateKey(p.updates[i]))
				p.updates[i] = u
				p.keys[UpdateKey(u)] = true
				return true
			}
		}
	case model.PhaseClosed:
		k := groupKey{incident, model.PhaseUpdated}
		if p := groups[k]; p != nil {
			if i := p.index(u.Event.ID); i >= 0 {
				delete(p.keys, UpdateKey(p.updates[i]))
				p.updates = slices.Delete(p.updates, i, i+1)
				if len(p.updates) == 0 {
					delete(groups, k)
				}
			}
		}
	}
	return false
}

// index is the position of the event's update in p, or -1.
func (p *pending) index(eventID string) int {
	return slices.IndexFunc(p.updates, func(x model.EventUpdate) bool { return x.Event.ID == eventID })
}

func earliest(groups map[groupKey]*pending) (time.Time, bool) {
	var t time.Time
	for _, p := range groups {
		if t.IsZero() || p.deadline.Before(t) {
			t = p.deadline
		}
	}
	return t, !t.IsZero()
}

// flush routes the due groups (all of them when all is set) to the receivers' workers.
func (d *Dispatcher) flush(groups map[groupKey]*pending, all bool) {
	now := time.Now()
	var due []groupKey
	for k, p := range groups {
		if all || !now.Before(p.deadline) {
			due = append(due, k)
		}
	}
	slices.SortFunc(due, func(a, b groupKey) int { return groups[a].order - groups[b].order })
	at := d.o.Now()
	for _, k := range due {
		per := map[string][]model.EventUpdate{}
		for _, u := range groups[k].updates {
			for _, r := range receiversFor(d.o.Routes, d.names, &u.Event) {
				per[r] = append(per[r], u)
			}
		}
		delete(groups, k)
		for _, name := range d.names {
			if us := per[name]; len(us) > 0 {
				d.workers[name].push(Group{IncidentID: k.incident, Phase: k.phase, Updates: us, At: at})
			}
		}
	}
}
