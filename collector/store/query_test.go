package store

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
)

// dataset: 4 results over two providers, regions, models and classes.
func dataset() []model.Result {
	mk := func(i int, provider, mdl, region, vantage string, class model.Class) model.Result {
		r := fullResult(i) // result i is i minutes before base
		r.Provider, r.Model, r.Region, r.Vantage, r.Class = provider, mdl, region, vantage, class
		return r
	}
	return []model.Result{
		mk(0, "anthropic", "claude-x", "in", "in-mum-1", model.ClassGeoBlocked),
		mk(1, "anthropic", "claude-y", "au", "au-syd-1", model.ClassOK),
		mk(2, "openai", "gpt-x", "in", "in-mum-2", model.ClassOK),
		mk(3, "openai", "gpt-x", "de", "de-fra-1", model.ClassRateLimited),
	}
}

func TestQueryFilters(t *testing.T) {
	s := openStore(t, Options{})
	rs := dataset()
	if err := s.Write(context.Background(), rs); err != nil {
		t.Fatal(err)
	}
	id := func(is ...int) []string {
		out := []string{}
		for _, i := range is {
			out = append(out, rs[i].ID)
		}
		return out
	}
	tests := []struct {
		name string
		f    Filter
		want []string
	}{
		{"all newest first", Filter{}, id(0, 1, 2, 3)},
		{"provider", Filter{Provider: "openai"}, id(2, 3)},
		{"provider and model", Filter{Provider: "anthropic", Model: "claude-y"}, id(1)},
		{"region", Filter{Region: "in"}, id(0, 2)},
		{"vantage", Filter{Vantage: "de-fra-1"}, id(3)},
		{"class", Filter{Class: "ok"}, id(1, 2)},
		{"all fields", Filter{Provider: "openai", Model: "gpt-x", Region: "in", Vantage: "in-mum-2", Class: "ok"}, id(2)},
		{"no match", Filter{Provider: "mistral"}, id()},
		{"since is inclusive", Filter{Since: base.Add(-2 * time.Minute)}, id(0, 1, 2)},
		{"until is exclusive", Filter{Until: base.Add(-time.Minute)}, id(2, 3)},
		{"since and until", Filter{Since: base.Add(-2 * time.Minute), Until: base}, id(1, 2)},
		{"limit", Filter{Limit: 2}, id(0, 1)},
		{"far future until is clamped", Filter{Until: time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)}, id(0, 1, 2, 3)},
		{"far past since is clamped", Filter{Since: time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)}, id(0, 1, 2, 3)},
		{"filters apply with cursor", Filter{Provider: "openai", Before: rs[2].ID}, id(3)},
		{"unknown cursor", Filter{Before: "no-such-id"}, id()},
		{"injection attempt is a plain value", Filter{Provider: "x' OR '1'='1"}, id()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Query(context.Background(), tt.f)
			if err != nil {
				t.Fatalf("Query: %v", err)
			}
			if !slices.Equal(ids(got), tt.want) {
				t.Errorf("Query(%+v) = %v, want %v", tt.f, ids(got), tt.want)
			}
		})
	}
}

func TestQueryPaginationCursor(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, Options{})
	var rs []model.Result
	for i := range 25 {
		r := fullResult(i)
		if i%3 == 0 { // ties on time: order falls back to id, descending
			r.Time = base.Add(-time.Hour)
		}
		rs = append(rs, r)
	}
	if err := s.Write(ctx, rs); err != nil {
		t.Fatal(err)
	}
	all, err := s.Query(ctx, Filter{Limit: 1000})
	if err != nil || len(all) != 25 {
		t.Fatalf("Query all = %d, %v", len(all), err)
	}
	sorted := slices.IsSortedFunc(all, func(a, b model.Result) int {
		if c := b.Time.Compare(a.Time); c != 0 {
			return c
		}
		return compareStr(b.ID, a.ID)
	})
	if !sorted {
		t.Fatalf("Query order is not newest first, id descending: %v", ids(all))
	}
	var paged []string
	before := ""
	for page := 0; page < 10; page++ { // bounded: 3 full pages and a short one
		got, err := s.Query(ctx, Filter{Limit: 7, Before: before})
		if err != nil {
			t.Fatalf("page %d: %v", page, err)
		}
		paged = append(paged, ids(got)...)
		if len(got) < 7 {
			break
		}
		before = got[len(got)-1].ID
	}
	if !slices.Equal(paged, ids(all)) {
		t.Errorf("pages = %v\nwant    %v", paged, ids(all))
	}
}

func compareStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestQueryLimitDefaultAndCap(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, Options{})
	rs := make([]model.Result, 0, MaxLimit+5)
	for i := range MaxLimit + 5 {
		rs = append(rs, fullResult(i))
	}
	if err := s.Write(ctx, rs); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name  string
		limit int
		want  int
	}{
		{"zero means default", 0, DefaultLimit},
		{"negative means default", -3, DefaultLimit},
		{"explicit", 250, 250},
		{"capped", MaxLimit + 1, MaxLimit},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Query(ctx, Filter{Limit: tt.limit})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tt.want {
				t.Errorf("Query(Limit: %d) returned %d, want %d", tt.limit, len(got), tt.want)
			}
		})
	}
}
