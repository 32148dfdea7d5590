package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
)

// ErrInvalid wraps the error for a result the store refuses (empty ID, zero Time, or a Time
// outside the years 1678 to 2262): sending it again cannot succeed.
var ErrInvalid = errors.New("store: invalid result")

// insertRows is how many rows one INSERT statement carries; insertCols its columns.
// Larger statements bind more per step; past about 100 rows the gain is lost in noise.
const (
	insertRows = 100
	insertCols = 17
)

// insertSQL returns an INSERT OR IGNORE of n rows: an id already stored is skipped.
func insertSQL(n int) string {
	var b strings.Builder
	b.Grow(200 + n*36)
	b.WriteString(`INSERT OR IGNORE INTO results (id, time_ns, vantage, region, country, provider, kind,
	model, "check", class, layer, access, signature, http_status, total_ms, vantage_mismatch, doc) VALUES `)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
	}
	return b.String()
}

// appendRowArgs appends r's column values, in insertSQL's order.
func appendRowArgs(args []any, r *model.Result, doc []byte) []any {
	return append(args, r.ID, r.Time.UnixNano(), r.Vantage, r.Region, r.Country, r.Provider, r.Kind,
		r.Model, r.Check, string(r.Class), string(r.Layer), string(r.Access), r.Signature,
		r.HTTPStatus, r.Timings.TotalMs, r.VantageMismatch, doc)
}

// insertBuf is the scratch space of one Insert, pooled so that a steady stream of batches
// allocates little besides what the SQL driver needs.
type insertBuf struct {
	docs  bytes.Buffer   // every result's JSON, back to back
	ends  []int          // ends[i]: end of result i's JSON in docs; -1 for a repeated id
	chunk []int          // indexes of the results in the statement being built
	first map[string]int // id → index of its first occurrence in the batch
	fresh []bool         // fresh[i]: result i was inserted now
	args  []any
	id    sql.RawBytes
	daily map[rollupKey]rollupVal // the batch's rollup, by day
}

// maxPooledDocs bounds the document buffer kept for reuse, so one huge batch does not pin
// its memory for the life of the store.
const maxPooledDocs = 16 << 20

func newInsertBuf() any {
	return &insertBuf{first: make(map[string]int), args: make([]any, 0, insertRows*insertCols)}
}

// release returns b to the pool without references to the batch it held.
func (s *Store) release(b *insertBuf) {
	if b.docs.Cap() > maxPooledDocs {
		return
	}
	clear(b.args[:cap(b.args)])
	clear(b.first)
	clear(b.daily)
	s.bufs.Put(b)
}

func (b *insertBuf) reset(n int) {
	b.docs.Reset()
	b.ends = b.ends[:0]
	clear(b.first)
	b.fresh = append(b.fresh[:0], make([]bool, n)...)
}

// encode validates rs and writes each result's JSON into b.docs once, with a zero
// ReceivedAt set to now. A repeated id keeps its first occurrence, as INSERT OR IGNORE does.
func (b *insertBuf) encode(rs []model.Result, now time.Time) error {
	enc := json.NewEncoder(&b.docs)
	for i := range rs {
		r := &rs[i]
		if err := validate(r); err != nil {
			return fmt.Errorf("%w %d (id %q): %v", ErrInvalid, i, r.ID, err)
		}
		if _, dup := b.first[r.ID]; dup {
			b.ends = append(b.ends, -1)
			continue
		}
		b.first[r.ID] = i
		if r.ReceivedAt.IsZero() {
			c := *r
			c.ReceivedAt = now
			r = &c
		}
		if err := enc.Encode(r); err != nil {
			return fmt.Errorf("store: encode result %q: %w", r.ID, err)
		}
		b.docs.Truncate(b.docs.Len() - 1) // Encode's newline
		b.ends = append(b.ends, b.docs.Len())
	}
	return nil
}

// Insert stores rs in one transaction and returns, in their order, the results that were
// not stored before: a result whose ID is already stored, or that repeats an earlier ID of
// rs, is skipped, so a replayed batch stores (and feeds downstream) nothing twice. A zero
// ReceivedAt is set to the store's clock, in the stored and in the returned copy; rs
// itself is never modified. When every result is fresh and none needed a ReceivedAt,
// fresh is rs itself (with its capacity cut to its length). An invalid result (empty ID,
// zero Time, or a Time outside the years 1678 to 2262) fails the whole call with an error
// wrapping ErrInvalid before anything is written.
func (s *Store) Insert(ctx context.Context, rs []model.Result) (fresh []model.Result, err error) {
	if s.closed.Load() {
		return nil, ErrClosed
	}
	return s.insert(ctx, rs)
}

