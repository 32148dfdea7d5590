// Package backoff computes retry delays: exponential from an initial delay up to a maximum,
// optionally jittered, and combined with a server's Retry-After hint. It is shared by the
// agent's publisher, the InfluxDB writer and the alert dispatcher; each keeps its own retry
// loop, its own clock and its own sleep.
package backoff

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The defaults the three retry loops share.
const (
	DefaultInitial = 500 * time.Millisecond
	DefaultMax     = 30 * time.Second
)

// Hint says how a Retry-After hint combines with the computed delay.
type Hint int

const (
	// AtLeast waits the longer of the delay and the hint: the hint is a floor.
	AtLeast Hint = iota
	// Instead waits the hint instead of the delay when there is one, shorter or longer.
	Instead
)

// Policy is a backoff schedule. The zero value retries at once: set Initial and Max.
type Policy struct {
	Initial time.Duration // delay before the first retry
	Max     time.Duration // cap of the doubling
	// Jitter draws each delay d uniformly from [d/2, d], so that many clients that failed
	// together do not come back in step.
	Jitter bool
	// Hint is how Wait combines a Retry-After hint with the delay; MaxHint caps the hint
	// (0: no cap).
	Hint    Hint
	MaxHint time.Duration
	// Rand returns a uniform integer in [0, n); nil is math/rand/v2's Int64N. Tests inject it.
	Rand func(n int64) int64
}

// Delay is the delay before retry n (0 for the first retry): Initial for the first, then
// Initial doubled n times and capped at Max; jittered when Jitter is set.
func (p Policy) Delay(n int) time.Duration {
	d := p.Initial
	for i := 0; i < n && d < p.Max; i++ {
		d *= 2
	}
	if n > 0 {
		d = min(d, p.Max)
	}
	if p.Jitter && d > 0 {
		r := p.Rand
		if r == nil {
			r = rand.Int64N
		}
		d = d/2 + time.Duration(r(int64(d/2)+1))
	}
	return d
}

// Wait is the wait before retry n when the server hinted hint (0: no hint), per p.Hint.
func (p Policy) Wait(n int, hint time.Duration) time.Duration {
	if p.MaxHint > 0 {
		hint = min(hint, p.MaxHint)
	}
	if p.Hint == Instead && hint > 0 {
		return hint
	}
	return max(p.Delay(n), hint)
}

// ParseRetryAfter reads an HTTP Retry-After header, delay-seconds or an HTTP date (compared
// with now), capped at limit; 0 when absent, unreadable or not in the future.
func ParseRetryAfter(h string, now time.Time, limit time.Duration) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if s, err := strconv.ParseInt(h, 10, 64); err == nil {
		if s <= 0 {
			return 0
		}
		return min(time.Duration(min(s, int64(limit/time.Second)))*time.Second, limit)
	}
	if t, err := http.ParseTime(h); err == nil && t.After(now) {
		return min(t.Sub(now), limit)
	}
	return 0
}

// Sleep waits d or until ctx ends, and reports whether it waited d in full.
func Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
