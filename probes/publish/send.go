package publish

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/accesswatch/accesswatch/internal/backoff"
	"github.com/accesswatch/accesswatch/internal/push"
)

const (
	maxRetryAfter = 10 * time.Minute // a Retry-After longer than this is taken as this
	maxAnswer     = 64 << 10         // bytes of a collector's answer read
)

type outKind int

const (
	outOK       outKind = iota
	outRetry            // network error, 5xx, 408, 429: back off and retry
	outSlow             // 401, 403 or an unexpected answer: retry every MaxBackoff
	outTooLarge         // 413: split
	outInvalid          // 400, 422: drop
	outCanceled         // Run's context ended during the request
)

// outcome is how one request went.
type outcome struct {
	kind       outKind
	status     int
	msg        string // redacted error text
	retryAfter time.Duration
	resp       push.Response
}

// sender is Run's state.
type sender struct {
	p        *Publisher
	rd       reader
	limit    int // results per request for the current batch; halved on 413
	failures int // consecutive
	down     bool
	plain    bytes.Buffer
	gz       *gzip.Writer
}

// Run sends spooled results, in order, until ctx is done. It then makes one last attempt
// bounded by FinalTimeout (it sends what it can while the collector answers), fsyncs the spool
// and returns nil: everything unsent stays in the spool for the next run. It returns an error
// only if Run is already running or the Publisher is closed.
func (p *Publisher) Run(ctx context.Context) error {
	if !p.running.CompareAndSwap(false, true) {
		return errors.New("publish: Run is already running")
	}
	defer p.running.Store(false)
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return errors.New("publish: Run after Close")
	}
	p.sp.rewind() // what an earlier Run left in flight is read again
	p.unreadSince = time.Time{}
	p.mu.Unlock()

	s := &sender{p: p}
	defer s.rd.close()
	var cur []record
	for ctx.Err() == nil {
		if len(cur) == 0 {
			s.limit = p.o.BatchSize
			cur = s.next(ctx)
			continue
		}
		var out outcome
		cur, out = s.step(ctx, cur)
		if out.kind == outRetry || out.kind == outSlow {
			backoff.Sleep(ctx, s.delay(out))
		}
	}
	s.shutdown(cur)
	return nil
}

// next waits until a batch is due (BatchSize results waiting, the oldest waiting
// FlushInterval, or a backlog) and reads it; nil when ctx is done.
func (s *sender) next(ctx context.Context) []record {
	p := s.p
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		p.mu.Lock()
		unread, since, closed := p.sp.unread(), p.unreadSince, p.closed
		p.mu.Unlock()
		timer.Stop()
		if unread > 0 && !closed {
			wait := p.o.FlushInterval - p.o.Now().Sub(since)
			if unread >= p.o.BatchSize || since.IsZero() || wait <= 0 {
				if recs := p.readBatch(&s.rd, p.o.BatchSize); len(recs) > 0 {
					return recs
				}
				continue // what was unread went away (dropped, unreadable); look again
			}
			timer.Reset(wait)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-p.wake:
		case <-timer.C:
		}
	}
}

// step makes one request with the head of cur and returns what is left of cur.
func (s *sender) step(ctx context.Context, cur []record) ([]record, outcome) {
	p := s.p
	if cur = p.expire(p.trim(cur)); len(cur) == 0 {
		return nil, outcome{kind: outOK}
	}
	n := min(len(cur), s.limit)
	out := s.attempt(ctx, cur[:n])
	switch out.kind {
	case outOK:
		p.settle(cur[:n], &out.resp, s.down)
		s.failures, s.down = 0, false
		return cur[n:], out
	case outTooLarge:
		if n > 1 {
			s.limit = n / 2
			p.refused(nil, out)
			p.log.Debug("publish: batch too large for the collector; splitting", "results", n)
			return cur, out
		}
		p.refused(cur[:1], out)
		return cur[1:], out
	case outInvalid:
		p.refused(cur[:n], out)
		return cur[n:], out
	}
	if ctx.Err() != nil { // stopping: the final attempt follows
		return cur, outcome{kind: outCanceled}
	}
	s.failures++
	p.failed()
	waiting := p.Stats().SpoolResults
	switch {
	case out.status == http.StatusUnauthorized || out.status == http.StatusForbidden:
		p.log.Error("publish: the collector refused this agent's token; results are kept in the spool",
			"status", out.status, "error", out.msg, "spool_results", waiting, "retry_in", p.o.MaxBackoff)
	case out.kind == outSlow:
		p.log.Error("publish: unexpected answer from the collector; results are kept in the spool",
			"status", out.status, "error", out.msg, "spool_results", waiting, "retry_in", p.o.MaxBackoff)
	case !s.down:
		p.log.Warn("publish: collector unavailable; results are kept in the spool and replayed in order",
			"status", out.status, "error", out.msg, "spool_results", waiting)
	default:
		p.log.Debug("publish: collector still unavailable", "status", out.status, "error", out.msg,
			"spool_results", waiting)
	}
	s.down = true
	return cur, out
}

