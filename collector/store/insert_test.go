package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
)

// batchOf returns results fullResult(i) for each i, with ids unique per i.
func batchOf(is ...int) []model.Result {
	rs := make([]model.Result, len(is))
	for k, i := range is {
		rs[k] = uniqueResult(0, i)
	}
	return rs
}

func seq(from, to int) []int {
	var out []int
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

func TestInsertReturnsFreshInOrder(t *testing.T) {
	// Sizes around insertRows exercise full and partial statements.
	tests := []struct {
		name     string
		stored   []int // inserted first
		batch    []int
		wantIdxs []int // indexes into batch that are fresh
	}{
		{"all new", nil, []int{3, 1, 2}, []int{0, 1, 2}},
		{"replay", []int{1, 2, 3}, []int{1, 2, 3}, nil},
		{"overlap", []int{2, 4}, []int{1, 2, 3, 4, 5}, []int{0, 2, 4}},
		{"repeated in batch keeps first", nil, []int{7, 8, 7, 9, 8}, []int{0, 1, 3}},
		{"repeat of a stored id", []int{7}, []int{7, 7, 6}, []int{2}},
		// Statements of insertRows: the third straddles the stored ids.
		{"many statements", seq(0, 500), seq(250, 1000), seq(250, 750)},
		{"exactly one statement", nil, seq(0, insertRows), seq(0, insertRows)},
		{"one statement and one row", nil, seq(0, insertRows+1), seq(0, insertRows+1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			s := openStore(t, Options{})
			if tt.stored != nil {
				if _, err := s.Insert(ctx, batchOf(tt.stored...)); err != nil {
					t.Fatal(err)
				}
			}
			before := mustCount(t, s)
			batch := batchOf(tt.batch...)
			fresh, err := s.Insert(ctx, batch)
			if err != nil {
				t.Fatalf("Insert: %v", err)
			}
			var want []string
			for _, i := range tt.wantIdxs {
				want = append(want, batch[i].ID)
			}
			if got := ids(fresh); !slices.Equal(got, want) {
				t.Errorf("fresh = %v,\nwant %v", got, want)
			}
			if n := mustCount(t, s); n != before+int64(len(want)) {
				t.Errorf("Count = %d, want %d + %d fresh", n, before, len(want))
			}
		})
	}
}

func TestInsertReceivedAt(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, Options{})
	batch := batchOf(1, 2)
	batch[0].ReceivedAt = time.Time{}
	set := batch[1].ReceivedAt
	fresh, err := s.Insert(ctx, batch)
	if err != nil || len(fresh) != 2 {
		t.Fatalf("Insert = %d fresh, %v", len(fresh), err)
	}
	if !batch[0].ReceivedAt.IsZero() {
		t.Error("Insert modified the caller's slice")
	}
	if !fresh[0].ReceivedAt.Equal(base) || !fresh[1].ReceivedAt.Equal(set) {
		t.Errorf("fresh ReceivedAt = %v, %v; want the store clock %v and the given %v",
			fresh[0].ReceivedAt, fresh[1].ReceivedAt, base, set)
	}
	stored, err := s.Query(ctx, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range stored {
		want := set
		if r.ID == batch[0].ID {
			want = base
		}
		if !r.ReceivedAt.Equal(want) {
			t.Errorf("stored %s ReceivedAt = %v, want %v", r.ID, r.ReceivedAt, want)
		}
	}
}

func TestInsertAllFreshSharesInput(t *testing.T) {
	s := openStore(t, Options{})
	batch := batchOf(1, 2, 3)
	fresh, err := s.Insert(context.Background(), batch)
	if err != nil {
		t.Fatal(err)
	}
	if len(fresh) != 3 || &fresh[0] != &batch[0] || cap(fresh) != 3 {
		t.Errorf("fresh should be the input itself when nothing changed (len %d, cap %d)", len(fresh), cap(fresh))
	}
}

func TestInsertRejectsInvalid(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, Options{})
	batch := batchOf(seq(0, 150)...)
	batch[120].Time = time.Time{}
	fresh, err := s.Insert(ctx, batch)
	if !errors.Is(err, ErrInvalid) || fresh != nil {
		t.Fatalf("Insert = %d fresh, %v; want ErrInvalid", len(fresh), err)
	}
	if want := fmt.Sprintf("result 120 (id %q): zero time", batch[120].ID); !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not name %q", err, want)
	}
	if n := mustCount(t, s); n != 0 {
		t.Errorf("Count = %d after a rejected batch, want 0", n)
	}
}

func TestInsertEmptyAndClosed(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, Options{})
	if fresh, err := s.Insert(ctx, nil); err != nil || fresh != nil {
		t.Errorf("Insert(nil) = %v, %v", fresh, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Insert(ctx, batchOf(1)); !errors.Is(err, ErrClosed) {
		t.Errorf("Insert after Close = %v, want ErrClosed", err)
	}
}

func TestInsertCancelledStoresNothing(t *testing.T) {
	s := openStore(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Insert(ctx, batchOf(seq(0, 300)...)); err == nil {
		t.Fatal("Insert with a cancelled context succeeded")
	}
	if n := mustCount(t, s); n != 0 {
		t.Errorf("Count = %d, want 0", n)
	}
}

// TestInsertNonConsecutiveRowids covers the case Insert cannot read which rows a partly
// ignored statement inserted (rowids at their maximum make SQLite pick random ones): it
// must fail, storing nothing, rather than report the wrong results as fresh.
func TestInsertNonConsecutiveRowids(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, Options{})
	if err := s.Write(ctx, batchOf(1)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE results SET rowid = 9223372036854775807`); err != nil {
		t.Fatal(err)
	}
	fresh, err := s.Insert(ctx, batchOf(1, 2, 3, 4))
	if err == nil || !strings.Contains(err.Error(), "cannot tell which 3 of 4 results were new") {
		t.Fatalf("Insert = %v, %v; want an error", ids(fresh), err)
	}
	if n := mustCount(t, s); n != 1 {
		t.Errorf("Count = %d, want the 1 stored before", n)
	}
}
