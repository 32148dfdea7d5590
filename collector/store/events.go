package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
)

// EventFilter selects events. Empty fields match everything; string fields match exactly.
// Kind is the kind an event opened as (and keeps); restored, recovered and retired, which are
// outcomes, select the ended events with that Outcome.
type EventFilter struct {
	Provider, Model, Kind string
	Outcome               string // how the event ended: restored, recovered, retired
	Region                string // matches an event whose Regions contain it
	Open                  *bool  // true: only open events; false: only ended ones
	// Since keeps the events active at or after it: open, or ended at or after Since.
	Since      time.Time
	IncidentID string
	Limit      int // <= 0 means DefaultLimit; capped at MaxLimit
}

// validateEvent rejects events the store cannot key or order.
func validateEvent(e *model.Event) error {
	if e.ID == "" {
		return errors.New("empty id")
	}
	if err := validTime("started_at", e.StartedAt); err != nil {
		return err
	}
	if e.EndedAt != nil {
		return validTime("ended_at", *e.EndedAt)
	}
	return nil
}

func validTime(name string, t time.Time) error {
	if t.IsZero() {
		return fmt.Errorf("zero %s", name)
	}
	if t.Before(minTime()) || t.After(maxTime()) {
		return fmt.Errorf("%s %s outside the years 1678 to 2262", name, t.Format(time.RFC3339))
	}
	return nil
}