func (s *Store) insert(ctx context.Context, rs []model.Result) ([]model.Result, error) {
	if len(rs) == 0 {
		return nil, nil
	}
	b := s.bufs.Get().(*insertBuf)
	defer s.release(b)
	b.reset(len(rs))
	receivedAt := s.now()
	if err := b.encode(rs, receivedAt); err != nil {
		return nil, err
	}
	// One writer at a time: SQLite's busy handler sleeps rather than queueing, which
	// would stall concurrent batches for milliseconds each.
	s.writeMu.Lock()
	n, err := s.insertTx(ctx, rs, b)
	s.writeMu.Unlock()
	if err != nil {
		return nil, err
	}
	return freshOf(rs, b, n, receivedAt), nil
}

// insertTx runs the transaction, marking b.fresh; it reports how many were inserted.
// The caller holds writeMu.
func (s *Store) insertTx(ctx context.Context, rs []model.Result, b *insertBuf) (int, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("store: begin insert: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	inserted, start := 0, 0
	args := b.args[:0]
	b.chunk = b.chunk[:0]
	for i := range rs {
		if b.ends[i] < 0 {
			continue // a repeated id
		}
		args = appendRowArgs(args, &rs[i], b.docs.Bytes()[start:b.ends[i]])
		b.chunk = append(b.chunk, i)
		start = b.ends[i]
		if len(b.chunk) < insertRows && start < b.docs.Len() {
			continue
		}
		var res sql.Result
		if len(b.chunk) == insertRows {
			var full *sql.Stmt
			if full, err = s.fullInsert(ctx); err != nil {
				return 0, err
			}
			res, err = tx.StmtContext(ctx, full).ExecContext(ctx, args...)
		} else {
			res, err = tx.ExecContext(ctx, insertSQL(len(b.chunk)), args...)
		}
		if err != nil {
			return 0, fmt.Errorf("store: insert: %w", err)
		}
		n, err := b.markFresh(ctx, tx, res)
		if err != nil {
			return 0, err
		}
		inserted += n
		args, b.chunk = args[:0], b.chunk[:0]
	}
	if inserted > 0 {
		if err := s.rollup(ctx, tx, rs, b); err != nil {
			return 0, err
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("store: commit insert: %w", err)
	}
	return inserted, nil
}

// fullInsert returns the statement inserting insertRows rows, prepared once: the
// database/sql Stmt then keeps it prepared on each connection it runs on. The caller holds
// writeMu.
func (s *Store) fullInsert(ctx context.Context) (*sql.Stmt, error) {
	if s.insertStmt == nil {
		stmt, err := s.db.PrepareContext(ctx, insertSQL(insertRows))
		if err != nil {
			return nil, fmt.Errorf("store: prepare insert: %w", err)
		}
		s.insertStmt = stmt
	}
	return s.insertStmt, nil
}

// markFresh marks which results of b.chunk the statement that gave res inserted. All of
// them or none is the usual case (a new batch, or a replay) and needs no query. Otherwise
// the inserted rows are the last n rowids: SQLite gives each new row the largest rowid
// plus one, so one statement's rows are consecutive. (RETURNING id would say the same for
// every statement, at some 15% of the insert's time.)
func (b *insertBuf) markFresh(ctx context.Context, tx *sql.Tx, res sql.Result) (int, error) {
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("store: insert: %w", err)
	}
	switch n {
	case 0:
		return 0, nil
	case int64(len(b.chunk)):
		for _, i := range b.chunk {
			b.fresh[i] = true
		}
		return int(n), nil
	}
	last, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("store: insert: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT id FROM results WHERE rowid > ? AND rowid <= ?`, last-n, last)
	if err != nil {
		return 0, fmt.Errorf("store: read inserted ids: %w", err)
	}
	defer func() { _ = rows.Close() }()
	var marked int64
	for rows.Next() {
		if err := rows.Scan(&b.id); err != nil {
			return 0, fmt.Errorf("store: read inserted ids: %w", err)
		}
		i, ok := b.first[string(b.id)]
		if !ok || b.fresh[i] {
			break // not a row of this statement: the rowids were not consecutive
		}
		b.fresh[i] = true
		marked++
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("store: read inserted ids: %w", err)
	}
	if marked != n {
		return 0, fmt.Errorf("store: cannot tell which %d of %d results were new", n, len(b.chunk))
	}
	return int(n), nil
}

// freshOf returns the n results of rs marked fresh in b, with a zero ReceivedAt set to now.
func freshOf(rs []model.Result, b *insertBuf, n int, now time.Time) []model.Result {
	if n == len(rs) && !anyZeroReceivedAt(rs) {
		return rs[:n:n]
	}
	fresh := make([]model.Result, 0, n)
	for i := range rs {
		if !b.fresh[i] {
			continue
		}
		fresh = append(fresh, rs[i])
		if r := &fresh[len(fresh)-1]; r.ReceivedAt.IsZero() {
			r.ReceivedAt = now
		}
	}
	return fresh
}

func anyZeroReceivedAt(rs []model.Result) bool {
	for i := range rs {
		if rs[i].ReceivedAt.IsZero() {
			return true
		}
	}
	return false
}
