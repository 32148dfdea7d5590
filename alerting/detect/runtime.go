package detect

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
)

// StateKey names the engine's snapshot in the state store.
const StateKey = "detect"

// StateStore is where a Runtime keeps what detection decides: transitions, events, and the
// engine's own snapshot. The collector's store is one.
type StateStore interface {
	LoadState(ctx context.Context, key string) ([]byte, bool, error)
	SaveState(ctx context.Context, key string, value []byte) error
	AddTransitions(ctx context.Context, ts []model.Transition) error
	UpsertEvents(ctx context.Context, es []model.Event) error
}

// Runtime drives an Engine for a running service: it serialises access to it (the engine is not
// safe for concurrent use), persists what it decides — events, transitions and, periodically,
// its own snapshot — and hands event updates on.
type Runtime struct {
	mu    sync.Mutex
	eng   *Engine
	dirty bool
	// flushEvery is how often run judges the rounds that have settled.
	flushEvery time.Duration

	store   StateStore
	log     *slog.Logger
	updates func([]model.EventUpdate)
}

// NewRuntime restores eng from st's snapshot, if there is one; updates receives every event
// update, in the order the engine decided them.
func NewRuntime(ctx context.Context, eng *Engine, st StateStore, log *slog.Logger, updates func([]model.EventUpdate)) (*Runtime, error) {
	d := &Runtime{eng: eng, store: st, log: log, updates: updates, flushEvery: 100 * time.Millisecond}
	snap, ok, err := st.LoadState(ctx, StateKey)
	if err != nil {
		return nil, err
	}
	if ok {
		if err := eng.Restore(snap); err != nil {
			// A snapshot we cannot read must not stop monitoring: states are relearnt from the next
			// rounds; open events stay in the store.
			log.Error("detection state unreadable; starting fresh", "err", err)
		} else {
			log.Info("detection state restored", "open_events", len(eng.OpenEvents()))
		}
	}
	return d, nil
}

// Pending re-announces every open event as opened: the notification log drops what each receiver
// already has, so an event opened just before a crash is still announced, and nothing twice.
func (d *Runtime) Pending() []model.EventUpdate {
	d.mu.Lock()
	defer d.mu.Unlock()
	var us []model.EventUpdate
	for _, e := range d.eng.OpenEvents() {
		us = append(us, model.EventUpdate{Phase: model.PhaseOpened, Seq: 1, Event: e})
	}
	return us
}

// Observe feeds one batch of results and persists and forwards what changed. The lock is held
// until the updates are stored and handed on: batches from concurrent probes must reach the
// store and the notifiers in the order the engine decided them, or a late "updated" could land
// after the "closed" that followed it.
// It reports whether any state changed.
func (d *Runtime) Observe(ctx context.Context, rs []model.Result) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	us := d.eng.ObserveBatch(rs)
	ts := d.eng.Transitions()
	changed := len(us) > 0 || len(ts) > 0
	if changed {
		d.dirty = true
	}
	d.persist(ctx, us, ts)
	return changed
}

// persist stores transitions and events and hands the updates on; d.mu is held.
func (d *Runtime) persist(ctx context.Context, us []model.EventUpdate, ts []model.Transition) {
	if len(ts) > 0 {
		if err := d.store.AddTransitions(ctx, ts); err != nil {
			d.log.Error("storing transitions", "err", err)
		}
	}
	if len(us) == 0 {
		return
	}
	es := make([]model.Event, 0, len(us))
	for _, u := range us {
		es = append(es, u.Event)
	}
	if err := d.store.UpsertEvents(ctx, es); err != nil {
		d.log.Error("storing events", "err", err)
	}
	for _, u := range us {
		e := u.Event
		d.log.Info("event", "phase", u.Phase, "kind", e.Kind, "scope", e.Scope, "provider", e.Provider,
			"model", e.Model, "vantage", e.Vantage, "regions", e.Regions, "signature", e.Signature, "incident", e.IncidentID)
	}
	if d.updates != nil {
		d.updates(us)
	}
}

// Status is the current state of every (provider, model, region).
func (d *Runtime) Status() []model.TargetStatus {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.eng.Status()
}

// Vantages is every vantage's health as detection sees it.
func (d *Runtime) Vantages() []VantageHealth {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.eng.Vantages()
}

// Save writes the engine's snapshot when something changed since the last save.
func (d *Runtime) Save(ctx context.Context) {
	d.mu.Lock()
	if !d.dirty {
		d.mu.Unlock()
		return
	}
	snap, err := d.eng.Snapshot()
	d.dirty = false
	d.mu.Unlock()
	if err == nil {
		err = d.store.SaveState(ctx, StateKey, snap)
	}
	if err != nil {
		d.log.Error("saving detection state", "err", err)
		d.mu.Lock()
		d.dirty = true
		d.mu.Unlock()
	}
}

// Flush judges the rounds that have settled and persists and forwards what they decided.
func (d *Runtime) Flush(ctx context.Context) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if us := d.eng.Flush(); len(us) > 0 {
		d.dirty = true
		d.persist(ctx, us, d.eng.Transitions())
	}
}

// Run saves snapshots every saveEvery, judges settled rounds every flushEvery and sends
// reminders for long events until ctx is done, then saves a last time.
func (d *Runtime) Run(ctx context.Context, saveEvery, remindEvery time.Duration) {
	save := time.NewTicker(saveEvery)
	defer save.Stop()
	flush := time.NewTicker(d.flushEvery)
	defer flush.Stop()
	var remind <-chan time.Time
	if remindEvery > 0 {
		t := time.NewTicker(min(remindEvery, time.Minute))
		defer t.Stop()
		remind = t.C
	}
	for {
		select {
		case <-ctx.Done():
			d.Save(context.WithoutCancel(ctx))
			return
		case <-save.C:
			d.Save(ctx)
		case <-flush.C:
			d.Flush(ctx)
		case <-remind:
			d.mu.Lock()
			d.persist(ctx, d.eng.Reminders(remindEvery), nil)
			d.mu.Unlock()
		}
	}
}
