// Package store is the collector's embedded store in SQLite (modernc.org/sqlite, pure
// Go): probe Results with idempotent batched writes (Insert reports which results were
// new, so a replayed batch feeds nothing downstream twice) and filtered newest-first queries
// with an id cursor; detection's events, region transitions and state snapshot; and the
// notifiers' log; read models for the public pages (a per-day rollup kept by Insert, results
// by id, a streaming oldest-first Export) and the vendors' status-page claims. It has
// versioned migrations and time-based retention.
//
// Each row keeps the queryable fields in columns and the whole Result (or Event,
// Transition) as JSON, so a field added to the model is stored before any column exists
// for it.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// ErrClosed is returned by every method called after Close.
var ErrClosed = errors.New("store: closed")

// Defaults for zero Options fields.
const (
	DefaultBatchSize     = 500
	DefaultFlushInterval = time.Second
	DefaultAddWait       = 100 * time.Millisecond
	pruneEvery           = time.Hour
	finalFlushTimeout    = 30 * time.Second
	busyTimeoutMs        = 5000
	maxConns             = 4
)

// Options configures a Store. Only Path is required.
type Options struct {
	Path          string        // SQLite file; its directory is created
	Retention     time.Duration // results older than this are pruned; 0 keeps everything
	BatchSize     int           // results per write transaction from Add; default 500
	FlushInterval time.Duration // how often Run writes what Add queued; default 1s
	// QueueSize bounds what Add holds before a flush; default 8 × BatchSize.
	QueueSize int
	// AddWait is how long Add waits for room in a full queue before dropping; default 100ms.
	AddWait time.Duration
	Now     func() time.Time // default time.Now
	Logger  *slog.Logger     // default discards
}

// Store is safe for concurrent use.
type Store struct {
	db        *sql.DB
	retention time.Duration
	batchSize int
	interval  time.Duration
	addWait   time.Duration
	now       func() time.Time
	log       *slog.Logger

	queue      chan model.Result // filled by Add, drained by Flush
	kick       chan struct{}     // cap 1: tells Run a full batch is waiting
	flushMu    sync.Mutex        // one Flush at a time, so Flush returns after earlier Adds are stored
	writeMu    sync.Mutex        // one Insert transaction at a time; guards insertStmt
	insertStmt *sql.Stmt         // prepared on first use
	// rollupStmts are the daily upserts by row count, prepared on first use; guarded by writeMu.
	rollupStmts map[int]*sql.Stmt
	bufs        sync.Pool // of *insertBuf

	closed  atomic.Bool
	dropped atomic.Uint64
}

// Open opens (creating if needed) the database at o.Path, sets WAL journaling,
// synchronous=NORMAL and a busy timeout, and applies pending migrations.
func Open(ctx context.Context, o Options) (*Store, error) {
	if o.Path == "" {
		return nil, errors.New("store: Options.Path is empty")
	}
	if strings.ContainsAny(o.Path, "?#%") {
		// The path goes into a file: URI, where these characters have meanings.
		return nil, fmt.Errorf("store: path %q contains one of ?, # or %%", o.Path)
	}
	s := &Store{
		retention: o.Retention,
		batchSize: o.BatchSize,
		interval:  o.FlushInterval,
		addWait:   o.AddWait,
		now:       o.Now,
		log:       o.Logger,
		kick:      make(chan struct{}, 1),
		bufs:      sync.Pool{New: newInsertBuf},
	}
	if s.batchSize <= 0 {
		s.batchSize = DefaultBatchSize
	}
	if s.interval <= 0 {
		s.interval = DefaultFlushInterval
	}
	if s.addWait <= 0 {
		s.addWait = DefaultAddWait
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	qsize := o.QueueSize
	if qsize <= 0 {
		qsize = 8 * s.batchSize
	}
	s.queue = make(chan model.Result, qsize)

	if err := os.MkdirAll(filepath.Dir(o.Path), 0o755); err != nil {
		return nil, fmt.Errorf("store: create directory for %q: %w", o.Path, err)
	}
	// _txlock=immediate takes the write lock at BEGIN, so concurrent writers wait on
	// busy_timeout instead of failing on a read-to-write lock upgrade.
	// A larger page cache and checkpoint interval roughly add 15% to write throughput.
	dsn := fmt.Sprintf("file:%s?_txlock=immediate&_pragma=busy_timeout(%d)&_pragma=journal_mode(WAL)"+
		"&_pragma=synchronous(NORMAL)&_pragma=cache_size(-32768)&_pragma=wal_autocheckpoint(4000)",
		o.Path, busyTimeoutMs)
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open %q: %w", o.Path, err)
	}
	db.SetMaxOpenConns(maxConns) // WAL: readers run beside the one writer
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("store: open %q: %w", o.Path, err)
	}
	if err := migrate(ctx, db, s.now().UnixNano()); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("%w (database %q)", err, o.Path)
	}
	s.db = db
	return s, nil
}

// SchemaVersion reports the database's schema version.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	if s.closed.Load() {
		return 0, ErrClosed
	}
	return schemaVersion(ctx, s.db)
}

// Dropped reports how many results Add has dropped: queue full past AddWait, invalid
// result, store closed, or a failed batch write.
func (s *Store) Dropped() uint64 { return s.dropped.Load() }

// Close writes what Add queued and closes the database. Stop Run (cancel its context
// and wait for it) before calling Close. Later calls return ErrClosed.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return ErrClosed
	}
	ctx, cancel := context.WithTimeout(context.Background(), finalFlushTimeout)
	defer cancel()
	ferr := s.flush(ctx)
	s.writeMu.Lock()
	if s.insertStmt != nil {
		_ = s.insertStmt.Close()
	}
	for _, st := range s.rollupStmts {
		_ = st.Close()
	}
	s.writeMu.Unlock()
	return errors.Join(ferr, s.db.Close())
}

// Run writes queued results every FlushInterval, or sooner once a batch is full, and
// prunes expired rows (see Prune) at start and then hourly, until ctx is done. It then writes what
// is still queued and returns nil. Write and prune errors are logged, not returned.
func (s *Store) Run(ctx context.Context) error {
	flushT := time.NewTicker(s.interval)
	defer flushT.Stop()
	pruneT := time.NewTicker(pruneEvery)
	defer pruneT.Stop()
	s.pruneAndLog(ctx)
	for {
		select {
		case <-ctx.Done():
			s.flushAndLog(ctx, "store: final flush")
			return nil
		case <-flushT.C:
		case <-s.kick:
		case <-pruneT.C:
			s.pruneAndLog(ctx)
			continue
		}
		s.flushAndLog(ctx, "store: flush")
	}
}

// flushAndLog flushes with a context that ctx's cancellation does not reach, so that
// stopping Run never abandons a batch it has already taken from the queue.
func (s *Store) flushAndLog(ctx context.Context, msg string) {
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finalFlushTimeout)
	defer cancel()
	if err := s.Flush(fctx); err != nil && !errors.Is(err, ErrClosed) {
		s.log.Error(msg, "err", err)
	}
}

func (s *Store) pruneAndLog(ctx context.Context) {
	n, err := s.Prune(ctx)
	switch {
	case err != nil && ctx.Err() == nil:
		s.log.Error("store: prune", "err", err)
	case n > 0:
		s.log.Info("store: pruned expired rows", "deleted", n, "retention", s.retention)
	}
}

// QueueLen reports how many results Add has queued and not yet written, and the queue's
// capacity: a full queue means Add is about to drop.
func (s *Store) QueueLen() (queued, capacity int) { return len(s.queue), cap(s.queue) }
