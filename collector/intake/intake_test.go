package intake

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
)

// memStore is an idempotent Store that counts its transactions and can be held shut.
type memStore struct {
	mu   sync.Mutex
	seen map[string]bool
	txs  int
	gate chan struct{} // when non-nil, Insert waits for it
}

func (m *memStore) Insert(_ context.Context, rs []model.Result) ([]model.Result, error) {
	if m.gate != nil {
		<-m.gate
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.txs++
	var fresh []model.Result
	for _, r := range rs {
		if !m.seen[r.ID] {
			m.seen[r.ID] = true
			fresh = append(fresh, r)
		}
	}
	return fresh, nil
}

func res(id string) model.Result { return model.Result{ID: id} }

func TestAcceptStoresOnceAndHandsOnFresh(t *testing.T) {
	t.Parallel()
	st := &memStore{seen: map[string]bool{}}
	var mu sync.Mutex
	var next []string
	in := New(Options{Store: st, Next: func(src string, fresh []model.Result) {
		mu.Lock()
		defer mu.Unlock()
		for _, r := range fresh {
			next = append(next, src+"/"+r.ID)
		}
	}})
	defer in.Close()
	ctx := context.Background()
	fresh, err := in.Accept(ctx, "agent-1", []model.Result{res("a"), res("b"), res("a")})
	if err != nil || len(fresh) != 2 {
		t.Fatalf("first accept: %d fresh, %v; want a and b once", len(fresh), err)
	}
	fresh, err = in.Accept(ctx, "agent-1", []model.Result{res("b"), res("c")})
	if err != nil || len(fresh) != 1 || fresh[0].ID != "c" {
		t.Fatalf("second accept: %+v, %v; want only c", fresh, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if fmt.Sprint(next) != "[agent-1/a agent-1/b agent-1/c]" {
		t.Errorf("handed on %v, want each fresh result once, in order", next)
	}
}

// Concurrent Accepts of one result each share transactions (group commit).
func TestAcceptGroupsConcurrentCalls(t *testing.T) {
	t.Parallel()
	st := &memStore{seen: map[string]bool{}, gate: make(chan struct{})}
	in := New(Options{Store: st, MaxWait: 50 * time.Millisecond})
	defer in.Close()
	var wg sync.WaitGroup
	for i := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := in.Accept(context.Background(), "run", []model.Result{res(fmt.Sprint(i))}); err != nil {
				t.Error(err)
			}
		}()
	}
	time.Sleep(20 * time.Millisecond) // let the calls queue behind the held store
	close(st.gate)
	wg.Wait()
	st.mu.Lock()
	defer st.mu.Unlock()
	if len(st.seen) != 100 || st.txs >= 100 {
		t.Errorf("%d results in %d transactions; want all 100 in fewer transactions", len(st.seen), st.txs)
	}
	t.Logf("100 concurrent accepts in %d transactions", st.txs)
}

// A store that is behind holds callers back until their context ends; nothing is dropped
// silently, and the door works again once the store does.
func TestAcceptBackPressure(t *testing.T) {
	t.Parallel()
	st := &memStore{seen: map[string]bool{}, gate: make(chan struct{})}
	in := New(Options{Store: st, MaxWait: time.Millisecond})
	defer in.Close()
	first := make(chan error, 1)
	go func() {
		_, err := in.Accept(context.Background(), "run", []model.Result{res("held")})
		first <- err
	}()
	time.Sleep(10 * time.Millisecond) // the writer is now inside the held Insert
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if _, err := in.Accept(ctx, "run", []model.Result{res("late")}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("accept behind a held store: %v, want the caller's deadline", err)
	}
	close(st.gate)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if fresh, err := in.Accept(context.Background(), "run", []model.Result{res("late")}); err != nil || len(fresh) != 1 {
		t.Fatalf("retry after the store caught up: %+v, %v", fresh, err)
	}
}

func TestAcceptAfterClose(t *testing.T) {
	t.Parallel()
	in := New(Options{Store: &memStore{seen: map[string]bool{}}})
	in.Close()
	if _, err := in.Accept(context.Background(), "run", []model.Result{res("x")}); !errors.Is(err, ErrClosed) {
		t.Fatalf("accept after close: %v, want ErrClosed", err)
	}
}
