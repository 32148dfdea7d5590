package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
)

// Query limits.
const (
	DefaultLimit = 100
	MaxLimit     = 10000
)

// Filter selects results. Empty fields match everything; string fields match exactly.
type Filter struct {
	Provider, Model, Region, Vantage, Class string
	Since                                   time.Time // inclusive; zero = no lower bound
	Until                                   time.Time // exclusive; zero = no upper bound
	Limit                                   int       // <= 0 means DefaultLimit; capped at MaxLimit
	// Before is a cursor: the id of the last result of the previous page. Only results
	// that sort after it (older, or same time with a smaller id) are returned. An id that
	// is not stored (for example one pruned since) yields no results.
	Before string
}

// Query returns the results matching f, newest first (by Time, then by ID descending).
// For the next page, set Before to the ID of the last result returned.
func (s *Store) Query(ctx context.Context, f Filter) ([]model.Result, error) {
	if s.closed.Load() {
		return nil, ErrClosed
	}
	where, args := f.where()
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	limit = min(limit, MaxLimit)
	q := `SELECT doc FROM results` + where + ` ORDER BY time_ns DESC, id DESC LIMIT ?`
	rows, err := s.db.QueryContext(ctx, q, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("store: query: %w", err)
	}
	defer func() { _ = rows.Close() }()
	out := make([]model.Result, 0, min(limit, 256))
	for rows.Next() {
		var doc []byte
		if err := rows.Scan(&doc); err != nil {
			return nil, fmt.Errorf("store: query: %w", err)
		}
		var r model.Result
		if err := json.Unmarshal(doc, &r); err != nil {
			return nil, fmt.Errorf("store: decode stored result: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: query: %w", err)
	}
	return out, nil
}

// where builds the WHERE clause; values are always bound, never spliced.
func (f *Filter) where() (string, []any) {
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
	eq("region", f.Region)
	eq("vantage", f.Vantage)
	eq("class", f.Class)
	if !f.Since.IsZero() {
		conds = append(conds, "time_ns >= ?")
		args = append(args, nanos(f.Since))
	}
	if !f.Until.IsZero() {
		conds = append(conds, "time_ns < ?")
		args = append(args, nanos(f.Until))
	}
	if f.Before != "" {
		conds = append(conds, "(time_ns, id) < (SELECT time_ns, id FROM results WHERE id = ?)")
		args = append(args, f.Before)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// Count reports how many results are stored.
func (s *Store) Count(ctx context.Context) (int64, error) {
	if s.closed.Load() {
		return 0, ErrClosed
	}
	var n int64
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM results`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count: %w", err)
	}
	return n, nil
}
