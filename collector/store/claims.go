package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/accesswatch/accesswatch/internal/model"
)

// UpsertClaims stores cs in one transaction: each claim is appended to the claim history,
// and becomes the latest claim of its (provider, component_id) unless a claim checked
// later is already stored. A claim without Provider, ComponentID or CheckedAt fails the
// whole call before anything is written.
func (s *Store) UpsertClaims(ctx context.Context, cs []model.Claim) error {
	if s.closed.Load() {
		return ErrClosed
	}
	if len(cs) == 0 {
		return nil
	}
	docs := make([][]byte, len(cs))
	for i := range cs {
		c := &cs[i]
		if c.Provider == "" || c.ComponentID == "" {
			return fmt.Errorf("store: claim %d: %w", i, errors.New("empty provider or component id"))
		}
		if err := validTime("checked_at", c.CheckedAt); err != nil {
			return fmt.Errorf("store: claim %d: %w", i, err)
		}
		doc, err := json.Marshal(c)
		if err != nil {
			return fmt.Errorf("store: encode claim %d: %w", i, err)
		}
		docs[i] = doc
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin upsert claims: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	for i := range cs {
		c := &cs[i]
		at := c.CheckedAt.UnixNano()
		if _, err := tx.ExecContext(ctx, `INSERT INTO claims (provider, component_id, checked_ns, doc)
			VALUES (?, ?, ?, ?) ON CONFLICT (provider, component_id) DO UPDATE
			SET checked_ns = excluded.checked_ns, doc = excluded.doc
			WHERE excluded.checked_ns >= claims.checked_ns`,
			c.Provider, c.ComponentID, at, docs[i]); err != nil {
			return fmt.Errorf("store: upsert claim: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO claim_history (provider, component_id, status, checked_ns, doc)
			VALUES (?, ?, ?, ?, ?)`, c.Provider, c.ComponentID, c.Status, at, docs[i]); err != nil {
			return fmt.Errorf("store: record claim: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit claims: %w", err)
	}
	return nil
}

// Claims returns the latest claim per (provider, component_id), ordered by both.
func (s *Store) Claims(ctx context.Context) ([]model.Claim, error) {
	if s.closed.Load() {
		return nil, ErrClosed
	}
	rows, err := s.db.QueryContext(ctx, `SELECT doc FROM claims ORDER BY provider, component_id`)
	if err != nil {
		return nil, fmt.Errorf("store: claims: %w", err)
	}
	defer func() { _ = rows.Close() }()
	var out []model.Claim
	for rows.Next() {
		var doc []byte
		if err := rows.Scan(&doc); err != nil {
			return nil, fmt.Errorf("store: claims: %w", err)
		}
		var c model.Claim
		if err := json.Unmarshal(doc, &c); err != nil {
			return nil, fmt.Errorf("store: decode stored claim: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: claims: %w", err)
	}
	return out, nil
}
