package publish

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"hash/crc32"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
)

// Stats are counters and gauges for metrics. Counters count results unless named otherwise
// and start at zero with each Publisher.
type Stats struct {
	Sent         int64 // acknowledged by the collector (duplicates included)
	Duplicates   int64 // of those, results the collector already had
	Replayed     int64 // of those, results that had waited through a failure or a restart
	Spooled      int64 // written to the spool (every result Add took)
	Recovered    int64 // found waiting in the spool when the Publisher was opened
	SpoolBytes   int64 // gauge: bytes of the spool on disk
	SpoolResults int64 // gauge: results in the spool not yet acknowledged
	Dropped      int64 // oldest results dropped because the spool hit SpoolMaxBytes
	Rejected     int64 // refused by the collector as invalid (400, 422, 413 for one result)
	Refused      int64 // of Sent, results the collector acknowledged as refused (push.Response.Refused)
	Expired      int64 // dropped unsent because they were older than SpoolMaxAge
	Corrupt      int64 // torn or corrupt spool data skipped (occurrences, not results)
	Lost         int64 // results that could not be spooled (disk error, Add after Close)
	Batches      int64 // requests acknowledged
	Failures     int64 // requests not acknowledged

	LastClockOffset time.Duration // collector receive time minus our send time, last answer
	LastSuccess     time.Time     // when the last batch was acknowledged (Options.Now)
}

// Publisher spools results and pushes them to the collector. Add is safe for concurrent use;
// Run runs once at a time.
type Publisher struct {
	o        Options
	endpoint string
	log      *slog.Logger

	mu          sync.Mutex
	sp          *spool
	closed      bool
	unreadSince time.Time // when the oldest unread result was added; zero: send at once
	replayMark  mark      // results up to here waited through a failure or a restart
	st          Stats
	expiredLog  time.Time // when expired results were last logged
	refusedLog  time.Time // when refused results were last logged

	wake    chan struct{}
	running atomic.Bool
	addBufs sync.Pool
}

// mark is a position in the spool: the n-th frame of segment seg.
type mark struct {
	seg uint64
	n   int
}

func (m mark) covers(r *record) bool { return r.seg < m.seg || (r.seg == m.seg && r.n <= m.n) }

// record is one spooled result handed to the sender, and where it ends in the spool.
type record struct {
	raw []byte // the result's JSON
	seg uint64
	n   int   // 1-based index in its segment
	end int64 // offset just past its frame
}

// New opens (or creates) the spool in o.SpoolDir and counts what a previous run left there.
func New(o Options) (*Publisher, error) {
	o, endpoint, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	sp, waiting, corrupt, err := openSpool(o.SpoolDir, o.SegmentBytes, o.SpoolMaxBytes, o.Logger)
	if err != nil {
		return nil, err
	}
	p := &Publisher{o: o, endpoint: endpoint, log: o.Logger, sp: sp, wake: make(chan struct{}, 1)}
	p.st.Recovered = int64(waiting)
	p.st.Corrupt = int64(corrupt)
	p.replayMark = p.tailMark()
	if waiting > 0 {
		p.log.Info("publish: results waiting in the spool from a previous run", "results", waiting,
			"bytes", sp.bytes)
	}
	return p, nil
}

func (p *Publisher) tailMark() mark {
	if t := p.sp.tail(); t != nil {
		return mark{seg: t.id, n: t.count}
	}
	return mark{}
}

// Add spools rs; Run sends them. It never waits for the network: it encodes the results and
// appends them to a spool file (one write), dropping the oldest segments if the bound is hit.
func (p *Publisher) Add(rs []model.Result) {
	if len(rs) == 0 {
		return
	}
	frames, n := p.encodeFrames(rs)
	defer p.addBufs.Put(frames)
	p.mu.Lock()
	defer p.mu.Unlock()
	if bad := len(rs) - n; bad > 0 {
		p.st.Lost += int64(bad)
		p.log.Error("publish: results that cannot be encoded were lost", "results", bad)
	}
	if n == 0 {
		return
	}
	if p.closed {
		p.st.Lost += int64(n)
		p.log.Error("publish: Add after Close; results lost", "results", n)
		return
	}
	wasEmpty := p.sp.unread() == 0
	dropped, err := p.sp.append(frames.Bytes(), n)
	if dropped > 0 {
		p.st.Dropped += int64(dropped)
		p.log.Warn("publish: spool full; dropped the oldest results", "dropped", dropped,
			"dropped_total", p.st.Dropped, "max_bytes", p.sp.maxBytes)
	}
	if err != nil {
		p.st.Lost += int64(n)
		p.log.Error("publish: spooling failed; results lost", "results", n, "err", err)
		return
	}
	p.st.Spooled += int64(n)
	if wasEmpty && p.unreadSince.IsZero() {
		p.unreadSince = p.o.Now()
	}
	if wasEmpty || p.sp.unread() >= p.o.BatchSize {
		select {
		case p.wake <- struct{}{}:
		default:
		}
	}
}

// encodeFrames encodes rs as spool frames into a pooled buffer; n counts the encoded ones.
func (p *Publisher) encodeFrames(rs []model.Result) (*bytes.Buffer, int) {
	b, _ := p.addBufs.Get().(*bytes.Buffer)
	if b == nil {
		b = new(bytes.Buffer)
	}
	b.Reset()
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	n := 0
	for i := range rs {
		start := b.Len()
		b.Write(make([]byte, frameHeader))
		if err := enc.Encode(&rs[i]); err != nil {
			b.Truncate(start)
			continue
		}
		b.Truncate(b.Len() - 1) // Encode's newline
		frame := b.Bytes()[start:]
		payload := frame[frameHeader:]
		binary.LittleEndian.PutUint32(frame, uint32(len(payload)))
		binary.LittleEndian.PutUint32(frame[4:], crc32.Checksum(payload, crcTable))
		n++
	}
	return b, n
}

