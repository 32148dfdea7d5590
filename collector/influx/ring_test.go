package influx

import (
	"slices"
	"testing"
)

// TestRingMatchesSlice drives the ring and a plain slice model with the same operations.
func TestRingMatchesSlice(t *testing.T) {
	t.Parallel()
	for _, limit := range []int{1, 2, 3, 7, 1024, 1500, 5000} {
		q := newRing[int](limit)
		var model []int
		next := 0
		for step := range 20000 {
			switch op := (step * 7919) % 11; {
			case op < 7:
				dropped := q.push(next)
				model = append(model, next)
				wantDrop := len(model) > limit
				if wantDrop {
					model = model[1:]
				}
				if dropped != wantDrop {
					t.Fatalf("limit %d step %d: dropped %v, want %v", limit, step, dropped, wantDrop)
				}
				next++
			case op < 9:
				n := step % 5
				got := q.take(nil, n)
				k := min(n, len(model))
				if !slices.Equal(got, model[:k]) {
					t.Fatalf("limit %d step %d: take %d = %v, want %v", limit, step, n, got, model[:k])
				}
				model = model[k:]
			default:
				had := q.dropOldest()
				if had != (len(model) > 0) {
					t.Fatalf("limit %d step %d: dropOldest %v with %d queued", limit, step, had, len(model))
				}
				if had {
					model = model[1:]
				}
			}
			if q.len() != len(model) {
				t.Fatalf("limit %d step %d: len %d, want %d", limit, step, q.len(), len(model))
			}
		}
		if got := q.take(nil, limit); !slices.Equal(got, model) {
			t.Fatalf("limit %d: final %v, want %v", limit, got, model)
		}
	}
}
