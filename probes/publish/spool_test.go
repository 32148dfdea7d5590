package publish

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// segmentFiles lists the spool's segment files, oldest first.
func segmentFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*"+segSuffix))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// frameOffsets returns where each frame of a segment file starts.
func frameOffsets(t *testing.T, b []byte) []int {
	t.Helper()
	var offs []int
	for pos := 0; pos < len(b); {
		_, need, ok, _ := parseFrame(b[pos:])
		if !ok {
			t.Fatalf("bad frame at %d", pos)
		}
		offs = append(offs, pos)
		pos += need
	}
	return offs
}

// A crash mid-write (or a bad disk) leaves a torn or corrupt spool: it is cut at the first bad
// frame, counted, and what precedes it is replayed; the spool keeps working.
func TestCorruptSpool(t *testing.T) {
	tests := []struct {
		name      string
		mutate    func(t *testing.T, dir, seg string, b []byte)
		corrupt   int64
		recovered int
		first     int    // the first result replayed
		log       string // expected in the log
	}{
		{"truncated payload", func(t *testing.T, _, seg string, b []byte) {
			os.WriteFile(seg, b[:len(b)-3], 0o600)
		}, 1, 19, 0, ""},
		{"partial header", func(t *testing.T, _, seg string, b []byte) {
			os.WriteFile(seg, append(b, 9, 0, 0, 0, 1), 0o600)
		}, 1, 20, 0, ""},
		{"garbage length", func(t *testing.T, _, seg string, b []byte) {
			os.WriteFile(seg, append(b, bytes.Repeat([]byte{0xff}, 100)...), 0o600)
		}, 1, 20, 0, ""},
		{"zero length", func(t *testing.T, _, seg string, b []byte) {
			os.WriteFile(seg, append(b, make([]byte, 64)...), 0o600)
		}, 1, 20, 0, ""},
		{"checksum of the last frame", func(t *testing.T, _, seg string, b []byte) {
			b[len(b)-2] ^= 0x20
			os.WriteFile(seg, b, 0o600)
		}, 1, 19, 0, ""},
		{"checksum of frame 10", func(t *testing.T, _, seg string, b []byte) {
			b[frameOffsets(t, b)[10]+frameHeader+5] ^= 0x20
			os.WriteFile(seg, b, 0o600)
		}, 1, 10, 0, "corrupt tail"},
		{"unreadable cursor", func(t *testing.T, dir, _ string, _ []byte) {
			os.WriteFile(filepath.Join(dir, cursorName), []byte("{"), 0o600)
		}, 0, 20, 0, "cursor unreadable"},
		{"cursor off a frame boundary", func(t *testing.T, dir, seg string, _ []byte) {
			id, _ := strconv.ParseUint(strings.TrimSuffix(filepath.Base(seg), segSuffix), 10, 64)
			c, _ := json.Marshal(cursor{Segment: id, Offset: 5})
			os.WriteFile(filepath.Join(dir, cursorName), c, 0o600)
		}, 0, 20, 0, "not on a frame boundary"},
		{"cursor on frame 5", func(t *testing.T, dir, seg string, b []byte) {
			id, _ := strconv.ParseUint(strings.TrimSuffix(filepath.Base(seg), segSuffix), 10, 64)
			c, _ := json.Marshal(cursor{Segment: id, Offset: int64(frameOffsets(t, b)[5])})
			os.WriteFile(filepath.Join(dir, cursorName), c, 0o600)
		}, 0, 15, 5, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newCollector(t)
			dir := t.TempDir()
			o, logs := options(t, c.url(), dir)
			p1 := open(t, o)
			rs := results(0, 25)
			for i := range 20 {
				p1.Add(rs[i : i+1])
			}
			p1.Close()
			segs := segmentFiles(t, dir)
			if len(segs) != 1 {
				t.Fatalf("%d segments", len(segs))
			}
			b, err := os.ReadFile(segs[0])
			if err != nil {
				t.Fatal(err)
			}
			tc.mutate(t, dir, segs[0], b)

			p2 := open(t, o)
			if tc.log != "" && !strings.Contains(logs.String(), tc.log) {
				t.Errorf("log lacks %q:\n%s", tc.log, logs)
			}
			st := p2.Stats()
			if st.Corrupt != tc.corrupt || st.Recovered != int64(tc.recovered) {
				t.Fatalf("reopened: Corrupt %d Recovered %d, want %d %d\n%s", st.Corrupt, st.Recovered,
					tc.corrupt, tc.recovered, logs)
			}
			start(t, p2)
			waitFor(t, "the replay", func() bool { return p2.Stats().Sent == int64(tc.recovered) })
			p2.Add(rs[20:]) // appending after a cut tail works
			waitFor(t, "new results", func() bool { return p2.Stats().Sent == int64(tc.recovered)+5 })
			got, _ := c.stored()
			want := append(ids(rs[tc.first:tc.first+tc.recovered]), ids(rs[20:])...)
			sameOrder(t, got, want)
		})
	}
}

