package publish

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkSpoolReplay spools 100,000 results while the collector is down (connection
// refused, the sender retrying), then brings it back and times the replay until the last
// result is acknowledged. The target: under 10 s.
func BenchmarkSpoolReplay(b *testing.B) {
	const n = 100_000
	rs := results(0, n)
	c := newCollector(b)
	c.light = true
	var replay time.Duration
	for range b.N {
		b.StopTimer()
		c.down()
		c.reset()
		o, _ := options(b, c.url(), b.TempDir())
		o.BatchSize, o.FlushInterval = 0, 0 // defaults: 1000 per request, 1 s
		o.Backoff, o.MaxBackoff = 10*time.Millisecond, 50*time.Millisecond
		p := open(b, o)
		stop := start(b, p)
		for i := 0; i < n; i += 100 {
			p.Add(rs[i : i+100])
		}
		waitFor(b, "a failed attempt", func() bool { return p.Stats().Failures > 0 })
		b.StartTimer()
		t0 := time.Now()
		c.up(b)
		waitFor(b, "the replay", func() bool { return p.Stats().Sent == n })
		replay += time.Since(t0)
		b.StopTimer()
		if got := c.count(); got != n {
			b.Fatalf("collector stored %d of %d", got, n)
		}
		stop()
		p.Close()
	}
	b.ReportMetric(float64(n)*float64(b.N)/replay.Seconds(), "results/s")
	b.ReportMetric(replay.Seconds()/float64(b.N), "s/replay")
}

// BenchmarkAdd measures what Add costs a prober: encoding and one append to the spool.
func BenchmarkAdd(b *testing.B) {
	for _, per := range []int{1, 100} {
		b.Run(fmt.Sprintf("results=%d", per), func(b *testing.B) {
			c := newCollector(b)
			o, _ := options(b, c.url(), b.TempDir())
			p := open(b, o)
			defer p.Close()
			rs := results(0, per)
			b.ReportAllocs()
			for b.Loop() {
				p.Add(rs)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*per), "ns/result")
		})
	}
}