// UpsertEvents stores es in one transaction, replacing any stored event with the same ID
// (the last of several with one ID wins) and its regions. An invalid event (empty ID, zero
// StartedAt, or a time outside the years 1678 to 2262) fails the whole call before
// anything is written.
func (s *Store) UpsertEvents(ctx context.Context, es []model.Event) error {
	if s.closed.Load() {
		return ErrClosed
	}
	if len(es) == 0 {
		return nil
	}
	docs := make([][]byte, len(es))
	for i := range es {
		if err := validateEvent(&es[i]); err != nil {
			return fmt.Errorf("store: event %d (id %q): %w", i, es[i].ID, err)
		}
		if IsOutcome(es[i].Kind) { // an event of the old meaning: store it as the contract reads
			es = slices.Clone(es)
			es[i] = normalizeEvent(es[i])
		}
		doc, err := json.Marshal(&es[i])
		if err != nil {
			return fmt.Errorf("store: encode event %q: %w", es[i].ID, err)
		}
		docs[i] = doc
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin upsert events: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	for i := range es {
		if err := upsertEvent(ctx, tx, &es[i], docs[i]); err != nil {
			return fmt.Errorf("store: upsert event %q: %w", es[i].ID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit upsert events: %w", err)
	}
	return nil
}

func upsertEvent(ctx context.Context, tx *sql.Tx, e *model.Event, doc []byte) error {
	var ended any // NULL while open
	if e.EndedAt != nil {
		ended = nanos(*e.EndedAt)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO events (id, incident_id, kind, condition, scope,
		provider, model, vantage, started_at, ended_at, updated_at, outcome, doc)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)
		ON CONFLICT (id) DO UPDATE SET incident_id = excluded.incident_id, kind = excluded.kind,
			condition = excluded.condition, scope = excluded.scope, provider = excluded.provider,
			model = excluded.model, vantage = excluded.vantage, started_at = excluded.started_at,
			ended_at = excluded.ended_at, updated_at = excluded.updated_at, outcome = excluded.outcome,
			doc = excluded.doc`,
		e.ID, e.IncidentID, e.Kind, e.Condition, e.Scope, e.Provider, e.Model, e.Vantage,
		nanos(e.StartedAt), ended, nanos(e.UpdatedAt), e.Outcome, doc); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM event_regions WHERE event_id = ?`, e.ID); err != nil {
		return err
	}
	for _, r := range e.Regions {
		if _, err := tx.ExecContext(ctx,
			`INSERT OR IGNORE INTO event_regions (event_id, region) VALUES (?, ?)`, e.ID, r); err != nil {
			return err
		}
	}
	return nil
}

// Events returns the events matching f, newest started first (then by ID descending).
func (s *Store) Events(ctx context.Context, f EventFilter) ([]model.Event, error) {
	if s.closed.Load() {
		return nil, ErrClosed
	}
	where, args := f.where()
	q := `SELECT doc FROM events` + where + ` ORDER BY started_at DESC, id DESC LIMIT ?`
	es, err := queryDocs[model.Event](ctx, s.db, "events", q, append(args, clampLimit(f.Limit))...)
	for i := range es {
		es[i] = normalizeEvent(es[i])
	}
	return es, err
}

// IsOutcome reports whether k names how an event ended (restored, recovered, retired) rather
// than a kind.
func IsOutcome(k string) bool {
	return k == model.EventRestored || k == model.EventRecovered || k == model.EventRetired
}

// normalizeEvent reads an event of the old meaning (closed with its kind rewritten to its
// outcome) as the contract says: Kind the kind it opened as, Outcome how it ended.
func normalizeEvent(e model.Event) model.Event {
	if !IsOutcome(e.Kind) {
		return e
	}
	e.Outcome = e.Kind
	switch {
	case e.Condition != "" && !IsOutcome(e.Condition):
		e.Kind = e.Condition
	case e.Outcome == model.EventRestored:
		e.Kind = model.EventRevoked
	case e.Outcome == model.EventRetired:
		e.Kind = model.EventDeprecation
	case e.Vantage != "":
		e.Kind = model.EventVantageFault
	case e.Scope == model.ScopeRegional:
		e.Kind = model.EventDegraded
	default:
		e.Kind = model.EventOutage
	}
	e.Condition = e.Kind
	return e
}

// Event returns the event with the given id, and false when there is none.
func (s *Store) Event(ctx context.Context, id string) (model.Event, bool, error) {
	if s.closed.Load() {
		return model.Event{}, false, ErrClosed
	}
	es, err := queryDocs[model.Event](ctx, s.db, "event", `SELECT doc FROM events WHERE id = ?`, id)
	if err != nil || len(es) == 0 {
		return model.Event{}, false, err
	}
	return normalizeEvent(es[0]), true, nil
}

// where builds the WHERE clause; values are always bound, never spliced.
func (f *EventFilter) where() (string, []any) {
	var conds []string
	var args []any
	eq := func(col, v string) {
		if v != "" {
			conds = append(conds, col+" = ?")
			args = append(args, v)
		}
	}
	eq("provider", f.Provider)
	eq("model", f.Model)
	if IsOutcome(f.Kind) { // "kind=restored": the closing of the events it follows
		eq("outcome", f.Kind)
	} else {
		eq("kind", f.Kind)
	}
	eq("outcome", f.Outcome)
	eq("incident_id", f.IncidentID)
	if f.Region != "" {
		conds = append(conds, "id IN (SELECT event_id FROM event_regions WHERE region = ?)")
		args = append(args, f.Region)
	}
	if f.Open != nil {
		if *f.Open {
			conds = append(conds, "ended_at IS NULL")
		} else {
			conds = append(conds, "ended_at IS NOT NULL")
		}
	}
	if !f.Since.IsZero() {
		conds = append(conds, "(ended_at IS NULL OR ended_at >= ?)")
		args = append(args, nanos(f.Since))
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// AddTransitions appends ts to the transition log in one transaction. A transition with
// a zero At, or one outside the years 1678 to 2262, fails the whole call.
func (s *Store) AddTransitions(ctx context.Context, ts []model.Transition) error {
	if s.closed.Load() {
		return ErrClosed
	}
	if len(ts) == 0 {
		return nil
	}
	docs := make([][]byte, len(ts))
	for i := range ts {
		if err := validTime("at", ts[i].At); err != nil {
			return fmt.Errorf("store: transition %d: %w", i, err)
		}
		doc, err := json.Marshal(&ts[i])
		if err != nil {
			return fmt.Errorf("store: encode transition %d: %w", i, err)
		}
		docs[i] = doc
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin add transitions: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	for i := range ts {
		t := &ts[i]
		if _, err := tx.ExecContext(ctx, `INSERT INTO transitions (at_ns, provider, model, region,
			vantage, from_state, to_state, signature, doc) VALUES (?,?,?,?,?,?,?,?,?)`,
			t.At.UnixNano(), t.Provider, t.Model, t.Region, t.Vantage, string(t.From), string(t.To),
			t.Signature, docs[i]); err != nil {
			return fmt.Errorf("store: add transition %d: %w", i, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit add transitions: %w", err)
	}
	return nil
}

// Transitions returns logged transitions at or after since (zero: no bound), newest first
// (same At: the later added first). Empty provider, model or region match everything;
// limit <= 0 means DefaultLimit and is capped at MaxLimit.
func (s *Store) Transitions(ctx context.Context, provider, mdl, region string, since time.Time,
	limit int) ([]model.Transition, error) {
	if s.closed.Load() {
		return nil, ErrClosed
	}
	var conds []string
	var args []any
	for _, c := range []struct{ col, v string }{{"provider", provider}, {"model", mdl}, {"region", region}} {
		if c.v != "" {
			conds = append(conds, c.col+" = ?")
			args = append(args, c.v)
		}
	}
	if !since.IsZero() {
		conds = append(conds, "at_ns >= ?")
		args = append(args, nanos(since))
	}
	q := `SELECT doc FROM transitions`
	if len(conds) > 0 {
		q += " WHERE " + strings.Join(conds, " AND ")
	}
	q += ` ORDER BY at_ns DESC, seq DESC LIMIT ?`
	return queryDocs[model.Transition](ctx, s.db, "transitions", q, append(args, clampLimit(limit))...)
}

func clampLimit(n int) int {
	if n <= 0 {
		return DefaultLimit
	}
	return min(n, MaxLimit)
}

// queryDocs runs q, whose single column is a JSON document, and decodes each row as a T.
func queryDocs[T any](ctx context.Context, db *sql.DB, what, q string, args ...any) ([]T, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: query %s: %w", what, err)
	}
	defer func() { _ = rows.Close() }()
	out := []T{}
	for rows.Next() {
		var doc []byte
		if err := rows.Scan(&doc); err != nil {
			return nil, fmt.Errorf("store: query %s: %w", what, err)
		}
		var v T
		if err := json.Unmarshal(doc, &v); err != nil {
			return nil, fmt.Errorf("store: decode stored %s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: query %s: %w", what, err)
	}
	return out, nil
}
