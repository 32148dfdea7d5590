package store

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
)

// uniqueResult is fullResult with an id unique across goroutines.
func uniqueResult(g, i int) model.Result {
	r := fullResult(i)
	r.ID = fmt.Sprintf("%s-g%d", r.ID, g)
	return r
}

func addConcurrently(s *Store, goroutines, each int) {
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				s.Add(uniqueResult(g, i))
			}
		})
	}
	wg.Wait()
}

func TestConcurrentAddThenFlush(t *testing.T) {
	for _, withRun := range []bool{false, true} {
		t.Run(fmt.Sprintf("run=%v", withRun), func(t *testing.T) {
			ctx := context.Background()
			s := openStore(t, Options{BatchSize: 64, QueueSize: 2000, FlushInterval: 5 * time.Millisecond})
			done := make(chan error, 1)
			runCtx, cancel := context.WithCancel(ctx)
			if withRun {
				go func() { done <- s.Run(runCtx) }()
			}
			addConcurrently(s, 8, 200)
			if err := s.Flush(ctx); err != nil {
				t.Fatalf("Flush: %v", err)
			}
			if n := mustCount(t, s); n != 1600 {
				t.Errorf("Count = %d, want 1600", n)
			}
			if d := s.Dropped(); d != 0 {
				t.Errorf("Dropped = %d, want 0", d)
			}
			cancel()
			if withRun {
				if err := <-done; err != nil {
					t.Errorf("Run = %v", err)
				}
			}
		})
	}
}

func TestAddDropsWhenQueueFull(t *testing.T) {
	s := openStore(t, Options{QueueSize: 5, AddWait: time.Millisecond})
	for i := range 8 { // no Run: nothing drains the queue
		s.Add(fullResult(i))
	}
	invalid := fullResult(20)
	invalid.ID = ""
	s.Add(invalid)
	if d := s.Dropped(); d != 4 {
		t.Errorf("Dropped = %d, want 3 over capacity + 1 invalid", d)
	}
	if err := s.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	got, err := s.Query(context.Background(), Filter{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{fullResult(0).ID, fullResult(1).ID, fullResult(2).ID, fullResult(3).ID, fullResult(4).ID}
	if fmt.Sprint(ids(got)) != fmt.Sprint(want) {
		t.Errorf("stored %v, want the first five %v", ids(got), want)
	}
}

func TestAddWaitsForRoom(t *testing.T) {
	// With Run draining, a queue far smaller than the load still loses nothing as long
	// as AddWait is generous.
	s := openStore(t, Options{BatchSize: 10, QueueSize: 20, AddWait: time.Minute, FlushInterval: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	addConcurrently(s, 4, 100)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n, d := mustCount(t, s), s.Dropped(); n != 400 || d != 0 {
		t.Errorf("Count = %d, Dropped = %d; want 400, 0", n, d)
	}
}

func TestRunPrunesAndFlushesOnStop(t *testing.T) {
	s := openStore(t, Options{Retention: time.Hour, FlushInterval: time.Hour})
	old := fullResult(1)
	old.Time = base.Add(-2 * time.Hour)
	if err := s.Write(context.Background(), []model.Result{old}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	for i := range 10 {
		s.Add(uniqueResult(0, i)) // at most 9 minutes old: kept
	}
	// Run prunes as it starts; wait (bounded) for that before stopping it.
	for range 1000 {
		if n := mustCount(t, s); n == 0 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v", err)
	}
	got, err := s.Query(context.Background(), Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 10 {
		t.Fatalf("stored %d results, want the 10 added (the expired one pruned)", len(got))
	}
	for _, r := range got {
		if r.ID == old.ID {
			t.Error("Run did not prune the expired result")
		}
	}
}
