package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
)

// rolled returns fullResult(i) for a target, class and time, with an id unique per i.
func rolled(i int, mdl, region string, class model.Class, at time.Time) model.Result {
	r := uniqueResult(0, i)
	r.Model, r.Region, r.Time = mdl, region, at
	r.Classification = model.Classification{Class: class, Access: model.AccessOf(class)}
	return r
}

func TestDailyRollup(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, Options{})
	day1 := time.Date(2026, 2, 27, 0, 0, 0, 0, time.UTC)
	day2 := day1.AddDate(0, 0, 1)
	rs := []model.Result{
		rolled(1, "m", "in", model.ClassOK, day1.Add(time.Hour)),
		rolled(2, "m", "in", model.ClassOverloaded, day1.Add(2*time.Hour)),
		rolled(3, "m", "in", model.ClassOK, day1.Add(23*time.Hour+59*time.Minute)),
		rolled(4, "m", "in", model.ClassGeoBlocked, day2), // midnight belongs to day2
		rolled(5, "m", "in", model.ClassTimeout, day2.Add(time.Hour)),
		rolled(6, "m", "au", model.ClassAuthFailed, day2.Add(time.Hour)),
	}
	control := rolled(7, "m", "in", model.ClassTimeout, day2.Add(time.Hour))
	control.Check = model.CheckControl
	noModel := rolled(8, "", "in", model.ClassGeoBlocked, day2.Add(time.Hour))
	if _, err := s.Insert(ctx, append(slices.Clone(rs), control, noModel)); err != nil {
		t.Fatal(err)
	}
	// A replay, and a batch repeating an id inside itself, count nothing twice.
	if fresh, err := s.Insert(ctx, rs); err != nil || len(fresh) != 0 {
		t.Fatalf("replay: %d fresh, %v", len(fresh), err)
	}
	extra := rolled(9, "m", "au", model.ClassOK, day2.Add(2*time.Hour))
	if _, err := s.Insert(ctx, []model.Result{extra, extra, rs[5]}); err != nil {
		t.Fatal(err)
	}
	want := []DayStat{
		{"anthropic", "m", "au", day2, 1, 2, model.StateUnknown},
		{"anthropic", "m", "in", day1, 2, 3, model.StateDegraded},
		{"anthropic", "m", "in", day2, 0, 2, model.StateRevoked},
	}
	got, err := s.Daily(ctx, day1.Add(12*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Errorf("Daily =\n%v\nwant\n%v", got, want)
	}
	if got, _ := s.Daily(ctx, day2); !slices.Equal(got, []DayStat{want[0], want[2]}) {
		t.Errorf("Daily(day2) = %v", got)
	}
	for _, tt := range []struct {
		name, region string
		since        time.Time
		ok, total    int64
	}{
		{"both days", "in", day1, 2, 5},
		{"mid-day counts the whole day", "in", day1.Add(18 * time.Hour), 2, 5},
		{"second day", "in", day2, 0, 2},
		{"other region", "au", day1, 1, 2},
		{"no data", "de", day1, 0, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ok, total, err := s.Uptime(ctx, "anthropic", "m", tt.region, tt.since)
			if err != nil || ok != tt.ok || total != tt.total {
				t.Errorf("Uptime = %d/%d, %v; want %d/%d", ok, total, err, tt.ok, tt.total)
			}
		})
	}
}

func TestStateRankMatchesStateOf(t *testing.T) {
	// The backfill's SQL ranks must agree with stateRank(model.StateOf(...)) for each class.
	s := openStore(t, Options{})
	for _, c := range model.Classes() {
		cl := model.Classification{Class: c, Access: model.AccessOf(c)}
		var rank int
		if err := s.db.QueryRow(`SELECT `+rankSQL+` FROM (SELECT ? AS access, ? AS class)`,
			string(cl.Access), string(c)).Scan(&rank); err != nil {
			t.Fatal(err)
		}
		if want := stateRank(model.StateOf(cl)); rank != want {
			t.Errorf("class %s: SQL rank %d, Go rank %d", c, rank, want)
		}
		if rankState(stateRank(model.StateOf(cl))) != model.StateOf(cl) {
			t.Errorf("class %s: rankState does not invert stateRank", c)
		}
	}
}

