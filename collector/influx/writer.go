package influx

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	influxdb2 "github.com/influxdata/influxdb-client-go/v2"
	"github.com/influxdata/influxdb-client-go/v2/api"
	ihttp "github.com/influxdata/influxdb-client-go/v2/api/http"
	"github.com/influxdata/influxdb-client-go/v2/api/write"

	"github.com/accesswatch/accesswatch/internal/backoff"
	"github.com/accesswatch/accesswatch/internal/model"
)

// Options configure a Writer. URL and Bucket are required; zero values take the defaults noted.
type Options struct {
	URL    string // e.g. http://127.0.0.1:8086
	Token  string // a secret, never logged; InfluxDB 1.8: "user:password", or empty without auth
	Org    string // InfluxDB 1.8: ignored
	Bucket string // InfluxDB 1.8: "database/retention-policy", e.g. "accesswatch/autogen"

	BatchSize     int           // points a write request; default 1000
	FlushInterval time.Duration // how long a partial batch may wait; default 1s
	BufferSize    int           // points held while InfluxDB is slow or down, oldest dropped beyond; default 100,000
	// MaxRetries: 0 retries a failing batch for as long as the buffer holds (nothing is lost when
	// InfluxDB comes back in time); n > 0 gives a batch up after n retries (counted as Rejected).
	MaxRetries   int
	Backoff      time.Duration // first retry delay, doubled on each retry; default 500ms
	MaxBackoff   time.Duration // default 30s
	FlushTimeout time.Duration // bounds the final flush when Run's context ends; default 5s

	Client *http.Client     // default: a client with a 30 s timeout
	Now    func() time.Time // default time.Now
	Logger *slog.Logger     // default: discard
}

// Stats are a Writer's counters since New.
type Stats struct {
	Written     uint64    // points InfluxDB accepted
	WriteErrors uint64    // write requests that failed
	Retries     uint64    // write requests that repeated a failed one
	Dropped     uint64    // points dropped, oldest first, because the buffer was full
	Rejected    uint64    // points given up: refused by InfluxDB (400, 413, 422) or MaxRetries exhausted
	Buffered    int       // points waiting, including the batch being written
	LastWrite   time.Time // when InfluxDB last accepted a batch (Options.Now); zero before
}

// Writer buffers Results and writes them to InfluxDB in batches from Run.
// Add is safe for concurrent use; Run must be called once.
type Writer struct {
	o      Options
	client influxdb2.Client
	api    api.WriteAPIBlocking
	ready  chan struct{} // a full batch is waiting; signalled without blocking

	mu       sync.Mutex
	queue    *ring[model.Result]
	inflight int // len(pending), readable by Add for the buffer bound
	stats    Stats

	pending []model.Result // the batch being written; owned by Run
	failing bool           // owned by Run: log state changes only, not every failure
}

// New checks o, applies the defaults and returns a Writer. It does not contact InfluxDB.
func New(o Options) (*Writer, error) {
	if err := defaults(&o); err != nil {
		return nil, err
	}
	opts := influxdb2.DefaultOptions().
		SetHTTPClient(o.Client).
		SetPrecision(time.Nanosecond).
		SetLogLevel(0) // failures come back as errors; we log them ourselves
	c := influxdb2.NewClientWithOptions(o.URL, o.Token, opts)
	return &Writer{
		o:      o,
		client: c,
		api:    c.WriteAPIBlocking(o.Org, o.Bucket),
		ready:  make(chan struct{}, 1),
		queue:  newRing[model.Result](o.BufferSize),
	}, nil
}

func defaults(o *Options) error {
	u, err := url.Parse(o.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("influx: url must be an absolute http(s) URL")
	}
	if o.Bucket == "" {
		return errors.New(`influx: bucket is required (InfluxDB 1.8: "database/retention-policy")`)
	}
	if o.BatchSize < 0 || o.BufferSize < 0 || o.MaxRetries < 0 || o.FlushInterval < 0 ||
		o.Backoff < 0 || o.MaxBackoff < 0 || o.FlushTimeout < 0 {
		return errors.New("influx: negative size, count or duration")
	}
	setDefault(&o.BatchSize, 1000)
	setDefault(&o.BufferSize, 100_000)
	setDefault(&o.FlushInterval, time.Second)
	setDefault(&o.Backoff, 500*time.Millisecond)
	setDefault(&o.MaxBackoff, 30*time.Second)
	setDefault(&o.FlushTimeout, 5*time.Second)
	if o.BatchSize > o.BufferSize {
		return fmt.Errorf("influx: batch size %d exceeds buffer size %d", o.BatchSize, o.BufferSize)
	}
	o.MaxBackoff = max(o.MaxBackoff, o.Backoff)
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 30 * time.Second}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

func setDefault[T int | time.Duration](v *T, d T) {
	if *v == 0 {
		*v = d
	}
}

// Add queues results for writing. It never blocks on InfluxDB: when the buffer is full the
// oldest queued points are dropped (and counted) to make room.
func (w *Writer) Add(rs []model.Result) {
	if len(rs) == 0 {
		return
	}
	now := w.o.Now()
	w.mu.Lock()
	for i := range rs {
		if w.queue.len()+w.inflight >= w.o.BufferSize {
			w.stats.Dropped++
			if !w.queue.dropOldest() {
				continue // everything buffered is being written: no room for this one
			}
		}
		w.queue.push(slim(rs[i], now))
	}
	ready := w.queue.len() >= w.o.BatchSize
	w.mu.Unlock()
	if ready {
		select {
		case w.ready <- struct{}{}:
		default:
		}
	}
}

