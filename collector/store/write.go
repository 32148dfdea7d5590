package store

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
)

// pruneChunk bounds how many rows one DELETE removes, so pruning a large backlog does
// not hold the write lock for long.
const pruneChunk = 10000

// validate rejects results the store cannot key or order.
func validate(r *model.Result) error {
	if r.ID == "" {
		return errors.New("empty id")
	}
	if r.Time.IsZero() {
		return errors.New("zero time")
	}
	if r.Time.Before(minTime()) || r.Time.After(maxTime()) {
		return fmt.Errorf("time %s outside the years 1678 to 2262", r.Time.Format(time.RFC3339))
	}
	return nil
}

// minTime and maxTime bound the times that int64 Unix nanoseconds can hold.
func minTime() time.Time { return time.Unix(0, math.MinInt64) }
func maxTime() time.Time { return time.Unix(0, math.MaxInt64) }

// nanos is t as Unix nanoseconds, clamped to the int64 range.
func nanos(t time.Time) int64 {
	switch {
	case t.Before(minTime()):
		return math.MinInt64
	case t.After(maxTime()):
		return math.MaxInt64
	}
	return t.UnixNano()
}

// Write stores rs in one transaction. It is idempotent by Result.ID: a result whose id
// is already stored is skipped, so a replayed batch stores nothing twice. A zero
// ReceivedAt is set to the store's clock. An invalid result (empty ID, zero Time, or a
// Time outside the years 1678 to 2262) fails the whole call before anything is written.
// It is Insert without the list of fresh results.
func (s *Store) Write(ctx context.Context, rs []model.Result) error {
	_, err := s.Insert(ctx, rs)
	return err
}

// Add queues r for the next flush (by Run, Flush or Close). It does not block while
// the queue has room. When the queue is full, Add blocks for at most AddWait waiting for
// room, then drops r and counts it in Dropped. Results that are invalid (empty ID, zero
// Time) or added after Close are dropped and counted too.
func (s *Store) Add(r model.Result) {
	if s.closed.Load() {
		s.drop(r.ID, "store closed")
		return
	}
	if err := validate(&r); err != nil {
		s.drop(r.ID, err.Error())
		return
	}
	select {
	case s.queue <- r:
	default:
		t := time.NewTimer(s.addWait)
		select {
		case s.queue <- r:
			t.Stop()
		case <-t.C:
			s.drop(r.ID, "queue full")
			return
		}
	}
	if len(s.queue) >= min(s.batchSize, cap(s.queue)) {
		select {
		case s.kick <- struct{}{}:
		default: // Run has already been told
		}
	}
}

// drop counts a lost result; it logs the first and then every 1000th, not each one.
func (s *Store) drop(id, reason string) {
	if n := s.dropped.Add(1); n == 1 || n%1000 == 0 {
		s.log.Warn("store: dropped result", "id", id, "reason", reason, "dropped_total", n)
	}
}

// Flush writes every result queued by Add calls that returned before Flush was called.
// It returns the first write error; the results of a failed batch (including one whose
// transaction ctx cancelled) are counted as dropped. Once ctx is done, Flush takes
// nothing more from the queue.
func (s *Store) Flush(ctx context.Context) error {
	if s.closed.Load() {
		return ErrClosed
	}
	return s.flush(ctx)
}

func (s *Store) flush(ctx context.Context) error {
	s.flushMu.Lock()
	defer s.flushMu.Unlock()
	// Bound the work to what is queued now, so concurrent Adds cannot keep Flush busy.
	remaining := len(s.queue)
	var first error
	batch := make([]model.Result, 0, min(remaining, s.batchSize))
	for remaining > 0 {
		if err := ctx.Err(); err != nil {
			return err // what is still queued stays queued for the next flush
		}
		batch = batch[:0]
		for len(batch) < s.batchSize && remaining > 0 {
			batch = append(batch, <-s.queue)
			remaining--
		}
		if _, err := s.insert(ctx, batch); err != nil {
			for i := range batch {
				s.drop(batch[i].ID, "write failed")
			}
			if first == nil {
				first = err
			}
		}
	}
	return first
}

// Prune deletes what is older than Retention before the store's clock: results by Time,
// ended events (with their regions) by EndedAt, transitions by At and notification log
// entries by SentAt, claim history by CheckedAt, and daily rollup rows whose whole UTC day
// is older. Open events are never pruned. It reports how many rows it deleted (event
// regions, claim history and daily rows not counted). With Retention 0 it deletes nothing.
func (s *Store) Prune(ctx context.Context) (int64, error) {
	if s.closed.Load() {
		return 0, ErrClosed
	}
	if s.retention <= 0 {
		return 0, nil
	}
	cutoff := s.now().Add(-s.retention).UnixNano()
	var total int64
	for _, p := range []struct{ table, cond string }{
		{"results", "time_ns < ?"},
		{"transitions", "at_ns < ?"},
		{"notify_log", "sent_ns < ?"},
	} {
		n, err := s.deleteChunked(ctx, p.table, p.cond, cutoff)
		total += n
		if err != nil {
			return total, err
		}
	}
	// The rollup and the claim history go too, uncounted: a daily row once its whole day
	// is past the cutoff.
	if _, err := s.deleteChunked(ctx, "daily", "day < ?", dayOf(cutoff)); err != nil {
		return total, err
	}
	if _, err := s.deleteChunked(ctx, "claim_history", "checked_ns < ?", cutoff); err != nil {
		return total, err
	}
	n, err := s.pruneEvents(ctx, cutoff)
	return total + n, err
}

// deleteChunked deletes the rows of table matching cond (one bound argument), at most
// pruneChunk per statement, so pruning a large backlog does not hold the write lock long.
// table and cond are constants of this package, never input.
func (s *Store) deleteChunked(ctx context.Context, table, cond string, arg any) (int64, error) {
	q := `DELETE FROM ` + table + ` WHERE rowid IN (SELECT rowid FROM ` + table + ` WHERE ` + cond + ` LIMIT ?)`
	var total int64
	for {
		res, err := s.db.ExecContext(ctx, q, arg, pruneChunk)
		if err != nil {
			return total, fmt.Errorf("store: prune %s: %w", table, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, fmt.Errorf("store: prune %s: %w", table, err)
		}
		total += n
		if n < pruneChunk {
			return total, nil
		}
	}
}

// pruneEvents deletes events that ended before cutoff, and their regions, in one
// transaction; events are few next to results, so one is enough.
func (s *Store) pruneEvents(ctx context.Context, cutoff int64) (int64, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("store: prune events: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	const expired = `ended_at IS NOT NULL AND ended_at < ?`
	if _, err := tx.ExecContext(ctx, `DELETE FROM event_regions WHERE event_id IN
		(SELECT id FROM events WHERE `+expired+`)`, cutoff); err != nil {
		return 0, fmt.Errorf("store: prune event regions: %w", err)
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM events WHERE `+expired, cutoff)
	if err != nil {
		return 0, fmt.Errorf("store: prune events: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("store: prune events: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("store: prune events: commit: %w", err)
	}
	return n, nil
}
