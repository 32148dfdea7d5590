package publish

import (
	"strings"
	"sync"
	"testing"
	"time"
)

func TestDeliversInOrder(t *testing.T) {
	c := newCollector(t)
	o, _ := options(t, c.url(), t.TempDir())
	skew := 3 * 365 * 24 * time.Hour // the agent's clock: Now is what SentAt and LastSuccess use
	o.Now = func() time.Time { return time.Now().Add(skew) }
	p := open(t, o)
	start(t, p)
	rs := results(0, 230)
	for i := 0; i < len(rs); i += 7 {
		p.Add(rs[i:min(i+7, len(rs))])
	}
	waitFor(t, "all results", func() bool { return p.Stats().Sent == 230 })
	got, dups := c.stored()
	sameOrder(t, got, ids(rs))
	if len(dups) > 0 {
		t.Errorf("duplicates: %v", dups)
	}
	c.check(t)
	st := p.Stats()
	if st.Spooled != 230 || st.SpoolResults != 0 || st.Dropped != 0 || st.Failures != 0 || st.Replayed != 0 {
		t.Errorf("stats %+v", st)
	}
	if st.Batches < 5 || c.largest > 50 {
		t.Errorf("%d batches, largest %d results: BatchSize 50 not honoured", st.Batches, c.largest)
	}
	if st.LastClockOffset != 1234500*time.Microsecond {
		t.Errorf("LastClockOffset %v", st.LastClockOffset)
	}
	if time.Until(st.LastSuccess) < skew/2 || time.Until(c.lastSent) < skew/2 {
		t.Errorf("LastSuccess %v, sent_at %v: not from Options.Now", st.LastSuccess, c.lastSent)
	}
}

func TestConcurrentAdd(t *testing.T) {
	c := newCollector(t)
	o, _ := options(t, c.url(), t.TempDir())
	p := open(t, o)
	start(t, p)
	const writers, each = 4, 250
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			rs := results(w*each, each)
			for i := range rs {
				p.Add(rs[i : i+1])
			}
		})
	}
	wg.Wait()
	waitFor(t, "all results", func() bool { return c.count() == writers*each })
	got, dups := c.stored()
	if len(dups) > 0 {
		t.Errorf("%d duplicates", len(dups))
	}
	// Each writer's results arrive in the order it added them.
	pos := map[string]int{}
	for i, id := range got {
		pos[id] = i
	}
	for w := range writers {
		want := ids(results(w*each, each))
		for i := 1; i < len(want); i++ {
			if pos[want[i-1]] > pos[want[i]] {
				t.Fatalf("writer %d: %s stored after %s", w, want[i-1], want[i])
			}
		}
	}
	c.check(t)
}

// An outage under load loses nothing, duplicates nothing and keeps the order, whatever the
// collector does while it is down.
func TestOutage(t *testing.T) {
	for _, mode := range []string{"503", "refused", "429", "401", "portal"} {
		t.Run(mode, func(t *testing.T) {
			c := newCollector(t)
			o, logs := options(t, c.url(), t.TempDir())
			p := open(t, o)
			start(t, p)
			rs := results(0, 500)
			add := func(from, to int) {
				for i := from; i < to; i += 10 {
					p.Add(rs[i : i+10])
				}
			}
			add(0, 100)
			waitFor(t, "the first results", func() bool { return c.count() == 100 })
			if mode == "refused" {
				c.down()
			} else {
				c.set(mode)
			}
			add(100, 400)
			waitFor(t, "failed attempts", func() bool { return p.Stats().Failures >= 3 })
			if st := p.Stats(); st.SpoolResults < 300 || st.Sent != 100 {
				t.Errorf("during the outage: %+v", st)
			}
			if mode == "refused" {
				c.up(t)
			} else {
				c.set("ok")
			}
			add(400, 500)
			waitFor(t, "the replay", func() bool { return p.Stats().Sent == 500 })
			got, dups := c.stored()
			sameOrder(t, got, ids(rs))
			if len(dups) > 0 {
				t.Errorf("duplicates: %v", dups)
			}
			c.check(t)
			st := p.Stats()
			if st.Replayed < 300 || st.Replayed > 400 || st.Dropped != 0 || st.Rejected != 0 || st.SpoolResults != 0 {
				t.Errorf("after the outage: %+v", st)
			}
			l := logs.String()
			if mode == "401" && (!strings.Contains(l, "level=ERROR") || !strings.Contains(l, "[redacted]")) {
				t.Errorf("an auth failure must be logged as an error:\n%s", l)
			}
			if !strings.Contains(l, "collector reachable again") {
				t.Errorf("recovery not logged:\n%s", l)
			}
		})
	}
}

