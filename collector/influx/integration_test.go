package influx

// Integration tests against a real InfluxDB (1.8.10 from scripts/influxd.sh, or any 2.x with
// INFLUX_TOKEN/INFLUX_ORG): they run when INFLUX_URL is set and skip otherwise.

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	influxdb2 "github.com/influxdata/influxdb-client-go/v2"

	"github.com/accesswatch/accesswatch/internal/model"
)

type realInflux struct{ url, token, org, bucket string }

func influxFromEnv(t testing.TB) realInflux {
	t.Helper()
	u := os.Getenv("INFLUX_URL")
	if u == "" {
		t.Skip(`INFLUX_URL not set: start InfluxDB 1.8 with eval "$(scripts/influxd.sh)" to run the InfluxDB integration tests`)
	}
	b := os.Getenv("INFLUX_BUCKET")
	if b == "" {
		b = "accesswatch/autogen"
	}
	return realInflux{url: u, token: os.Getenv("INFLUX_TOKEN"), org: os.Getenv("INFLUX_ORG"), bucket: b}
}

// runID tells this run's points apart from earlier runs' in a long-lived database.
func runID(prefix string) string { return fmt.Sprintf("%s-%x", prefix, time.Now().UnixNano()) }

// writtenIDs reads back the result ids of vantage v.
func (db realInflux) writtenIDs(t *testing.T, v string) []string {
	t.Helper()
	c := influxdb2.NewClient(db.url, db.token)
	defer c.Close()
	q := fmt.Sprintf(`from(bucket: %q) |> range(start: 2024-01-01T00:00:00Z)
  |> filter(fn: (r) => r._measurement == %q and r._field == %q and r.%s == %q)
  |> group() |> keep(columns: ["_value"])`, db.bucket, Measurement, FieldResultID, TagVantage, v)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := c.QueryAPI(db.org).Query(ctx, q)
	if err != nil {
		t.Fatalf("query: %v", err)
	}
	var out []string
	for res.Next() {
		out = append(out, res.Record().Value().(string))
	}
	if res.Err() != nil {
		t.Fatalf("query: %v", res.Err())
	}
	slices.Sort(out)
	return out
}

func tagged(rs []model.Result, vantage string) []model.Result {
	for i := range rs {
		rs[i].Vantage = vantage
	}
	return rs
}

// TestInfluxDownThenBack: while InfluxDB cannot be reached the points wait in the buffer; once
// it is back every one of them is written, once.
func TestInfluxDownThenBack(t *testing.T) {
	t.Parallel()
	db := influxFromEnv(t)
	p := newProxy(t, db.url)
	v := runID("down")
	w, err := New(Options{URL: p.url(), Token: db.token, Org: db.org, Bucket: db.bucket,
		BatchSize: 50, BufferSize: 1000, FlushInterval: 10 * time.Millisecond,
		Backoff: 5 * time.Millisecond, MaxBackoff: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	stop := start(t, w)
	rs := tagged(results(300, v+"-"), v)
	w.Add(rs)
	waitFor(t, "failing writes", func() bool { return w.Stats().WriteErrors >= 3 })
	if st := w.Stats(); st.Written != 0 || st.Buffered != 300 || st.Dropped != 0 {
		t.Fatalf("while down: %+v", st)
	}
	p.setUp(true)
	waitFor(t, "the buffer written", func() bool { return w.Stats().Written == 300 })
	stop()
	if st := w.Stats(); st.Buffered != 0 || st.Rejected != 0 || st.Retries == 0 {
		t.Errorf("after: %+v", st)
	}
	want := ids(rs)
	slices.Sort(want)
	if got := db.writtenIDs(t, v); !slices.Equal(got, want) {
		t.Fatalf("read back %d ids, want %d", len(got), len(want))
	}
}

// TestInfluxBufferBound: a full buffer drops exactly the oldest points, and only those.
func TestInfluxBufferBound(t *testing.T) {
	t.Parallel()
	db := influxFromEnv(t)
	v := runID("bound")
	w, err := New(Options{URL: db.url, Token: db.token, Org: db.org, Bucket: db.bucket,
		BatchSize: 50, BufferSize: 200, FlushInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	rs := tagged(results(300, v+"-"), v)
	w.Add(rs) // before Run: nothing can leave the buffer yet
	if st := w.Stats(); st.Dropped != 100 || st.Buffered != 200 {
		t.Fatalf("stats %+v", st)
	}
	stop := start(t, w)
	waitFor(t, "the buffer written", func() bool { return w.Stats().Written == 200 })
	stop()
	want := ids(rs[100:])
	slices.Sort(want)
	if got := db.writtenIDs(t, v); !slices.Equal(got, want) {
		t.Fatalf("read back %d ids (first %v), want the newest %d", len(got), head(got), len(want))
	}
}

// proxy is a loopback TCP proxy to InfluxDB that can be switched off: while down it closes every
// connection, as a stopped server would.
type proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	up     bool
	conns  map[net.Conn]struct{}
}

func newProxy(t *testing.T, targetURL string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var host string
	if _, err := fmt.Sscanf(targetURL, "http://%s", &host); err != nil {
		t.Fatalf("INFLUX_URL %q: want http://host:port", targetURL)
	}
	p := &proxy{ln: ln, target: host, conns: map[net.Conn]struct{}{}}
	go p.serve()
	t.Cleanup(func() { ln.Close(); p.setUp(false) })
	return p
}

func (p *proxy) url() string { return "http://" + p.ln.Addr().String() }

func (p *proxy) setUp(up bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.up = up
	if !up {
		for c := range p.conns {
			c.Close()
		}
	}
}

func (p *proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if !p.up {
			p.mu.Unlock()
			c.Close()
			continue
		}
		p.conns[c] = struct{}{}
		p.mu.Unlock()
		go p.pipe(c)
	}
}

func (p *proxy) pipe(c net.Conn) {
	defer func() {
		p.mu.Lock()
		delete(p.conns, c)
		p.mu.Unlock()
		c.Close()
	}()
	u, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		return
	}
	defer u.Close()
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(u, c); done <- struct{}{} }()
	go func() { _, _ = io.Copy(c, u); done <- struct{}{} }()
	<-done // either side closing ends both
}
