package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/accesswatch/accesswatch/internal/model"
)

// Read limits: ids per ResultsByID statement, and results per Export page.
const (
	idsPerQuery = 500
	exportPage  = 1000
)

// ResultsByID returns the stored results with the given ids, in the order of ids; ids
// that are not stored are skipped.
func (s *Store) ResultsByID(ctx context.Context, ids []string) ([]model.Result, error) {
	if s.closed.Load() {
		return nil, ErrClosed
	}
	found := make(map[string]model.Result, len(ids))
	for start := 0; start < len(ids); start += idsPerQuery {
		chunk := ids[start:min(start+idsPerQuery, len(ids))]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		q := `SELECT doc FROM results WHERE id IN (?` + strings.Repeat(",?", len(chunk)-1) + `)`
		if err := s.scanResults(ctx, q, args, func(r model.Result) { found[r.ID] = r }); err != nil {
			return nil, fmt.Errorf("store: results by id: %w", err)
		}
	}
	out := make([]model.Result, 0, len(found))
	for _, id := range ids {
		if r, ok := found[id]; ok {
			out = append(out, r)
		}
	}
	return out, nil
}

// Export calls fn with every result matching f, oldest first (by Time, then ID), until
// fn returns an error, which Export returns. f.Limit and f.Before are ignored. It reads
// pages of a thousand by a (time, id) cursor and calls fn outside any query, so memory
// stays flat and a slow fn holds no read transaction open.
func (s *Store) Export(ctx context.Context, f Filter, fn func(model.Result) error) error {
	if s.closed.Load() {
		return ErrClosed
	}
	f.Limit, f.Before = 0, ""
	where, args := f.where()
	page := make([]model.Result, 0, exportPage)
	var after struct {
		set  bool
		time int64
		id   string
	}
	for {
		q, qargs := where, args
		if after.set {
			if q == "" {
				q = " WHERE "
			} else {
				q += " AND "
			}
			q += "(time_ns, id) > (?, ?)"
			qargs = append(qargs[:len(qargs):len(qargs)], after.time, after.id)
		}
		q = `SELECT doc FROM results` + q + ` ORDER BY time_ns, id LIMIT ?`
		qargs = append(qargs[:len(qargs):len(qargs)], exportPage)
		page = page[:0]
		if err := s.scanResults(ctx, q, qargs, func(r model.Result) { page = append(page, r) }); err != nil {
			return fmt.Errorf("store: export: %w", err)
		}
		for _, r := range page {
			if err := fn(r); err != nil {
				return err
			}
		}
		if len(page) < exportPage {
			return nil
		}
		last := &page[len(page)-1]
		after.set, after.time, after.id = true, last.Time.UnixNano(), last.ID
	}
}

// scanResults runs q, which selects doc, and calls add with each decoded result.
func (s *Store) scanResults(ctx context.Context, q string, args []any, add func(model.Result)) error {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer func() { _ = rows.Close() }()
	var doc []byte
	for rows.Next() {
		if err := rows.Scan(&doc); err != nil {
			return err
		}
		var r model.Result
		if err := json.Unmarshal(doc, &r); err != nil {
			return fmt.Errorf("decode stored result: %w", err)
		}
		add(r)
	}
	return rows.Err()
}