// shutdown is the last attempt: send while the collector acknowledges, within FinalTimeout;
// then leave the rest in the spool, fsynced.
func (s *sender) shutdown(cur []record) {
	p := s.p
	ctx, cancel := context.WithTimeout(context.Background(), p.o.FinalTimeout)
	defer cancel()
	for ctx.Err() == nil {
		if len(cur) == 0 {
			s.limit = p.o.BatchSize
			if cur = p.readBatch(&s.rd, p.o.BatchSize); len(cur) == 0 {
				break
			}
		}
		var out outcome
		cur, out = s.step(ctx, cur)
		if out.kind == outRetry || out.kind == outSlow || out.kind == outCanceled {
			break
		}
	}
	p.trim(cur) // in flight from a segment dropped at the bound: lost now, and counted
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sp.rewind()
	if err := p.sp.sync(); err != nil {
		p.log.Error("publish: spool fsync at shutdown", "err", err)
	}
}

// settle records an acknowledged batch and moves the spool's cursor past it.
func (p *Publisher) settle(recs []record, r *push.Response, recovering bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if recovering {
		p.replayMark = p.tailMark() // all that is spooled now waited through the outage
		p.log.Info("publish: collector reachable again; replaying the spool",
			"spool_results", p.sp.pending())
	}
	n := int64(len(recs))
	p.st.Sent += n
	p.st.Duplicates += int64(r.Duplicates)
	p.st.Batches++
	p.st.LastSuccess = p.o.Now()
	p.st.LastClockOffset = time.Duration(r.ClockOffsetMs * float64(time.Millisecond))
	for i := range recs {
		if p.replayMark.covers(&recs[i]) {
			p.st.Replayed++
		}
	}
	if got := int64(r.Accepted + r.Duplicates + r.Refused); got != n {
		p.log.Warn("publish: the collector acknowledged a different number of results",
			"sent", n, "accepted", r.Accepted, "duplicates", r.Duplicates, "refused", r.Refused)
	}
	if r.Refused > 0 {
		// Not in the collector's configuration, or outside its time window: sending them
		// again would not help; the agent's and the collector's configs disagree.
		p.st.Refused += int64(r.Refused)
		now := p.o.Now()
		if p.refusedLog.IsZero() || now.Sub(p.refusedLog) >= logEvery {
			p.refusedLog = now
			p.log.Warn("publish: the collector refused results it does not watch; dropped them",
				"refused", r.Refused, "first", p.redact(r.Refusal), "refused_total", p.st.Refused)
		}
	}
	p.commit(recs)
}

// refused records a request the collector will never take; recs (possibly none) are dropped.
func (p *Publisher) refused(recs []record, out outcome) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.st.Failures++
	if len(recs) == 0 {
		return
	}
	p.st.Rejected += int64(len(recs))
	p.log.Error("publish: the collector refused results as invalid; dropped them",
		"results", len(recs), "status", out.status, "error", out.msg, "rejected_total", p.st.Rejected)
	p.commit(recs)
}

func (p *Publisher) commit(recs []record) {
	last := recs[len(recs)-1]
	if err := p.sp.commit(last.seg, last.n, last.end); err != nil {
		p.log.Error("publish: saving the spool cursor (results may be sent twice)", "err", err)
	}
}

func (p *Publisher) failed() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.st.Failures++
	p.replayMark = p.tailMark()
}

