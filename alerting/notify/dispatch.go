package notify

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
)

// Defaults of Options.
const (
	DefaultGroupWait     = time.Second
	DefaultGroupInterval = time.Minute
	DefaultMaxAttempts   = 6
	DefaultBackoff       = 500 * time.Millisecond
	DefaultMaxBackoff    = 30 * time.Second
	DefaultGrace         = 5 * time.Second
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

	GroupWait time.Duration // collect an incident's first updates this long before sending
	// GroupInterval is the least time between two notifications of one incident (its end
	// excepted, which waits only GroupWait): changes in between are coalesced into the next.
	GroupInterval time.Duration
	// PublicURL is the collector's public base URL (https://watch.example.org); notifications
	// link to PublicURL + /incidents/{id}. Empty: they carry the path only.
	PublicURL string

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
	o.GroupInterval = orDefault(o.GroupInterval, DefaultGroupInterval)
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

// incident is what the dispatcher knows of one incident: its open events, whether anything of it
// was flushed, when, and the updates waiting for the next notification.
type incident struct {
	id        string
	open      map[string]bool // ids of the incident's events seen open and not seen closed
	announced bool            // a notification of the incident has been flushed
	lastFlush time.Time       // when (dispatcher clock) it was
	pend      *pending        // nil when nothing waits
}

// pending is the next notification of an incident, still collecting updates.
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
	incidents := map[string]*incident{}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	order := 0
	for {
		select {
		case <-ctx.Done():
			d.take(incidents, order)
			d.flush(incidents, true)
			for _, w := range d.workers {
				w.close()
			}
			grace := time.AfterFunc(d.o.Grace, stop)
			wg.Wait()
			grace.Stop()
			return nil
		case <-d.wake:
			order = d.take(incidents, order)
		case <-timer.C:
		}
		d.flush(incidents, false)
		timer.Stop()
		if next, ok := earliest(incidents); ok {
			timer.Reset(max(0, time.Until(next)))
		}
	}
}

// take moves the inbox into the incidents' pending notifications.
func (d *Dispatcher) take(incidents map[string]*incident, order int) int {
	d.mu.Lock()
	in := d.inbox
	d.inbox = nil
	d.mu.Unlock()
	now := time.Now()
	for _, u := range in {
		id := incidentOf(u)
		inc := incidents[id]
		if inc == nil {
			inc = &incident{id: id, open: map[string]bool{}}
			incidents[id] = inc
		}
		if u.Phase == model.PhaseClosed {
			delete(inc.open, u.Event.ID)
		} else {
			inc.open[u.Event.ID] = true
		}
		p := inc.pend
		if p == nil {
			order++
			p = &pending{order: order, deadline: d.deadline(inc, u, now), keys: map[string]bool{}}
			inc.pend = p
		} else if u.Phase == model.PhaseClosed && len(inc.open) == 0 {
			// The incident's end is the news people wait for: it goes out after the group
			// wait, not after the rest of a group interval.
			p.deadline = minTime(p.deadline, now.Add(d.o.GroupWait))
		}
		if p.coalesce(u) {
			continue
		}
		if key := UpdateKey(u); !p.keys[key] {
			p.keys[key] = true
			p.updates = append(p.updates, u)
		}
	}
	return order
}