func TestSegmentsRotateAndGo(t *testing.T) {
	c := newCollector(t)
	c.set("503")
	dir := t.TempDir()
	o, _ := options(t, c.url(), dir)
	o.SegmentBytes = 8 << 10
	p := open(t, o)
	rs := results(0, 300)
	for i := range rs {
		p.Add(rs[i : i+1])
	}
	if n := len(segmentFiles(t, dir)); n < 5 {
		t.Fatalf("%d segments for %d bytes", n, p.Stats().SpoolBytes)
	}
	c.set("ok")
	start(t, p)
	waitFor(t, "the replay", func() bool { return p.Stats().Sent == 300 })
	if n := len(segmentFiles(t, dir)); n != 1 {
		t.Errorf("%d segments left after everything was acknowledged, want the tail only", n)
	}
	got, _ := c.stored()
	sameOrder(t, got, ids(rs))
}

func TestNewValidates(t *testing.T) {
	dir := t.TempDir()
	good := Options{URL: "https://collector.example.org/", Agent: "a", Token: testToken, SpoolDir: dir}
	tests := []struct {
		name   string
		change func(o *Options)
	}{
		{"no URL", func(o *Options) { o.URL = "" }},
		{"relative URL", func(o *Options) { o.URL = "collector:8080" }},
		{"ftp URL", func(o *Options) { o.URL = "ftp://collector/" }},
		{"credentials in URL", func(o *Options) { o.URL = "https://agent:" + testToken + "@collector/" }},
		{"no agent", func(o *Options) { o.Agent = "" }},
		{"no token", func(o *Options) { o.Token = "" }},
		{"token with a newline", func(o *Options) { o.Token = testToken + "\n" }},
		{"no spool dir", func(o *Options) { o.SpoolDir = "" }},
		{"batch too large", func(o *Options) { o.BatchSize = 10001 }},
		{"negative interval", func(o *Options) { o.FlushInterval = -time.Second }},
		{"tiny spool", func(o *Options) { o.SpoolMaxBytes = 1000 }},
		{"backoff above max", func(o *Options) { o.Backoff, o.MaxBackoff = time.Minute, time.Second }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := good
			tc.change(&o)
			_, err := New(o)
			if err == nil {
				t.Fatal("accepted")
			}
			if strings.Contains(err.Error(), "SECRET") {
				t.Errorf("the error quotes the token: %v", err)
			}
		})
	}
	p, err := New(good)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if p.endpoint != "https://collector.example.org/api/v1/push" || p.o.BatchSize != DefaultBatchSize ||
		p.o.SpoolMaxBytes != DefaultSpoolMaxBytes || p.o.SegmentBytes != DefaultSegmentBytes ||
		p.o.Client.Timeout != DefaultClientTimeout || p.o.MaxBackoff != DefaultMaxBackoff {
		t.Errorf("defaults: %s %+v", p.endpoint, p.o)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		h    string
		want time.Duration
	}{
		{"", 0},
		{"0", 0},
		{"-3", 0},
		{"7", 7 * time.Second},
		{" 7 ", 7 * time.Second},
		{"99999999999", maxRetryAfter},
		{"Sun, 01 Mar 2026 12:00:30 GMT", 30 * time.Second},
		{"Sun, 01 Mar 2026 11:00:00 GMT", 0},
		{"soon", 0},
	}
	for _, tc := range tests {
		t.Run(tc.h, func(t *testing.T) {
			if got := retryAfter(tc.h, now); got != tc.want {
				t.Errorf("retryAfter(%q) = %v, want %v", tc.h, got, tc.want)
			}
		})
	}
}

