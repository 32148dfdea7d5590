package store

import (
	"context"
	"errors"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
)

func TestRoundTripEveryField(t *testing.T) {
	s := openStore(t, Options{})
	want := fullResult(1)
	requireAllFieldsSet(t, reflect.ValueOf(want), "Result")
	if err := s.Write(context.Background(), []model.Result{want}); err != nil {
		t.Fatalf("Write: %v", err)
	}
	got, err := s.Query(context.Background(), Filter{})
	if err != nil {
		t.Fatalf("Query: %v", err)
	}
	if len(got) != 1 {
		t.Fatalf("Query returned %d results, want 1", len(got))
	}
	if !reflect.DeepEqual(got[0], want) {
		t.Errorf("round trip changed the result:\n got %+v\nwant %+v", got[0], want)
	}
}

func TestWriteSetsReceivedAtWhenZero(t *testing.T) {
	s := openStore(t, Options{})
	in := []model.Result{fullResult(1)}
	in[0].ReceivedAt = time.Time{}
	if err := s.Write(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	if !in[0].ReceivedAt.IsZero() {
		t.Error("Write modified the caller's slice")
	}
	got, err := s.Query(context.Background(), Filter{})
	if err != nil || len(got) != 1 {
		t.Fatalf("Query = %d results, %v", len(got), err)
	}
	if !got[0].ReceivedAt.Equal(base) {
		t.Errorf("ReceivedAt = %v, want the store clock %v", got[0].ReceivedAt, base)
	}
}

func TestWriteIdempotent(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, Options{})
	batch := []model.Result{fullResult(1), fullResult(2), fullResult(3)}
	for attempt := range 3 { // a publisher retrying the same batch
		if err := s.Write(ctx, batch); err != nil {
			t.Fatalf("Write attempt %d: %v", attempt, err)
		}
	}
	changed := fullResult(2)
	changed.Class = model.ClassOK
	if err := s.Write(ctx, []model.Result{fullResult(4), changed, fullResult(4)}); err != nil {
		t.Fatal(err)
	}
	if n := mustCount(t, s); n != 4 {
		t.Errorf("Count = %d, want 4", n)
	}
	got, err := s.Query(ctx, Filter{Class: string(model.ClassOK)})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Errorf("a replayed id overwrote the first copy: %v", ids(got))
	}
}

func TestWriteRejectsInvalid(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*model.Result)
		want   string
	}{
		{"empty id", func(r *model.Result) { r.ID = "" }, "empty id"},
		{"zero time", func(r *model.Result) { r.Time = time.Time{} }, "zero time"},
		{"time beyond int64 nanos", func(r *model.Result) { r.Time = time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC) }, "outside"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t, Options{})
			bad := fullResult(2)
			tt.mutate(&bad)
			err := s.Write(context.Background(), []model.Result{fullResult(1), bad})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Write error = %v, want one containing %q", err, tt.want)
			}
			if n := mustCount(t, s); n != 0 {
				t.Errorf("Count = %d after a rejected batch, want 0", n)
			}
		})
	}
}

func TestPrune(t *testing.T) {
	ctx := context.Background()
	now := base
	s := openStore(t, Options{Retention: 24 * time.Hour, Now: func() time.Time { return now }})
	var rs []model.Result
	for i, age := range []time.Duration{48 * time.Hour, 25 * time.Hour, 24*time.Hour + time.Nanosecond, 24 * time.Hour, time.Hour} {
		r := fullResult(i)
		r.Time = base.Add(-age)
		rs = append(rs, r)
	}
	if err := s.Write(ctx, rs); err != nil {
		t.Fatal(err)
	}
	n, err := s.Prune(ctx)
	if err != nil || n != 3 {
		t.Fatalf("Prune = %d, %v; want 3 deleted", n, err)
	}
	left, err := s.Query(ctx, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{rs[4].ID, rs[3].ID}; !slices.Equal(ids(left), want) {
		t.Errorf("left after prune = %v, want %v", ids(left), want)
	}
	now = base.Add(2 * time.Hour) // the clock moves on: the 24h-old one expires
	if n, err := s.Prune(ctx); err != nil || n != 1 {
		t.Errorf("second Prune = %d, %v; want 1", n, err)
	}
}

func TestPruneWithoutRetentionKeepsAll(t *testing.T) {
	s := openStore(t, Options{})
	r := fullResult(1)
	r.Time = base.AddDate(-10, 0, 0)
	if err := s.Write(context.Background(), []model.Result{r}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Prune(context.Background()); err != nil || n != 0 {
		t.Errorf("Prune = %d, %v; want 0, nil", n, err)
	}
	if n := mustCount(t, s); n != 1 {
		t.Errorf("Count = %d, want 1", n)
	}
}

func TestClosedStore(t *testing.T) {
	ctx := context.Background()
	path := t.TempDir() + "/r.db"
	s := openStore(t, Options{Path: path})
	for i := range 3 {
		s.Add(fullResult(i)) // Close must write these
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	checks := map[string]error{
		"Close again": s.Close(),
		"Write":       s.Write(ctx, []model.Result{fullResult(9)}),
		"Flush":       s.Flush(ctx),
	}
	_, checks["Query"] = s.Query(ctx, Filter{})
	_, checks["Count"] = s.Count(ctx)
	_, checks["Prune"] = s.Prune(ctx)
	_, checks["SchemaVersion"] = s.SchemaVersion(ctx)
	for name, err := range checks {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("%s after Close = %v, want ErrClosed", name, err)
		}
	}
	s.Add(fullResult(10))
	if d := s.Dropped(); d != 1 {
		t.Errorf("Dropped = %d after Add on a closed store, want 1", d)
	}
	reopened := openStore(t, Options{Path: path})
	if n := mustCount(t, reopened); n != 3 {
		t.Errorf("Count after reopen = %d, want the 3 results queued before Close", n)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	notDB := dir + "/not.db"
	if err := os.WriteFile(notDB, []byte(strings.Repeat("not an SQLite database ", 10)), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, want string
	}{
		{"empty path", "", "Path is empty"},
		{"uri characters", dir + "/a?mode=ro", "contains one of"},
		{"not a database", notDB, "not.db"},
		{"directory", dir, dir},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Open(context.Background(), Options{Path: tt.path})
			if err == nil {
				_ = s.Close()
				t.Fatal("Open succeeded, want error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Open error = %q, want it to name %q", err, tt.want)
			}
		})
	}
}