// Stats returns the counters and gauges.
func (p *Publisher) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := p.st
	st.SpoolBytes = p.sp.bytes
	st.SpoolResults = int64(p.sp.pending())
	return st
}

// Close fsyncs and closes the spool. Call it after Run has returned; results added later are
// lost (and counted).
func (p *Publisher) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil
	}
	p.closed = true
	return p.sp.close()
}

// trim removes from the head of recs the results whose segment was dropped at the bound while
// they were in flight, and counts them as dropped.
func (p *Publisher) trim(recs []record) []record {
	p.mu.Lock()
	defer p.mu.Unlock()
	i := 0
	for i < len(recs) && p.sp.gone(recs[i].seg) {
		i++
	}
	if i > 0 {
		p.st.Dropped += int64(i)
		p.log.Warn("publish: spool full; dropped the oldest results", "dropped", i,
			"dropped_total", p.st.Dropped)
	}
	return recs[i:]
}

// logEvery bounds the log lines about expired and refused results to one this often.
const logEvery = time.Minute

// expire removes from recs the results older than SpoolMaxAge, counting them in
// Stats.Expired. The spool's cursor is positional, so what is removed is acknowledged with
// the next batch; when everything is removed it is acknowledged now.
func (p *Publisher) expire(recs []record) []record {
	now := p.o.Now()
	cutoff := now.Add(-p.o.SpoolMaxAge)
	old := func(r *record) bool { t, ok := recordTime(r.raw); return ok && t.Before(cutoff) }
	first := -1
	for i := range recs {
		if old(&recs[i]) {
			first = i
			break
		}
	}
	if first < 0 {
		return recs
	}
	keep := append(make([]record, 0, len(recs)), recs[:first]...)
	n := 0
	for i := first; i < len(recs); i++ {
		if old(&recs[i]) {
			n++
			continue
		}
		keep = append(keep, recs[i])
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.st.Expired += int64(n)
	if p.expiredLog.IsZero() || now.Sub(p.expiredLog) >= logEvery {
		p.expiredLog = now
		p.log.Warn("publish: results older than agent.spool_max_age dropped unsent", "results", n,
			"max_age", p.o.SpoolMaxAge, "expired_total", p.st.Expired)
	}
	if len(keep) == 0 {
		p.commit(recs)
	}
	return keep
}

// recordTime reads a spooled result's "time" without decoding the rest of it.
func recordTime(raw []byte) (time.Time, bool) {
	const key = `"time":"`
	i := bytes.Index(raw, []byte(key))
	if i < 0 {
		return time.Time{}, false
	}
	rest := raw[i+len(key):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, string(rest[:j]))
	return t, err == nil
}

// redact removes the token from text that may come from elsewhere (an error, a collector's
// answer that echoes headers).
func (p *Publisher) redact(s string) string {
	return strings.ReplaceAll(s, p.o.Token, "[redacted]")
}

// readBatch hands out up to max unread results from the head of the spool, in order.
func (p *Publisher) readBatch(r *reader, limit int) []record {
	for range 8 { // each failed pass removes or skips something, so this ends
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return nil
		}
		g, ok := p.sp.firstUnread()
		p.mu.Unlock()
		if !ok {
			return nil
		}
		recs, end, err := r.read(p.sp.path(g.id), g, limit)
		p.mu.Lock()
		applied := p.sp.markRead(g.id, g.readOff, end, len(recs))
		if err != nil && !p.sp.gone(g.id) {
			n := p.sp.skipRest(g.id)
			p.st.Corrupt++
			p.st.Lost += int64(n)
			p.log.Error("publish: spool segment unreadable; skipping the rest of it",
				"results", n, "err", err)
		}
		// Zero: whatever is left is a backlog to send at once; if nothing is, the next Add
		// starts the clock again.
		p.unreadSince = time.Time{}
		p.mu.Unlock()
		if applied && len(recs) > 0 {
			return recs
		}
	}
	return nil
}

// reader reads spool frames; it belongs to Run.
type reader struct {
	f   *os.File
	seg uint64
}

func (r *reader) close() {
	if r.f != nil {
		r.f.Close()
		r.f = nil
	}
}

// read parses up to max frames of segment g from g.readOff, never past g.size. It returns
// them and where it stopped; err reports a file it cannot read or a corrupt frame.
func (r *reader) read(path string, g segment, limit int) ([]record, int64, error) {
	if r.f == nil || r.seg != g.id {
		r.close()
		f, err := os.Open(path)
		if err != nil {
			return nil, g.readOff, err
		}
		r.f, r.seg = f, g.id
	}
	const chunk = 1 << 20
	var recs []record
	off, n := g.readOff, g.read
	want := int64(chunk)
	for len(recs) < limit && off < g.size {
		buf := make([]byte, min(g.size-off, want))
		if _, err := r.f.ReadAt(buf, off); err != nil {
			return recs, off, err
		}
		pos := 0
		for len(recs) < limit {
			payload, need, ok, bad := parseFrame(buf[pos:])
			if bad || (need > 0 && off+int64(pos+need) > g.size) {
				return recs, off + int64(pos), errors.New("publish: corrupt spool frame")
			}
			if !ok {
				want = max(chunk, int64(need))
				break
			}
			pos += need
			n++
			recs = append(recs, record{raw: payload, seg: g.id, n: n, end: off + int64(pos)})
		}
		if pos == 0 && len(recs) < limit && int64(len(buf)) >= g.size-off {
			return recs, off, errors.New("publish: corrupt spool frame")
		}
		off += int64(pos)
	}
	return recs, off, nil
}