func TestMigrationBackfillsDaily(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "r.db")
	day := time.Date(2026, 2, 28, 0, 0, 0, 0, time.UTC)
	// Build a version-2 database holding results, through the store of that time.
	s := openStore(t, Options{Path: path})
	rs := []model.Result{
		rolled(1, "m", "in", model.ClassOK, day.Add(time.Hour)),
		rolled(2, "m", "in", model.ClassServerError, day.Add(2*time.Hour)),
		rolled(3, "m", "in", model.ClassTimeout, day.Add(-time.Hour)),
	}
	control := rolled(4, "m", "in", model.ClassGeoBlocked, day.Add(time.Hour))
	control.Check = model.CheckControl
	if err := s.Write(ctx, append(rs, control)); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db := rawDB(t, path)
	for _, q := range []string{`DROP TABLE daily`, `DROP TABLE claims`, `DROP TABLE claim_history`,
		`DROP INDEX events_kind`, `ALTER TABLE events DROP COLUMN outcome`,
		`DELETE FROM schema_migrations WHERE version >= 3`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	again := openStore(t, Options{Path: path})
	got, err := again.Daily(ctx, day.AddDate(0, 0, -1))
	if err != nil {
		t.Fatal(err)
	}
	want := []DayStat{
		{"anthropic", "m", "in", day.AddDate(0, 0, -1), 0, 1, model.StateDown},
		{"anthropic", "m", "in", day, 1, 2, model.StateDegraded},
	}
	if !slices.Equal(got, want) {
		t.Errorf("backfilled Daily =\n%v\nwant\n%v", got, want)
	}
}

func TestPruneDaily(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, Options{Retention: 36 * time.Hour}) // cutoff 2026-02-28 00:00
	day := time.Date(2026, 2, 26, 0, 0, 0, 0, time.UTC)
	var rs []model.Result
	for d := range 4 { // 26th, 27th, 28th, 1st
		rs = append(rs, rolled(d, "m", "in", model.ClassOK, day.AddDate(0, 0, d).Add(time.Hour)))
	}
	if err := s.Write(ctx, rs); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Prune(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := s.Daily(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	var days []string
	for _, d := range got {
		days = append(days, d.Day.Format("01-02"))
	}
	if want := []string{"02-28", "03-01"}; !slices.Equal(days, want) {
		t.Errorf("days after prune = %v, want %v", days, want)
	}
}

func TestResultsByID(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, Options{})
	rs := batchOf(seq(0, 1200)...) // more than one IN statement
	if err := s.Write(ctx, rs); err != nil {
		t.Fatal(err)
	}
	want := []string{rs[1100].ID, rs[3].ID, rs[600].ID, rs[3].ID}
	got, err := s.ResultsByID(ctx, []string{rs[1100].ID, "missing", rs[3].ID, rs[600].ID, rs[3].ID})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids(got), want) {
		t.Errorf("ResultsByID = %v, want %v", ids(got), want)
	}
	if got[0].Excerpt != rs[1100].Excerpt || got[0].Provider != "anthropic" {
		t.Errorf("result not decoded in full: %+v", got[0])
	}
	all := make([]string, 0, len(rs))
	for i := range rs {
		all = append(all, rs[i].ID)
	}
	if got, err := s.ResultsByID(ctx, all); err != nil || len(got) != len(rs) {
		t.Errorf("ResultsByID(all) = %d results, %v", len(got), err)
	}
	if got, err := s.ResultsByID(ctx, nil); err != nil || len(got) != 0 {
		t.Errorf("ResultsByID(nil) = %v, %v", got, err)
	}
}

