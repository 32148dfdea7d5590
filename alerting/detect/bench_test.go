package detect

import (
	"fmt"
	"testing"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
)

// benchFleet is 50 providers × 20 models × 10 regions = 10,000 targets, seen from 1–3
// vantages per region (19 vantages, 19,000 views).
type benchFleet struct {
	e       *Engine
	ok, geo []model.Result // one round each: everything available; revoked in 5 of 10 regions
	now     time.Time
}

func newBenchFleet(b *testing.B) *benchFleet {
	f := &benchFleet{now: t0}
	f.e = New(Options{Now: func() time.Time { return f.now }})
	n := 0
	for reg := range 10 {
		for v := range 1 + reg%3 {
			vid, rname := fmt.Sprintf("v%d-%d", reg, v), fmt.Sprintf("region%02d", reg)
			for p := range 50 {
				for m := range 20 {
					n++
					r := model.Result{ID: fmt.Sprintf("r%d", n), Vantage: vid, Region: rname, Check: model.CheckGenerate,
						Provider: fmt.Sprintf("provider%02d", p), Model: fmt.Sprintf("model%02d", m),
						Classification: model.Classification{Class: model.ClassOK, Access: model.AccessAvailable, Signature: "ok"}}
					f.ok = append(f.ok, r)
					if reg < 5 {
						r.Classification = model.Classification{Class: model.ClassGeoBlocked, Access: model.AccessRevoked, Signature: "geo"}
					}
					f.geo = append(f.geo, r)
				}
			}
		}
	}
	for range 3 {
		f.feed(f.ok)
	}
	if got := len(f.e.Status()); got != 10000 {
		b.Fatalf("targets = %d", got)
	}
	return f
}

// BenchmarkObserveStormBatched is the same storm fed as one batch per round: each event
// opens over its five regions and closes, 2,000 updates per op.
func BenchmarkObserveStormBatched(b *testing.B) {
	f := newBenchFleet(b)
	b.ReportAllocs()
	for b.Loop() {
		n := f.batch(f.geo) + f.batch(f.geo) + f.batch(f.ok) + f.batch(f.ok)
		if n != 2000 {
			b.Fatalf("event updates = %d, want 2000", n)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(4*len(f.ok)), "ns/result")
}

func (f *benchFleet) batch(rs []model.Result) int {
	f.now = f.now.Add(time.Minute)
	for i := range rs {
		rs[i].Time = f.now
	}
	n := len(f.e.ObserveBatch(rs))
	f.e.Transitions()
	return n
}

func (f *benchFleet) feed(rs []model.Result) int {
	f.now = f.now.Add(time.Minute)
	events := 0
	for i := range rs {
		rs[i].Time = f.now
		events += len(f.e.Observe(rs[i]))
	}
	f.e.Transitions()
	return events
}

// BenchmarkEvaluate10k computes the state of all 10,000 (provider, model, region) targets
// from their vantages' views once, and lists them (Status).
func BenchmarkEvaluate10k(b *testing.B) {
	f := newBenchFleet(b)
	var out []model.EventUpdate
	b.ReportAllocs()
	for b.Loop() {
		for _, rg := range f.e.regionList {
			f.e.evalRegion(rg, &out)
		}
		if len(f.e.Status()) != 10000 {
			b.Fatal("status")
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/10000, "ns/target")
}

// BenchmarkStatus10k lists the 10,000 targets' states.
func BenchmarkStatus10k(b *testing.B) {
	f := newBenchFleet(b)
	b.ReportAllocs()
	for b.Loop() {
		_ = f.e.Status()
	}
}

// BenchmarkObserveRound is one steady round: 19,000 results, nothing moves.
func BenchmarkObserveRound(b *testing.B) {
	f := newBenchFleet(b)
	b.ReportAllocs()
	for b.Loop() {
		f.feed(f.ok)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(f.ok)), "ns/result")
}

// BenchmarkObserveStorm is a storm: each op is four rounds (19,000 results each) in which
// half the regions of every target are revoked and then restored: 5,000 regions move twice,
// 1,000 events open, widen region by region (results fed one by one), narrow and close.
func BenchmarkObserveStorm(b *testing.B) {
	f := newBenchFleet(b)
	b.ReportAllocs()
	for b.Loop() {
		n := f.feed(f.geo) + f.feed(f.geo) + f.feed(f.ok) + f.feed(f.ok)
		if n != 10000 {
			b.Fatalf("event updates = %d, want 10000", n)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(4*len(f.ok)), "ns/result")
}

// BenchmarkSnapshot10k snapshots and restores the fleet after 25 rounds (evidence full).
func BenchmarkSnapshot10k(b *testing.B) {
	f := newBenchFleet(b)
	for range 22 {
		f.feed(f.ok)
	}
	b.ReportAllocs()
	var size int
	for b.Loop() {
		snap, err := f.e.Snapshot()
		if err != nil {
			b.Fatal(err)
		}
		size = len(snap)
		if err := New(f.e.o).Restore(snap); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(size), "bytes")
}