// slim keeps what Point reads, so a full buffer does not pin excerpts and URLs in memory.
func slim(r model.Result, now time.Time) model.Result {
	if r.Time.IsZero() {
		r.Time = now
	}
	r.ScheduledAt = time.Time{}
	r.Method, r.URL, r.TLSVersion, r.CertSHA256, r.EdgeRegion, r.Excerpt, r.Error, r.Rule = "", "", "", "", "", "", "", ""
	return r
}

// Stats returns the counters.
func (w *Writer) Stats() Stats {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.stats
	s.Buffered = w.queue.len() + w.inflight
	return s
}

// Run writes batches until ctx ends: a full batch at once, a partial one every FlushInterval.
// A failing write is retried with backoff while new points keep queueing (bounded). When ctx
// ends, Run flushes what it can within FlushTimeout, closes the client and returns nil.
func (w *Writer) Run(ctx context.Context) error {
	defer w.client.Close()
	tick := time.NewTicker(w.o.FlushInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			w.finalFlush(ctx)
			return nil
		case <-w.ready:
			w.drain(ctx, false)
		case <-tick.C:
			w.drain(ctx, true)
		}
	}
}

func (w *Writer) finalFlush(ctx context.Context) {
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), w.o.FlushTimeout)
	defer cancel()
	w.drain(fctx, true)
	if left := w.Stats().Buffered; left > 0 {
		w.o.Logger.Warn("influx: points left unwritten at shutdown", "points", left, "timeout", w.o.FlushTimeout)
	}
}

// drain writes full batches, and with partial one smaller batch too, until the queue runs
// short or ctx ends.
func (w *Writer) drain(ctx context.Context, partial bool) {
	for ctx.Err() == nil {
		batch := w.next(partial)
		if len(batch) == 0 {
			return
		}
		if len(batch) < w.o.BatchSize {
			partial = false
		}
		w.deliver(ctx, batch)
	}
}

// next returns the batch to write: the unfinished one, or the oldest queued points.
func (w *Writer) next(partial bool) []model.Result {
	if len(w.pending) > 0 {
		return w.pending
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if n := w.queue.len(); n >= w.o.BatchSize || (partial && n > 0) {
		w.pending = w.queue.take(w.pending[:0], w.o.BatchSize)
		w.inflight = len(w.pending)
	}
	return w.pending
}

// deliver writes batch, retrying with backoff, until it is written, given up, or ctx ends (the
// batch then stays pending). Rewriting a batch is harmless: a point is identified by its series
// and timestamp, so InfluxDB overwrites it with itself.
func (w *Writer) deliver(ctx context.Context, batch []model.Result) {
	points := make([]*write.Point, len(batch))
	for i := range batch {
		points[i] = Point(batch[i])
	}
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			w.count(func(s *Stats) { s.Retries++ })
		}
		err := w.api.WritePoint(ctx, points...)
		if err == nil {
			w.settle(len(batch), true)
			return
		}
		if ctx.Err() != nil {
			return
		}
		w.count(func(s *Stats) { s.WriteErrors++ })
		wait, retry := classify(err)
		if !retry || (w.o.MaxRetries > 0 && attempt >= w.o.MaxRetries) {
			w.o.Logger.Error("influx: batch given up", "points", len(batch), "attempts", attempt+1, "err", err)
			w.settle(len(batch), false)
			return
		}
		if !w.failing {
			w.failing = true
			st := w.Stats()
			w.o.Logger.Warn("influx: write failing, buffering", "err", err, "buffered", st.Buffered, "dropped", st.Dropped)
		}
		if !backoff.Sleep(ctx, w.policy().Wait(attempt, wait)) {
			return
		}
	}
}

// settle ends the pending batch: written, or given up.
func (w *Writer) settle(n int, written bool) {
	now := w.o.Now()
	w.mu.Lock()
	if written {
		w.stats.Written += uint64(n)
		w.stats.LastWrite = now
	} else {
		w.stats.Rejected += uint64(n)
	}
	w.pending = w.pending[:0]
	w.inflight = 0
	st := w.stats
	st.Buffered = w.queue.len()
	w.mu.Unlock()
	if written && w.failing {
		w.failing = false
		w.o.Logger.Info("influx: write recovered", "buffered", st.Buffered, "dropped", st.Dropped, "written", st.Written)
	}
}

func (w *Writer) count(f func(*Stats)) {
	w.mu.Lock()
	f(&w.stats)
	w.mu.Unlock()
}

// classify says whether a failed write is worth retrying, and after how long the server asked.
func classify(err error) (wait time.Duration, retry bool) {
	var he *ihttp.Error
	if !errors.As(err, &he) {
		return 0, false // the points could not be encoded: retrying cannot help
	}
	switch he.StatusCode {
	case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity:
		return 0, false // InfluxDB refuses these points (bad line protocol, partial write)
	default:
		// 0 (refused, reset, timeout), 429, 5xx; also 401/403/404, which an operator can fix
		// (a token, a missing database) while the buffer holds.
		return time.Duration(he.RetryAfter) * time.Second, true
	}
}

// backoff is Backoff doubled per attempt up to MaxBackoff, with jitter in its upper half.
func (w *Writer) backoff(attempt int) time.Duration {
	return w.policy().Delay(attempt)
}

// policy is the retry schedule: a server's Retry-After, capped at MaxBackoff, is a floor.
func (w *Writer) policy() backoff.Policy {
	return backoff.Policy{Initial: w.o.Backoff, Max: w.o.MaxBackoff, Jitter: true, Hint: backoff.AtLeast, MaxHint: w.o.MaxBackoff}
}
