package app

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/accesswatch/accesswatch/alerting/detect"
	"github.com/accesswatch/accesswatch/collector/store"
	"github.com/accesswatch/accesswatch/internal/config"
	"github.com/accesswatch/accesswatch/internal/model"
)

// settleFor is detection's round (detect.Options.Settle): how long the results of one
// schedule tick take to arrive from every vantage. Probes of one tick start up to the probing
// jitter apart and answer within about a second of each other; a collector also waits for
// agents' pushes (agent.flush_interval, default 1 s).
func settleFor(cfg *config.Config, mode string) time.Duration {
	d := cfg.Probing.Jitter.D() + time.Second
	if mode == config.ModeCollector {
		d += time.Second
	}
	return d
}

// stateKey names the detection engine's snapshot in the store.
const stateKey = "detect"

// detector serialises access to the detection engine (which is not safe for concurrent use),
// persists what it decides — events, transitions and, periodically, its own snapshot — and
// hands event updates on.
type detector struct {
	mu    sync.Mutex
	eng   *detect.Engine
	dirty bool
	// flushEvery is how often run judges the rounds that have settled.
	flushEvery time.Duration

	store   *store.Store
	log     *slog.Logger
	updates func([]model.EventUpdate)
}

func newDetector(ctx context.Context, eng *detect.Engine, st *store.Store, log *slog.Logger, updates func([]model.EventUpdate)) (*detector, error) {
	d := &detector{eng: eng, store: st, log: log, updates: updates, flushEvery: 100 * time.Millisecond}
	snap, ok, err := st.LoadState(ctx, stateKey)
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

// pending re-announces every open event as opened: the notification log drops what each receiver
// already has, so an event opened just before a crash is still announced, and nothing twice.
func (d *detector) pending() []model.EventUpdate {
	d.mu.Lock()
	defer d.mu.Unlock()
	var us []model.EventUpdate
	for _, e := range d.eng.OpenEvents() {
		us = append(us, model.EventUpdate{Phase: model.PhaseOpened, Seq: 1, Event: e})
	}
	return us
}

// observe feeds one batch of results and persists and forwards what changed. The lock is held
// until the updates are stored and handed on: batches from concurrent probes must reach the
// store and the notifiers in the order the engine decided them, or a late "updated" could land
// after the "closed" that followed it.
// It reports whether any state changed.
func (d *detector) observe(ctx context.Context, rs []model.Result) bool {
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
func (d *detector) persist(ctx context.Context, us []model.EventUpdate, ts []model.Transition) {
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

// status is the current state of every (provider, model, region).
func (d *detector) status() []model.TargetStatus {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.eng.Status()
}

// vantages is every vantage's health as detection sees it.
func (d *detector) vantages() []detect.VantageHealth {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.eng.Vantages()
}

// save writes the engine's snapshot when something changed since the last save.
func (d *detector) save(ctx context.Context) {
	d.mu.Lock()
	if !d.dirty {
		d.mu.Unlock()
		return
	}
	snap, err := d.eng.Snapshot()
	d.dirty = false
	d.mu.Unlock()
	if err == nil {
		err = d.store.SaveState(ctx, stateKey, snap)
	}
	if err != nil {
		d.log.Error("saving detection state", "err", err)
		d.mu.Lock()
		d.dirty = true
		d.mu.Unlock()
	}
}

// flush judges the rounds that have settled and persists and forwards what they decided.
func (d *detector) flush(ctx context.Context) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if us := d.eng.Flush(); len(us) > 0 {
		d.dirty = true
		d.persist(ctx, us, d.eng.Transitions())
	}
}

// run saves snapshots every saveEvery, judges settled rounds every flushEvery and sends
// reminders for long events until ctx is done, then saves a last time.
func (d *detector) run(ctx context.Context, saveEvery, remindEvery time.Duration) {
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
			d.save(context.WithoutCancel(ctx))
			return
		case <-save.C:
			d.save(ctx)
		case <-flush.C:
			d.flush(ctx)
		case <-remind:
			d.mu.Lock()
			d.persist(ctx, d.eng.Reminders(remindEvery), nil)
			d.mu.Unlock()
		}
	}
}