func TestDelay(t *testing.T) {
	p := &Publisher{o: Options{Backoff: 100 * time.Millisecond, MaxBackoff: time.Second}}
	tests := []struct {
		name     string
		failures int
		out      outcome
		lo, hi   time.Duration
	}{
		{"first failure", 1, outcome{kind: outRetry}, 50 * time.Millisecond, 100 * time.Millisecond},
		{"third failure", 3, outcome{kind: outRetry}, 200 * time.Millisecond, 400 * time.Millisecond},
		{"capped", 30, outcome{kind: outRetry}, 500 * time.Millisecond, time.Second},
		{"auth retries slowly", 1, outcome{kind: outSlow, status: 401}, time.Second, time.Second},
		{"Retry-After honoured", 1, outcome{kind: outRetry, retryAfter: 7 * time.Second}, 7 * time.Second, 7 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := &sender{p: p, failures: tc.failures}
			for range 20 {
				if d := s.delay(tc.out); d < tc.lo || d > tc.hi {
					t.Fatalf("delay %v, want within [%v, %v]", d, tc.lo, tc.hi)
				}
			}
		})
	}
}

func TestErrorText(t *testing.T) {
	tests := []struct{ body, want string }{
		{`{"error":"token revoked"}`, "token revoked"},
		{"<html>gateway</html>\n", "<html>gateway</html>"},
		{strings.Repeat("é", 150), strings.Repeat("é", 100) + "…"},
		{"ok\xff\xfe", "ok?"},
	}
	for _, tc := range tests {
		if got := errorText([]byte(tc.body)); got != tc.want {
			t.Errorf("errorText(%q) = %q, want %q", tc.body, got, tc.want)
		}
	}
}

// A frame damaged on disk after it was written is found when it is read: the rest of that
// segment is skipped and counted, and the spool carries on in a new segment.
func TestCorruptionFoundWhileReading(t *testing.T) {
	c := newCollector(t)
	dir := t.TempDir()
	o, logs := options(t, c.url(), dir)
	p := open(t, o)
	rs := results(0, 25)
	for i := range 20 {
		p.Add(rs[i : i+1])
	}
	seg := segmentFiles(t, dir)[0]
	b, err := os.ReadFile(seg)
	if err != nil {
		t.Fatal(err)
	}
	b[frameOffsets(t, b)[10]+frameHeader+5] ^= 0x20
	if err := os.WriteFile(seg, b, 0o600); err != nil {
		t.Fatal(err)
	}
	start(t, p)
	waitFor(t, "the readable results", func() bool { return p.Stats().Sent == 10 })
	p.Add(rs[20:])
	waitFor(t, "new results", func() bool { return p.Stats().Sent == 15 })
	got, _ := c.stored()
	sameOrder(t, got, append(ids(rs[:10]), ids(rs[20:])...))
	if st := p.Stats(); st.Corrupt != 1 || st.Lost != 10 || st.SpoolResults != 0 {
		t.Errorf("stats %+v", st)
	}
	if !strings.Contains(logs.String(), "unreadable") {
		t.Errorf("not logged:\n%s", logs)
	}
}