// When the bound is hit the oldest results go, and the counter says exactly how many.
func TestBoundDropsOldest(t *testing.T) {
	for _, sending := range []bool{true, false} {
		name := map[bool]string{true: "sender retrying", false: "no sender"}[sending]
		t.Run(name, func(t *testing.T) {
			c := newCollector(t)
			c.set("503")
			o, _ := options(t, c.url(), t.TempDir())
			o.SpoolMaxBytes = 64 << 10
			o.SegmentBytes = 8 << 10
			p := open(t, o)
			var stop func()
			if sending {
				stop = start(t, p)
				waitFor(t, "the sender", func() bool { return true })
			}
			rs := results(0, 1000)
			for i := range rs {
				p.Add(rs[i : i+1])
				if i == 10 && sending {
					waitFor(t, "a failed attempt", func() bool { return p.Stats().Failures >= 1 })
				}
				if b := p.Stats().SpoolBytes; b > o.SpoolMaxBytes {
					t.Fatalf("spool is %d bytes, bound %d", b, o.SpoolMaxBytes)
				}
			}
			st := p.Stats()
			if st.Dropped == 0 {
				t.Fatalf("nothing dropped: %+v", st)
			}
			c.set("ok")
			if !sending {
				stop = start(t, p)
			}
			waitFor(t, "the replay", func() bool {
				st := p.Stats()
				return st.Sent+st.Dropped == 1000 && st.SpoolResults == 0
			})
			stop()
			st = p.Stats()
			got, dups := c.stored()
			sameOrder(t, got, ids(rs[st.Dropped:]))
			if len(dups) > 0 {
				t.Errorf("duplicates: %v", dups)
			}
			if st.Spooled != 1000 || st.Lost != 0 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

func TestRestartReplays(t *testing.T) {
	t.Run("left by a publisher that never sent", func(t *testing.T) {
		c := newCollector(t)
		dir := t.TempDir()
		o, _ := options(t, c.url(), dir)
		p1 := open(t, o)
		rs := results(0, 120)
		p1.Add(rs[:60])
		p1.Add(rs[60:])
		if err := p1.Close(); err != nil {
			t.Fatal(err)
		}
		p2 := open(t, o)
		if st := p2.Stats(); st.Recovered != 120 || st.SpoolResults != 120 || st.SpoolBytes == 0 {
			t.Fatalf("reopened: %+v", st)
		}
		start(t, p2)
		waitFor(t, "the replay", func() bool { return p2.Stats().Sent == 120 })
		got, _ := c.stored()
		sameOrder(t, got, ids(rs))
		if st := p2.Stats(); st.Replayed != 120 {
			t.Errorf("Replayed %d, want 120", st.Replayed)
		}
	})
	t.Run("stopped during an outage", func(t *testing.T) {
		c := newCollector(t)
		dir := t.TempDir()
		o, _ := options(t, c.url(), dir)
		o.FinalTimeout = 200 * time.Millisecond
		p1 := open(t, o)
		stop := start(t, p1)
		rs := results(0, 200)
		p1.Add(rs[:100])
		waitFor(t, "the first results", func() bool { return c.count() == 100 })
		c.set("503")
		p1.Add(rs[100:150])
		waitFor(t, "a failed attempt", func() bool { return p1.Stats().Failures >= 1 })
		p1.Add(rs[150:])
		stop()
		if err := p1.Close(); err != nil {
			t.Fatal(err)
		}
		c.set("ok")
		p2 := open(t, o)
		if st := p2.Stats(); st.Recovered != 100 {
			t.Fatalf("reopened: %+v", st)
		}
		stop2 := start(t, p2)
		waitFor(t, "the replay", func() bool { return p2.Stats().Sent == 100 })
		stop2()
		p2.Close()
		got, dups := c.stored()
		sameOrder(t, got, ids(rs))
		if len(dups) > 0 {
			t.Errorf("duplicates: %v", dups)
		}
		p3 := open(t, o) // the cursor was saved: nothing is sent twice
		if st := p3.Stats(); st.Recovered != 0 || st.SpoolResults != 0 {
			t.Errorf("third open: %+v", st)
		}
		p3.Close()
	})
	t.Run("final attempt on stop", func(t *testing.T) {
		c := newCollector(t)
		o, _ := options(t, c.url(), t.TempDir())
		o.FlushInterval = time.Hour
		o.BatchSize = 1000
		p := open(t, o)
		stop := start(t, p)
		p.Add(results(0, 10))
		stop()
		if n := c.count(); n != 10 {
			t.Errorf("stored %d of 10 on stop", n)
		}
		if st := p.Stats(); st.SpoolResults != 0 {
			t.Errorf("stats %+v", st)
		}
	})
}

func TestTooLargeSplits(t *testing.T) {
	c := newCollector(t)
	c.maxResults = 7
	rs := results(0, 100)
	c.huge[rs[33].ID] = true // too large even alone
	o, _ := options(t, c.url(), t.TempDir())
	p := open(t, o)
	start(t, p)
	p.Add(rs)
	waitFor(t, "all results", func() bool { return p.Stats().Sent == 99 })
	want := append(ids(rs[:33]), ids(rs[34:])...)
	got, _ := c.stored()
	sameOrder(t, got, want)
	if st := p.Stats(); st.Rejected != 1 || st.SpoolResults != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestInvalidBatchDropped(t *testing.T) {
	c := newCollector(t)
	rs := results(0, 100)
	c.poison[rs[42].ID] = true
	o, logs := options(t, c.url(), t.TempDir())
	o.BatchSize = 10
	o.FlushInterval = time.Hour // batches are exactly rs[0:10], rs[10:20], …
	p := open(t, o)
	p.Add(rs)
	start(t, p)
	waitFor(t, "all batches settled", func() bool { st := p.Stats(); return st.Sent+st.Rejected == 100 })
	got, _ := c.stored()
	sameOrder(t, got, append(ids(rs[:40]), ids(rs[50:])...))
	st := p.Stats()
	if st.Rejected != 10 || st.Failures != 1 {
		t.Errorf("stats %+v", st)
	}
	if l := logs.String(); !strings.Contains(l, "level=ERROR") || !strings.Contains(l, "results=10") {
		t.Errorf("the drop must be logged as an error with its count:\n%s", l)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.requests != 10 {
		t.Errorf("%d requests, want 10: a refused batch must not be retried", c.requests)
	}
}

func TestAddAfterClose(t *testing.T) {
	c := newCollector(t)
	o, _ := options(t, c.url(), t.TempDir())
	p := open(t, o)
	p.Add(results(0, 3))
	p.Close()
	p.Add(results(3, 2))
	if st := p.Stats(); st.Spooled != 3 || st.Lost != 2 {
		t.Errorf("stats %+v", st)
	}
	if err := p.Run(t.Context()); err == nil {
		t.Error("Run after Close succeeded")
	}
}

func TestRunOnce(t *testing.T) {
	c := newCollector(t)
	o, _ := options(t, c.url(), t.TempDir())
	p := open(t, o)
	start(t, p)
	waitFor(t, "Run", p.running.Load)
	if err := p.Run(t.Context()); err == nil {
		t.Error("a second concurrent Run succeeded")
	}
}

// A batch stored by the collector whose answer is lost is sent again; the collector's
// idempotence absorbs it and the agent counts the duplicates.
func TestLostAcknowledgement(t *testing.T) {
	c := newCollector(t)
	c.loseAcks = 1
	o, _ := options(t, c.url(), t.TempDir())
	o.FlushInterval = time.Hour
	p := open(t, o)
	rs := results(0, 120)
	p.Add(rs)
	start(t, p)
	waitFor(t, "all results", func() bool { return p.Stats().Sent == 120 })
	got, dups := c.stored()
	sameOrder(t, got, ids(rs))
	st := p.Stats()
	if len(dups) != 50 || st.Duplicates != 50 || st.Failures != 1 {
		t.Errorf("%d ids received twice; stats %+v", len(dups), st)
	}
}

// The collector killed and restarted repeatedly while four probers add results: every result
// arrives exactly once and each prober's results arrive in the order it added them.
func TestFlappingCollectorUnderLoad(t *testing.T) {
	c := newCollector(t)
	o, _ := options(t, c.url(), t.TempDir())
	o.SegmentBytes = 64 << 10 // many rotations and deletions on the way
	p := open(t, o)
	start(t, p)
	const writers, each = 4, 2000
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			rs := results(w*each, each)
			for i := 0; i < each; i += 10 {
				p.Add(rs[i : i+10])
				time.Sleep(50 * time.Microsecond)
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	for i := 0; ; i++ {
		select {
		case <-done:
		case <-time.After(20 * time.Millisecond):
			if i%2 == 0 {
				c.down()
			} else {
				c.up(t)
			}
			continue
		}
		break
	}
	c.down()
	c.up(t)
	// Under -race the catch-up after the last restart takes longer than waitFor's 5 s: wait as
	// long as the collector keeps receiving results, bounded.
	waitProgress(t, "all results", c.count, writers*each)
	waitFor(t, "the last acknowledgement", func() bool { return p.Stats().SpoolResults == 0 })
	got, _ := c.stored()
	pos := map[string]int{}
	for i, id := range got {
		pos[id] = i
	}
	for w := range writers {
		want := ids(results(w*each, each))
		for i := 1; i < len(want); i++ {
			if pos[want[i-1]] > pos[want[i]] {
				t.Fatalf("writer %d: %s stored after %s", w, want[i-1], want[i])
			}
		}
	}
	// A batch the collector stored just before being killed is sent again (its answer was
	// lost): the collector stores it once, and the agent counts the duplicates it is told of.
	// The answer to a resend can be lost in its turn (more often under -race), so the agent
	// may hear of fewer duplicates than the collector received, never of more.
	c.mu.Lock()
	again := 0
	for _, n := range c.seen {
		again += n - 1
	}
	c.mu.Unlock()
	if st := p.Stats(); st.Failures == 0 || st.Dropped != 0 || st.Lost != 0 || st.Duplicates > int64(again) ||
		st.Sent != writers*each {
		t.Errorf("stats %+v; %d results received again", st, again)
	}
}
