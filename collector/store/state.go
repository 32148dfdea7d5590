package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// SaveState stores data under key, replacing what was there: the detection engine's
// snapshot, so state and open events survive a restart.
func (s *Store) SaveState(ctx context.Context, key string, data []byte) error {
	if s.closed.Load() {
		return ErrClosed
	}
	if data == nil {
		data = []byte{} // the column is NOT NULL; an empty snapshot is still a snapshot
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO state_kv (name, data, updated_ns) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET data = excluded.data, updated_ns = excluded.updated_ns`,
		key, data, s.now().UnixNano()); err != nil {
		return fmt.Errorf("store: save state %q: %w", key, err)
	}
	return nil
}

// LoadState returns the data saved under key, and false when nothing was.
func (s *Store) LoadState(ctx context.Context, key string) ([]byte, bool, error) {
	if s.closed.Load() {
		return nil, false, ErrClosed
	}
	var data []byte
	err := s.db.QueryRowContext(ctx, `SELECT data FROM state_kv WHERE name = ?`, key).Scan(&data)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, false, nil
	case err != nil:
		return nil, false, fmt.Errorf("store: load state %q: %w", key, err)
	}
	if data == nil {
		data = []byte{}
	}
	return data, true, nil
}

// LogEntry is one notification log record: when an update was sent to a receiver, and
// the receiver's reference for it (a Slack message ts to thread replies under).
type LogEntry struct {
	SentAt time.Time
	Ref    string
}

// LogGet returns the entry for (receiver, key), and false when there is none. SentAt is
// returned in UTC.
func (s *Store) LogGet(ctx context.Context, receiver, key string) (LogEntry, bool, error) {
	if s.closed.Load() {
		return LogEntry{}, false, ErrClosed
	}
	var sent int64
	var e LogEntry
	err := s.db.QueryRowContext(ctx, `SELECT sent_ns, ref FROM notify_log WHERE receiver = ? AND dedup_key = ?`,
		receiver, key).Scan(&sent, &e.Ref)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return LogEntry{}, false, nil
	case err != nil:
		return LogEntry{}, false, fmt.Errorf("store: notification log get: %w", err)
	}
	e.SentAt = time.Unix(0, sent).UTC()
	return e, true, nil
}

// LogPut records e for (receiver, key), replacing any earlier entry. A zero SentAt is
// set to the store's clock.
func (s *Store) LogPut(ctx context.Context, receiver, key string, e LogEntry) error {
	if s.closed.Load() {
		return ErrClosed
	}
	if e.SentAt.IsZero() {
		e.SentAt = s.now()
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO notify_log (receiver, dedup_key, sent_ns, ref) VALUES (?,?,?,?)
		ON CONFLICT (receiver, dedup_key) DO UPDATE SET sent_ns = excluded.sent_ns, ref = excluded.ref`,
		receiver, key, nanos(e.SentAt), e.Ref); err != nil {
		return fmt.Errorf("store: notification log put: %w", err)
	}
	return nil
}