// TestSpoolMaxAge: results older than SpoolMaxAge when their turn comes are dropped unsent
// and counted, the young ones behind them still go, and the cursor moves past them all.
func TestSpoolMaxAge(t *testing.T) {
	c := newCollector(t)
	dir := t.TempDir()
	o, logs := options(t, c.url(), dir)
	rs := results(0, 30) // 2026-03-01 12:00:00 + k s
	o.SpoolMaxAge = time.Hour
	// "Now" is 1 h 20 s after the first result: results 0…19 are more than an hour old.
	now := rs[0].Time.Add(time.Hour + 20*time.Second)
	o.Now = func() time.Time { return now }
	o.FlushInterval = 0
	p := open(t, o)
	p.Add(rs)
	stop := start(t, p)
	waitFor(t, "the young results", func() bool { return c.count() == 10 })
	stop()
	order, _ := c.stored()
	sameOrder(t, order, ids(rs[20:]))
	st := p.Stats()
	if st.Expired != 20 || st.Sent != 10 || st.SpoolResults != 0 || st.Rejected != 0 {
		t.Fatalf("stats %+v: want 20 expired, 10 sent, none left", st)
	}
	if !strings.Contains(logs.String(), "older than agent.spool_max_age") {
		t.Errorf("no log line about expired results:\n%s", logs)
	}
	// Nothing is read again after a restart: the cursor moved past the expired results.
	p.Close()
	p2 := open(t, o)
	defer p2.Close()
	if st := p2.Stats(); st.Recovered != 0 {
		t.Fatalf("%d results waiting after a restart, want 0", st.Recovered)
	}
}

// TestSpoolAllExpired: a batch of nothing but expired results is acknowledged without a request.
func TestSpoolAllExpired(t *testing.T) {
	c := newCollector(t)
	o, _ := options(t, c.url(), t.TempDir())
	rs := results(0, 5)
	o.SpoolMaxAge = time.Minute
	o.Now = func() time.Time { return rs[4].Time.Add(time.Hour) }
	o.FlushInterval = 0
	p := open(t, o)
	p.Add(rs)
	stop := start(t, p)
	waitFor(t, "the spool to empty", func() bool { return p.Stats().SpoolResults == 0 })
	stop()
	if st := p.Stats(); st.Expired != 5 || st.Sent != 0 {
		t.Fatalf("stats %+v: want 5 expired, 0 sent", st)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.requests != 0 {
		t.Fatalf("%d requests for a batch of expired results", c.requests)
	}
}

func TestRecordTime(t *testing.T) {
	r := results(0, 1)[0]
	raw, _ := json.Marshal(r)
	if got, ok := recordTime(raw); !ok || !got.Equal(r.Time) {
		t.Fatalf("recordTime = %v %v, want %v", got, ok, r.Time)
	}
	for _, bad := range []string{`{}`, `{"time":"yesterday"}`, `{"time":"2026`} {
		if _, ok := recordTime([]byte(bad)); ok {
			t.Errorf("recordTime(%s) ok", bad)
		}
	}
}

// TestCollectorRefusesSome: results the collector acknowledges as refused are dropped, counted
// in Stats.Refused and logged once; the rest of the batch and the spool go on.
func TestCollectorRefusesSome(t *testing.T) {
	c := newCollector(t)
	o, logs := options(t, c.url(), t.TempDir())
	rs := results(0, 20)
	c.mu.Lock()
	c.refuse[rs[3].ID], c.refuse[rs[11].ID] = true, true
	c.mu.Unlock()
	p := open(t, o)
	p.Add(rs)
	stop := start(t, p)
	waitFor(t, "the spool to empty", func() bool { return p.Stats().SpoolResults == 0 })
	stop()
	if st := p.Stats(); st.Refused != 2 || st.Sent != 20 || st.Rejected != 0 {
		t.Fatalf("stats %+v: want 2 refused of 20 sent", st)
	}
	if c.count() != 18 {
		t.Fatalf("collector stored %d, want 18", c.count())
	}
	if n := strings.Count(logs.String(), "refused results it does not watch"); n != 1 {
		t.Errorf("%d log lines about refusals, want 1:\n%s", n, logs)
	}
	if strings.Contains(logs.String(), "acknowledged a different number") {
		t.Errorf("refused results counted as a mismatch:\n%s", logs)
	}
}