// deadline is when a notification that begins with u is due: GroupWait after it for an
// incident not announced yet (or for its end), and no earlier than GroupInterval after the
// incident's previous notification otherwise, so a flapping vendor yields at most one
// notification per incident and group interval.
func (d *Dispatcher) deadline(inc *incident, u model.EventUpdate, now time.Time) time.Time {
	t := now.Add(d.o.GroupWait)
	if !inc.announced || (u.Phase == model.PhaseClosed && len(inc.open) == 0) {
		return t
	}
	if next := inc.lastFlush.Add(d.o.GroupInterval); next.After(t) {
		return next
	}
	return t
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// coalesce folds u into an unsent update of the same event, so an event that changes several
// times before its incident's next notification is announced once, as it is now: an unsent
// opening or update takes u's newer event (an opening keeps its key, seq 1), a reminder gives way
// to anything else, and a closing drops the unsent updates and reminders before it (an unsent
// opening stays, so an event that opened and ended between two notifications is still
// announced). It reports whether u was absorbed.
func (p *pending) coalesce(u model.EventUpdate) bool {
	switch u.Phase {
	case model.PhaseUpdated:
		if i := p.index(u.Event.ID, model.PhaseOpened); i >= 0 {
			p.updates[i].Event = u.Event
			return true
		}
		if i := p.index(u.Event.ID, model.PhaseUpdated, model.PhaseReminder); i >= 0 {
			p.replace(i, u)
			return true
		}
	case model.PhaseReminder:
		// Anything else pending for the event says more than "still open".
		return p.index(u.Event.ID, model.PhaseOpened, model.PhaseUpdated, model.PhaseReminder, model.PhaseClosed) >= 0
	case model.PhaseClosed:
		for {
			i := p.index(u.Event.ID, model.PhaseUpdated, model.PhaseReminder)
			if i < 0 {
				break
			}
			delete(p.keys, UpdateKey(p.updates[i]))
			p.updates = slices.Delete(p.updates, i, i+1)
		}
	}
	return false
}

func (p *pending) replace(i int, u model.EventUpdate) {
	delete(p.keys, UpdateKey(p.updates[i]))
	p.updates[i] = u
	p.keys[UpdateKey(u)] = true
}

// index is the position of the event's update in one of the phases in p, or -1.
func (p *pending) index(eventID string, phases ...string) int {
	return slices.IndexFunc(p.updates, func(x model.EventUpdate) bool {
		return x.Event.ID == eventID && slices.Contains(phases, x.Phase)
	})
}

func earliest(incidents map[string]*incident) (time.Time, bool) {
	var t time.Time
	for _, inc := range incidents {
		if p := inc.pend; p != nil && (t.IsZero() || p.deadline.Before(t)) {
			t = p.deadline
		}
	}
	return t, !t.IsZero()
}

// phaseOf is the phase of an incident's notification: closed when no event of it is open any
// more, reminder when it only repeats open events, opened when it is the incident's first,
// updated otherwise. deliver refines it per receiver (see Dispatcher.deliver).
func phaseOf(inc *incident, us []model.EventUpdate) string {
	switch {
	case len(inc.open) == 0:
		return model.PhaseClosed
	case !slices.ContainsFunc(us, func(u model.EventUpdate) bool { return u.Phase != model.PhaseReminder }):
		return model.PhaseReminder
	case !inc.announced:
		return model.PhaseOpened
	}
	return model.PhaseUpdated
}

// flush routes the due notifications (all of them when all is set) to the receivers' workers.
func (d *Dispatcher) flush(incidents map[string]*incident, all bool) {
	now := time.Now()
	var due []*incident
	for _, inc := range incidents {
		if p := inc.pend; p != nil && (all || !now.Before(p.deadline)) {
			due = append(due, inc)
		}
	}
	slices.SortFunc(due, func(a, b *incident) int { return a.pend.order - b.pend.order })
	at := d.o.Now()
	for _, inc := range due {
		us := inc.pend.updates
		phase := phaseOf(inc, us)
		inc.pend, inc.announced, inc.lastFlush = nil, true, now
		if phase == model.PhaseClosed {
			delete(incidents, inc.id)
		}
		per := map[string][]model.EventUpdate{}
		for _, u := range us {
			for _, r := range receiversFor(d.o.Routes, d.names, &u.Event) {
				per[r] = append(per[r], u)
			}
		}
		url, path := d.link(inc.id)
		for _, name := range d.names {
			if rs := per[name]; len(rs) > 0 {
				d.workers[name].push(Group{IncidentID: inc.id, Phase: phase, Updates: rs, At: at, URL: url, Path: path})
			}
		}
	}
}

// link is the incident page: its absolute URL when PublicURL is set ("" otherwise) and its path
// on the collector.
func (d *Dispatcher) link(id string) (abs, path string) {
	path = IncidentPath(id)
	if d.o.PublicURL != "" {
		abs = strings.TrimSuffix(d.o.PublicURL, "/") + path
	}
	return abs, path
}

// IncidentPath is the path of an incident's page on the collector: /incidents/{id}.
func IncidentPath(id string) string { return "/incidents/" + url.PathEscape(id) }
