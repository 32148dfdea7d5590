package influx

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	ihttp "github.com/influxdata/influxdb-client-go/v2/api/http"

	"github.com/accesswatch/accesswatch/internal/model"
)

// fakeInflux is a /api/v2/write endpoint that records result ids in arrival order and answers
// with the statuses queued in fail (then 204).
type fakeInflux struct {
	t    *testing.T
	srv  *httptest.Server
	mu   sync.Mutex
	ids  []string
	reqs int
	auth []string
	fail []int
	hold chan struct{} // when set, requests wait for it to close
}

func newFake(t *testing.T, fail ...int) *fakeInflux {
	f := &fakeInflux{t: t, fail: fail}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeInflux) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/api/v2/write" || r.URL.Query().Get("bucket") != "db/rp" || r.URL.Query().Get("precision") != "ns" {
		http.Error(w, "unexpected request "+r.URL.String(), http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	hold := f.hold
	f.mu.Unlock()
	if hold != nil {
		<-hold
	}
	var ids []string
	sc := bufio.NewScanner(r.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		_, after, ok := strings.Cut(sc.Text(), `result_id="`)
		id, _, _ := strings.Cut(after, `"`)
		if !ok {
			http.Error(w, `{"code":"invalid","message":"unable to parse"}`, http.StatusBadRequest)
			return
		}
		ids = append(ids, id)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reqs++
	f.auth = append(f.auth, r.Header.Get("Authorization"))
	if len(f.fail) > 0 {
		code := f.fail[0]
		f.fail = f.fail[1:]
		if code == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "0")
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		fmt.Fprintf(w, `{"code":"x","message":"status %d"}`, code)
		return
	}
	f.ids = append(f.ids, ids...)
	w.WriteHeader(http.StatusNoContent)
}

func (f *fakeInflux) written() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.ids...)
}

func results(n int, prefix string) []model.Result {
	base := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	rs := make([]model.Result, n)
	for i := range rs {
		rs[i] = model.Result{ID: fmt.Sprintf("%s%06d", prefix, i), Time: base.Add(time.Duration(i) * time.Millisecond),
			Vantage: "v", Region: "r", Provider: "p", Model: "m", Check: model.CheckModel,
			Classification: model.Classification{Class: model.ClassOK, Access: model.AccessAvailable, Signature: "p:ok"},
			Timings:        model.Timings{TotalMs: float64(i)}}
	}
	return rs
}

func ids(rs []model.Result) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}

func testOptions(url string) Options {
	return Options{URL: url, Bucket: "db/rp", Token: "user:s3cret-token", BatchSize: 10, BufferSize: 100,
		FlushInterval: time.Hour, Backoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond}
}

// start runs w until the test ends, and returns a function that stops it and waits.
func start(t testing.TB, w *Writer) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(30 * time.Second):
				t.Error("Run did not return")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// waitFor polls cond for up to 20 s.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func equalIDs(t *testing.T, got, want []string) {
	t.Helper()
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("written %d ids %v…, want %d %v…", len(got), head(got), len(want), head(want))
	}
}

func head(s []string) []string { return s[:min(len(s), 3)] }

func TestBatchesAndFinalFlush(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	w, err := New(testOptions(f.srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	stop := start(t, w)
	rs := results(35, "a")
	w.Add(rs)
	// Three full batches go at once; the 5 left wait for the (hour-long) interval or shutdown.
	waitFor(t, "3 batches", func() bool { return w.Stats().Written == 30 })
	if got := w.Stats().Buffered; got != 5 {
		t.Errorf("buffered %d, want 5", got)
	}
	stop()
	equalIDs(t, f.written(), ids(rs))
	st := w.Stats()
	if st.Written != 35 || st.Buffered != 0 || st.WriteErrors != 0 || st.Dropped != 0 || st.LastWrite.IsZero() {
		t.Errorf("stats %+v", st)
	}
	for _, a := range f.auth {
		if a != "Token user:s3cret-token" {
			t.Fatalf("Authorization %q", a)
		}
	}
}

func TestPartialBatchOnInterval(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	o := testOptions(f.srv.URL)
	o.FlushInterval = 5 * time.Millisecond
	w, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	start(t, w)
	rs := results(3, "b")
	w.Add(rs)
	waitFor(t, "the partial batch", func() bool { return w.Stats().Written == 3 })
	equalIDs(t, f.written(), ids(rs))
}

func TestRetries(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name                       string
		fail                       []int
		maxRetries                 int
		written, rejected, retries uint64
	}{
		{"5xx then success", []int{503, 500, 502}, 0, 20, 0, 3},
		{"429 then success", []int{429}, 0, 20, 0, 1},
		{"database missing, then created", []int{404, 404}, 0, 20, 0, 2},
		{"bad line protocol is not retried", []int{400}, 0, 10, 10, 0},
		{"partial write (422) is not retried", []int{422}, 0, 10, 10, 0},
		{"retries exhausted", []int{503, 503, 503}, 2, 10, 10, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, c.fail...)
			var logs bytes.Buffer
			o := testOptions(f.srv.URL)
			o.MaxRetries = c.maxRetries
			o.Logger = slog.New(slog.NewTextHandler(&syncWriter{w: &logs}, nil))
			w, err := New(o)
			if err != nil {
				t.Fatal(err)
			}
			rs := results(20, "c")
			w.Add(rs)
			stop := start(t, w)
			waitFor(t, "both batches settled", func() bool { st := w.Stats(); return st.Written+st.Rejected == 20 })
			stop()
			st := w.Stats()
			if st.Written != c.written || st.Rejected != c.rejected || st.Retries != c.retries ||
				st.WriteErrors != uint64(len(c.fail)) {
				t.Errorf("stats %+v", st)
			}
			// Order is kept: what was written is the tail when the first batch was refused.
			equalIDs(t, f.written(), ids(rs)[20-c.written:])
			if strings.Contains(logs.String(), "s3cret") {
				t.Errorf("token in logs: %s", logs.String())
			}
		})
	}
}

