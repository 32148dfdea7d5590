package backoff

import (
	"context"
	"net/http"
	"testing"
	"time"
)

func TestDelayDoublesUpToMax(t *testing.T) {
	p := Policy{Initial: 500 * time.Millisecond, Max: 30 * time.Second}
	want := []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second,
		8 * time.Second, 16 * time.Second, 30 * time.Second, 30 * time.Second}
	for n, w := range want {
		if got := p.Delay(n); got != w {
			t.Errorf("Delay(%d) = %v, want %v", n, got, w)
		}
	}
	if got := p.Delay(1 << 20); got != 30*time.Second {
		t.Errorf("Delay(huge) = %v, want the max", got)
	}
	if got := p.Delay(-1); got != p.Initial {
		t.Errorf("Delay(-1) = %v, want Initial", got)
	}
	// An Initial above Max: the first retry waits Initial, the next ones Max.
	q := Policy{Initial: time.Minute, Max: 10 * time.Second}
	if q.Delay(0) != time.Minute || q.Delay(1) != 10*time.Second || q.Delay(5) != 10*time.Second {
		t.Errorf("Initial above Max: %v %v %v", q.Delay(0), q.Delay(1), q.Delay(5))
	}
}

func TestJitterInUpperHalf(t *testing.T) {
	var asked []int64
	lo := Policy{Initial: time.Second, Max: 8 * time.Second, Jitter: true,
		Rand: func(n int64) int64 { asked = append(asked, n); return 0 }}
	hi := lo
	hi.Rand = func(n int64) int64 { return n - 1 }
	for n := range 6 {
		d := Policy{Initial: time.Second, Max: 8 * time.Second}.Delay(n)
		if got := lo.Delay(n); got != d/2 {
			t.Errorf("Delay(%d) with the lowest draw = %v, want %v", n, got, d/2)
		}
		if got := hi.Delay(n); got != d {
			t.Errorf("Delay(%d) with the highest draw = %v, want %v", n, got, d)
		}
	}
	if asked[0] != int64(time.Second/2)+1 {
		t.Errorf("Rand asked for %d, want d/2+1", asked[0])
	}
	// The default source stays in range.
	p := Policy{Initial: 10 * time.Millisecond, Max: time.Second, Jitter: true}
	for n := range 200 {
		d := Policy{Initial: p.Initial, Max: p.Max}.Delay(n % 10)
		if got := p.Delay(n % 10); got < d/2 || got > d {
			t.Fatalf("Delay(%d) = %v outside [%v, %v]", n%10, got, d/2, d)
		}
	}
}

func TestWaitHonoursHint(t *testing.T) {
	floor := Policy{Initial: time.Second, Max: 4 * time.Second, MaxHint: 10 * time.Second}
	instead := floor
	instead.Hint = Instead
	for _, tc := range []struct {
		n                    int
		hint, floor, instead time.Duration
	}{
		{0, 0, time.Second, time.Second},
		{0, 3 * time.Second, 3 * time.Second, 3 * time.Second},
		{3, 2 * time.Second, 4 * time.Second, 2 * time.Second}, // a shorter hint: floor keeps the delay
		{0, time.Hour, 10 * time.Second, 10 * time.Second},     // capped
	} {
		if got := floor.Wait(tc.n, tc.hint); got != tc.floor {
			t.Errorf("AtLeast Wait(%d, %v) = %v, want %v", tc.n, tc.hint, got, tc.floor)
		}
		if got := instead.Wait(tc.n, tc.hint); got != tc.instead {
			t.Errorf("Instead Wait(%d, %v) = %v, want %v", tc.n, tc.hint, got, tc.instead)
		}
	}
	uncapped := Policy{Initial: time.Second, Max: time.Second}
	if got := uncapped.Wait(0, time.Hour); got != time.Hour {
		t.Errorf("no MaxHint: %v", got)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	const limit = 10 * time.Minute
	for _, tc := range []struct {
		h    string
		want time.Duration
	}{
		{"", 0}, {"  ", 0}, {"0", 0}, {"-5", 0}, {"abc", 0},
		{"7", 7 * time.Second}, {" 7 ", 7 * time.Second},
		{"601", limit}, {"999999999999999", limit},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(time.Hour).Format(http.TimeFormat), limit},
		{now.Format(http.TimeFormat), 0},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
	} {
		if got := ParseRetryAfter(tc.h, now, limit); got != tc.want {
			t.Errorf("ParseRetryAfter(%q) = %v, want %v", tc.h, got, tc.want)
		}
	}
}

func TestSleep(t *testing.T) {
	if !Sleep(context.Background(), time.Millisecond) {
		t.Error("Sleep did not report a full wait")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if Sleep(ctx, time.Hour) {
		t.Error("Sleep on an ended context reported a full wait")
	}
}
