package detect

import (
	"context"
	"log/slog"
	"sync"
	"testing"

	"github.com/accesswatch/accesswatch/internal/model"
)

// memState is a StateStore in memory.
type memState struct {
	mu          sync.Mutex
	state       map[string][]byte
	saves       int
	events      map[string]model.Event
	transitions int
}

func newMemState() *memState {
	return &memState{state: map[string][]byte{}, events: map[string]model.Event{}}
}

func (m *memState) LoadState(_ context.Context, key string) ([]byte, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.state[key]
	return b, ok, nil
}

func (m *memState) SaveState(_ context.Context, key string, value []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.state[key] = value
	m.saves++
	return nil
}

func (m *memState) AddTransitions(_ context.Context, ts []model.Transition) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.transitions += len(ts)
	return nil
}

func (m *memState) UpsertEvents(_ context.Context, es []model.Event) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, e := range es {
		m.events[e.ID] = e
	}
	return nil
}

// TestRuntimePersistsAndResumes: the runtime stores what the engine decides, saves its snapshot
// only when something changed, and a new runtime over the same store resumes the open events.
func TestRuntimePersistsAndResumes(t *testing.T) {
	t.Parallel()
	h := newHarness(t, Options{Settle: -1})
	st := newMemState()
	var got []model.EventUpdate
	rt, err := NewRuntime(context.Background(), h.e, st, slog.New(slog.DiscardHandler), func(us []model.EventUpdate) {
		got = append(got, us...)
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rt.Save(ctx)
	if st.saves != 0 {
		t.Fatal("saved a snapshot although nothing changed")
	}
	for range 3 {
		var rs []model.Result
		for _, v := range fourRegions {
			rs = append(rs, h.res(v.id, v.region, "", "", ok))
			c := ok
			if v.region == "india" {
				c = geo
			}
			rs = append(rs, h.res(v.id, v.region, "p", "m", c))
		}
		rt.Observe(ctx, rs)
		h.tick()
	}
	rt.Flush(ctx)
	if len(got) == 0 || len(st.events) == 0 || st.transitions == 0 {
		t.Fatalf("updates %d, stored events %d, transitions %d: want all", len(got), len(st.events), st.transitions)
	}
	rt.Save(ctx)
	if st.saves != 1 {
		t.Fatalf("%d snapshot saves, want 1", st.saves)
	}

	e2 := New(Options{Settle: -1})
	rt2, err := NewRuntime(ctx, e2, st, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	if p := rt2.Pending(); len(p) == 0 || p[0].Phase != model.PhaseOpened || p[0].Event.Kind != model.EventRevoked {
		t.Fatalf("resumed %+v, want the open revocation re-announced as opened", p)
	}
}