func TestExportStreamsInOrder(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, Options{})
	const n = 2*exportPage + 345
	rs := make([]model.Result, 0, n+10)
	for i := range n {
		r := uniqueResult(0, i)
		r.Time = base.Add(-time.Duration(i/3) * time.Second) // three share each time: id breaks ties
		r.Region = []string{"in", "au"}[i%2]
		rs = append(rs, r)
	}
	if err := s.Write(ctx, rs); err != nil {
		t.Fatal(err)
	}
	sorted := slices.Clone(rs)
	slices.SortFunc(sorted, func(a, b model.Result) int {
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		return cmpString(a.ID, b.ID)
	})
	tests := []struct {
		name string
		f    Filter
		keep func(*model.Result) bool
	}{
		{"all, limit and cursor ignored", Filter{Limit: 5, Before: rs[0].ID}, func(*model.Result) bool { return true }},
		{"region", Filter{Region: "au"}, func(r *model.Result) bool { return r.Region == "au" }},
		{"time window", Filter{Since: base.Add(-500 * time.Second), Until: base.Add(-10 * time.Second)},
			func(r *model.Result) bool {
				return !r.Time.Before(base.Add(-500*time.Second)) && r.Time.Before(base.Add(-10*time.Second))
			}},
		{"no match", Filter{Provider: "mistral"}, func(*model.Result) bool { return false }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want, got []string
			for i := range sorted {
				if tt.keep(&sorted[i]) {
					want = append(want, sorted[i].ID)
				}
			}
			err := s.Export(ctx, tt.f, func(r model.Result) error { got = append(got, r.ID); return nil })
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Errorf("Export gave %d results, want %d (or order differs)", len(got), len(want))
			}
		})
	}
	t.Run("fn error stops", func(t *testing.T) {
		stop := errors.New("stop")
		calls := 0
		err := s.Export(ctx, Filter{}, func(model.Result) error {
			if calls++; calls == exportPage+1 {
				return stop
			}
			return nil
		})
		if !errors.Is(err, stop) || calls != exportPage+1 {
			t.Errorf("Export = %v after %d calls; want stop after %d", err, calls, exportPage+1)
		}
	})
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestClaims(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, Options{Retention: time.Hour})
	claim := func(provider, comp, status string, at time.Time) model.Claim {
		return model.Claim{Provider: provider, Page: "https://status.example.test/api/v2/summary.json",
			ComponentID: comp, Component: "API " + comp, Status: status, UpdatedAt: at.Add(-time.Minute), CheckedAt: at}
	}
	t0 := base.Add(-2 * time.Hour)
	if err := s.UpsertClaims(ctx, []model.Claim{
		claim("openai", "c1", model.ClaimOperational, t0),
		claim("anthropic", "k8w", model.ClaimOperational, t0),
	}); err != nil {
		t.Fatal(err)
	}
	newer := claim("anthropic", "k8w", model.ClaimMajorOutage, base)
	newer.Incident = "Elevated errors"
	if err := s.UpsertClaims(ctx, []model.Claim{newer}); err != nil {
		t.Fatal(err)
	}
	// An older claim read late does not replace the newer one.
	if err := s.UpsertClaims(ctx, []model.Claim{claim("anthropic", "k8w", "weird_status", base.Add(-time.Minute))}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Claims(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []model.Claim{newer, claim("openai", "c1", model.ClaimOperational, t0)}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Claims =\n%+v\nwant\n%+v", got, want)
	}
	var history int
	if err := s.db.QueryRow(`SELECT COUNT(*) FROM claim_history`).Scan(&history); err != nil || history != 4 {
		t.Errorf("claim history rows = %d, %v; want 4", history, err)
	}
	if _, err := s.Prune(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.db.QueryRow(`SELECT COUNT(*) FROM claim_history`).Scan(&history); err != nil || history != 2 {
		t.Errorf("claim history rows after prune = %d, %v; want 2", history, err)
	}
	for _, bad := range []model.Claim{{ComponentID: "x", CheckedAt: base}, {Provider: "p", CheckedAt: base},
		{Provider: "p", ComponentID: "x"}} {
		if err := s.UpsertClaims(ctx, []model.Claim{bad}); err == nil {
			t.Errorf("UpsertClaims(%+v) = nil, want an error", bad)
		}
	}
}

func TestDailyRollupManyTargets(t *testing.T) {
	// 137 targets need prepared upserts of 100, 25, 5 and 1 rows.
	ctx := context.Background()
	s := openStore(t, Options{})
	var rs []model.Result
	for i := range 137 {
		rs = append(rs, rolled(i, fmt.Sprintf("m%03d", i), "in", model.ClassOK, base),
			rolled(1000+i, fmt.Sprintf("m%03d", i), "in", model.ClassTimeout, base))
	}
	if _, err := s.Insert(ctx, rs); err != nil {
		t.Fatal(err)
	}
	got, err := s.Daily(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 137 {
		t.Fatalf("Daily = %d rows, want 137", len(got))
	}
	for i, d := range got {
		if d.Model != fmt.Sprintf("m%03d", i) || d.OK != 1 || d.Total != 2 || d.Worst != model.StateDown {
			t.Errorf("row %d = %+v", i, d)
		}
	}
}
