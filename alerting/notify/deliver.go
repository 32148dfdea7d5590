package notify

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/accesswatch/accesswatch/internal/backoff"
	"github.com/accesswatch/accesswatch/internal/model"
)

// worker holds one receiver's queue of groups, delivered one at a time and in order.
type worker struct {
	n    Notifier
	wake chan struct{}

	mu     sync.Mutex
	q      []Group
	closed bool
}

func (w *worker) push(g Group) {
	w.mu.Lock()
	w.q = append(w.q, g)
	w.mu.Unlock()
	w.signal()
}

func (w *worker) close() {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	w.signal()
}

func (w *worker) reset() {
	w.mu.Lock()
	w.closed = false
	w.mu.Unlock()
}

func (w *worker) signal() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// pop returns the next group; done when the queue is empty and closed.
func (w *worker) pop() (g Group, ok, done bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.q) == 0 {
		return Group{}, false, w.closed
	}
	g = w.q[0]
	w.q = w.q[1:]
	return g, true, false
}

// work delivers w's groups until its queue is closed and empty, or ctx ends (what is left then
// counts as failed).
func (d *Dispatcher) work(ctx context.Context, w *worker) {
	for {
		if ctx.Err() != nil {
			for {
				g, ok, _ := w.pop()
				if !ok {
					return
				}
				d.count(w.n.Name(), func(s *ReceiverStats) { s.Failed++ })
				d.log.Error("notification not sent before shutdown", "receiver", w.n.Name(),
					"incident", g.IncidentID, "phase", g.Phase)
			}
		}
		g, ok, done := w.pop()
		if ok {
			d.deliver(ctx, w.n, g)
			continue
		}
		if done {
			return
		}
		select {
		case <-w.wake:
		case <-ctx.Done():
		}
	}
}

// deliver sends what of g the receiver has not had yet and silences do not mute, then records
// it in the log. The phase is the receiver's: a receiver that has no notification of the incident
// yet (its route matched none of the incident's earlier events, or they were silenced) gets this
// one as the opening; one that has (a replay after a restart) gets an opening as an update.
func (d *Dispatcher) deliver(ctx context.Context, n Notifier, g Group) {
	name := n.Name()
	l := d.log.With("receiver", name, "incident", g.IncidentID, "phase", g.Phase)
	now := d.o.Now()
	var todo []model.EventUpdate
	var dup, muted int
	for _, u := range g.Updates {
		_, sent, err := d.o.Log.Get(ctx, name, UpdateKey(u))
		if err != nil {
			// A duplicate is better than a lost alert.
			l.Warn("notification log unreadable, sending anyway", "key", UpdateKey(u), "err", err)
		}
		switch {
		case sent:
			dup++
		case d.silenced(&u.Event, now):
			muted++
		default:
			todo = append(todo, u)
		}
	}
	d.count(name, func(s *ReceiverStats) { s.Deduplicated += dup; s.Suppressed += muted })
	if muted > 0 {
		l.Info("updates silenced", "updates", muted)
	}
	if len(todo) == 0 {
		return
	}
	g.Updates = todo
	ref, known := "", false
	if e, ok, err := d.o.Log.Get(ctx, name, IncidentKey(g.IncidentID)); err != nil {
		l.Warn("notification log unreadable, not threading", "err", err)
	} else if ok {
		ref, known = e.Ref, true
	}
	switch {
	case g.Phase == model.PhaseOpened && known:
		g.Phase = model.PhaseUpdated
	case g.Phase == model.PhaseUpdated && !known:
		g.Phase = model.PhaseOpened
	}
	if _, err := d.send(ctx, l, name, n, g, ref, known); err != nil {
		d.count(name, func(s *ReceiverStats) { s.Failed++ })
		l.Error("notification failed", "updates", len(todo), "err", err)
		return
	}
	d.count(name, func(s *ReceiverStats) { s.Notifications++ })
}

func (d *Dispatcher) silenced(e *model.Event, now time.Time) bool {
	for _, s := range d.o.Silences {
		if s.Mutes(e, now) {
			return true
		}
	}
	return false
}

// record writes the log after a successful send of us (all of g, or the part a PartialError
// says went out). It outlives a cancelled ctx (briefly): the message is out, and forgetting that
// would repeat it after a restart. The incident entry is written on the receiver's first
// notification of the incident, and again when it brings the first thread reference.
func (d *Dispatcher) record(ctx context.Context, l *slog.Logger, name string, g Group, us []model.EventUpdate, ref, newRef string, known bool) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	e := Entry{SentAt: d.o.Now(), Ref: newRef}
	for _, u := range us {
		if err := d.o.Log.Put(ctx, name, UpdateKey(u), e); err != nil {
			l.Error("notification log write failed", "key", UpdateKey(u), "err", err)
		}
	}
	d.count(name, func(s *ReceiverStats) { s.Sent += len(us) })
	if !known || (ref == "" && newRef != "") {
		if err := d.o.Log.Put(ctx, name, IncidentKey(g.IncidentID), e); err != nil {
			l.Error("notification log write failed", "key", IncidentKey(g.IncidentID), "err", err)
		}
	}
}

// send calls Notify until it succeeds, fails permanently, runs out of attempts or ctx ends, and
// records what went out. After a PartialError it records the updates delivered and retries only
// the rest. It logs a failure only when its text changes, so a flapping receiver does not flood
// the log.
func (d *Dispatcher) send(ctx context.Context, l *slog.Logger, name string, n Notifier, g Group, ref string, known bool) (string, error) {
	retry := backoff.Policy{Initial: d.o.Backoff, Max: d.o.MaxBackoff, Hint: backoff.Instead, MaxHint: MaxRetryAfter}
	last := ""
	for attempt := 1; ; attempt++ {
		newRef, err := n.Notify(ctx, g, ref)
		if err == nil {
			d.record(ctx, l, name, g, g.Updates, ref, newRef, known)
			return newRef, nil
		}
		if k := min(sentBefore(err), len(g.Updates)); k > 0 {
			d.record(ctx, l, name, g, g.Updates[:k], ref, "", known)
			known = true
			g.Updates = slices.Clone(g.Updates[k:])
			if len(g.Updates) == 0 {
				return "", nil
			}
		}
		if IsPermanent(err) {
			return "", fmt.Errorf("permanent failure after %d attempts: %w", attempt, err)
		}
		if attempt >= d.o.MaxAttempts {
			return "", fmt.Errorf("giving up after %d attempts: %w", attempt, err)
		}
		wait := retry.Wait(attempt-1, RetryAfter(err))
		if msg := err.Error(); msg != last {
			last = msg
			l.Warn("notification attempt failed, retrying", "attempt", attempt, "wait", wait, "err", err)
		}
		if serr := d.o.Sleep(ctx, wait); serr != nil {
			return "", fmt.Errorf("retry canceled after %d attempts: %w", attempt, err)
		}
		d.count(name, func(s *ReceiverStats) { s.Retried++ })
	}
}