// attempt POSTs recs once and classifies the answer.
func (s *sender) attempt(ctx context.Context, recs []record) outcome {
	p := s.p
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.endpoint, bytes.NewReader(s.encode(recs)))
	if err != nil {
		return outcome{kind: outSlow, msg: p.redact(err.Error())}
	}
	req.Header.Set("Authorization", "Bearer "+p.o.Token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Content-Encoding", "gzip")
	req.Header.Set(push.HeaderAgent, p.o.Agent)
	resp, err := p.o.Client.Do(req)
	if err != nil {
		return outcome{kind: outRetry, msg: p.redact(err.Error())}
	}
	defer resp.Body.Close()
	data, rerr := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	out := outcome{status: resp.StatusCode}
	switch c := resp.StatusCode; {
	case c == http.StatusOK:
		if rerr == nil {
			rerr = json.Unmarshal(data, &out.resp)
		}
		if rerr != nil { // not our collector's answer (a proxy, a portal): keep the data
			return outcome{kind: outRetry, status: c, msg: p.redact("unreadable answer: " + rerr.Error())}
		}
		return out
	case c == http.StatusRequestEntityTooLarge:
		out.kind = outTooLarge
	case c == http.StatusBadRequest || c == http.StatusUnprocessableEntity:
		out.kind = outInvalid
	case c == http.StatusTooManyRequests:
		out.kind = outRetry
		out.retryAfter = retryAfter(resp.Header.Get("Retry-After"), p.o.Now())
	case c == http.StatusRequestTimeout || c >= 500:
		out.kind = outRetry
	default: // 401, 403, 404, 3xx…: configuration; an operator has to act
		out.kind = outSlow
	}
	out.msg = p.redact(errorText(data))
	return out
}

// encode builds the gzipped push.Batch for recs from their spooled JSON.
func (s *sender) encode(recs []record) []byte {
	p := s.p
	s.plain.Reset()
	agent, _ := json.Marshal(p.o.Agent)
	sentAt, err := p.o.Now().MarshalJSON()
	if err != nil {
		sentAt = []byte(`"0001-01-01T00:00:00Z"`)
	}
	s.plain.WriteString(`{"agent":`)
	s.plain.Write(agent)
	s.plain.WriteString(`,"sent_at":`)
	s.plain.Write(sentAt)
	s.plain.WriteString(`,"results":[`)
	for i := range recs {
		if i > 0 {
			s.plain.WriteByte(',')
		}
		s.plain.Write(recs[i].raw)
	}
	s.plain.WriteString("]}")
	// A fresh buffer each time: the transport may still read a body after Do returns.
	out := bytes.NewBuffer(make([]byte, 0, s.plain.Len()/6+512))
	if s.gz == nil {
		s.gz, _ = gzip.NewWriterLevel(out, gzip.BestSpeed)
	} else {
		s.gz.Reset(out)
	}
	_, _ = s.gz.Write(s.plain.Bytes()) // into a bytes.Buffer: cannot fail
	s.gz.Close()
	return out.Bytes()
}

// errorText is the message of a push.Error body, or the start of any other body.
func errorText(body []byte) string {
	var e push.Error
	if json.Unmarshal(body, &e) == nil && e.Error != "" {
		body = []byte(e.Error)
	}
	s := strings.TrimSpace(strings.ToValidUTF8(string(body), "?"))
	if len(s) > 200 {
		s = s[:200]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
		s += "…"
	}
	return s
}

// retryAfter parses a Retry-After header: seconds or an HTTP date. Zero when absent or invalid.
func retryAfter(h string, now time.Time) time.Duration {
	return backoff.ParseRetryAfter(h, now, maxRetryAfter)
}

// delay is how long to wait after a failed request: Backoff doubled per failure up to
// MaxBackoff, jittered so a fleet does not come back in step, and at least the Retry-After.
func (s *sender) delay(out outcome) time.Duration {
	o := s.p.o
	if out.kind == outSlow {
		return o.MaxBackoff
	}
	p := backoff.Policy{Initial: o.Backoff, Max: o.MaxBackoff, Jitter: true, Hint: backoff.AtLeast, MaxHint: maxRetryAfter}
	return p.Wait(s.failures-1, out.retryAfter)
}