type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func TestBufferDropsOldest(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	w, err := New(testOptions(f.srv.URL)) // buffer 100
	if err != nil {
		t.Fatal(err)
	}
	rs := results(250, "d")
	for i := 0; i < len(rs); i += 7 { // in uneven chunks, as ingest would
		w.Add(rs[i:min(i+7, len(rs))])
	}
	if st := w.Stats(); st.Dropped != 150 || st.Buffered != 100 {
		t.Fatalf("before Run: %+v", st)
	}
	stop := start(t, w)
	waitFor(t, "the buffer written", func() bool { return w.Stats().Written == 100 })
	stop()
	equalIDs(t, f.written(), ids(rs[150:]))
}

// TestAddNeverBlocks: with InfluxDB hanging on a write, Add keeps returning and the bound holds,
// the batch in flight included.
func TestAddNeverBlocks(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	hold := make(chan struct{})
	f.mu.Lock()
	f.hold = hold
	f.mu.Unlock()
	w, err := New(testOptions(f.srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	stop := start(t, w)
	rs := results(1000, "e")
	w.Add(rs[:10])
	waitFor(t, "a write in flight", func() bool { w.mu.Lock(); defer w.mu.Unlock(); return w.inflight == 10 })
	for i := 10; i < len(rs); i += 10 {
		w.Add(rs[i : i+10])
	}
	if st := w.Stats(); st.Buffered != 100 || st.Dropped != 900 {
		t.Fatalf("stats %+v", st)
	}
	f.mu.Lock()
	f.hold = nil
	f.mu.Unlock()
	close(hold)
	waitFor(t, "all written", func() bool { return w.Stats().Written == 100 })
	stop()
	// The batch in flight, then the newest 90.
	equalIDs(t, f.written(), append(ids(rs[:10]), ids(rs[910:])...))
}

// TestDownAtShutdown: with nothing listening, Run still returns (bounded final flush) and keeps
// the points counted as buffered.
func TestDownAtShutdown(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	ln.Close() // a port nobody listens on: connection refused
	o := testOptions(url)
	o.FlushTimeout = 50 * time.Millisecond
	w, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	stop := start(t, w)
	w.Add(results(25, "f"))
	waitFor(t, "a failed write", func() bool { return w.Stats().WriteErrors >= 2 })
	stop()
	if st := w.Stats(); st.Written != 0 || st.Buffered != 25 || st.Dropped != 0 || st.Retries == 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestClassify(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		err   error
		wait  time.Duration
		retry bool
	}{
		{"connection refused", ihttp.NewError(errors.New("dial tcp: connection refused")), 0, true},
		{"429 retry-after", &ihttp.Error{StatusCode: 429, RetryAfter: 3}, 3 * time.Second, true},
		{"503", &ihttp.Error{StatusCode: 503}, 0, true},
		{"401", &ihttp.Error{StatusCode: 401}, 0, true},
		{"400", &ihttp.Error{StatusCode: 400}, 0, false},
		{"413", &ihttp.Error{StatusCode: 413}, 0, false},
		{"422", &ihttp.Error{StatusCode: 422}, 0, false},
		{"encoding", errors.New("field is NaN"), 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			wait, retry := classify(c.err)
			if wait != c.wait || retry != c.retry {
				t.Errorf("classify = %v, %v; want %v, %v", wait, retry, c.wait, c.retry)
			}
		})
	}
}

func TestBackoffBounds(t *testing.T) {
	t.Parallel()
	w := &Writer{o: Options{Backoff: 100 * time.Millisecond, MaxBackoff: time.Second}}
	for attempt, hi := range []time.Duration{100, 200, 400, 800, 1000, 1000, 1000} {
		hi *= time.Millisecond
		for range 50 {
			if d := w.backoff(attempt); d < hi/2 || d > hi {
				t.Fatalf("attempt %d: backoff %v outside [%v, %v]", attempt, d, hi/2, hi)
			}
		}
	}
	if d := w.backoff(1000); d > time.Second {
		t.Fatalf("backoff(1000) = %v", d)
	}
}

func TestNewRejects(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		o    Options
		want string
	}{
		{"no url", Options{Bucket: "b"}, "url"},
		{"relative url", Options{URL: "localhost:8086", Bucket: "b"}, "url"},
		{"ftp url", Options{URL: "ftp://127.0.0.1", Bucket: "b"}, "url"},
		{"no bucket", Options{URL: "http://127.0.0.1:8086"}, "bucket"},
		{"negative", Options{URL: "http://127.0.0.1:8086", Bucket: "b", MaxRetries: -1}, "negative"},
		{"batch over buffer", Options{URL: "http://127.0.0.1:8086", Bucket: "b", BatchSize: 10, BufferSize: 5}, "exceeds"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			o := c.o
			o.Token = "s3cret"
			_, err := New(o)
			if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "s3cret") {
				t.Errorf("New: %v, want an error about %q", err, c.want)
			}
		})
	}
	w, err := New(Options{URL: "http://127.0.0.1:8086", Bucket: "b"})
	if err != nil {
		t.Fatal(err)
	}
	if w.o.BatchSize != 1000 || w.o.BufferSize != 100_000 || w.o.FlushInterval != time.Second {
		t.Errorf("defaults %+v", w.o)
	}
}
