package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/accesswatch/accesswatch/internal/model"
)

func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func schemaObjects(t *testing.T, db *sql.DB) []string {
	t.Helper()
	rows, err := db.Query(`SELECT type || ' ' || name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rows.Close() }()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

func TestMigrateFromEmpty(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "r.db")
	s := openStore(t, Options{Path: path})
	v, err := s.SchemaVersion(ctx)
	if err != nil || v != len(migrations()) {
		t.Fatalf("SchemaVersion = %d, %v; want %d", v, err, len(migrations()))
	}
	got := strings.Join(schemaObjects(t, s.db), ", ")
	want := "index claim_history_checked, index daily_day, " +
		"index event_regions_region, index events_ended, index events_incident, index events_kind, index events_started, " +
		"index notify_log_sent, index results_provider_model_region_time, index results_time, " +
		"index transitions_at, index transitions_target_at, table claim_history, table claims, table daily, " +
		"table event_regions, table events, " +
		"table notify_log, table results, table schema_migrations, table state_kv, table transitions"
	if got != want {
		t.Errorf("schema objects = %s\nwant %s", got, want)
	}
	var mode string
	if err := s.db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
	if err := s.Write(ctx, []model.Result{fullResult(1)}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Reopening applies nothing and keeps the data.
	again := openStore(t, Options{Path: path})
	if v, err := again.SchemaVersion(ctx); err != nil || v != len(migrations()) {
		t.Errorf("SchemaVersion after reopen = %d, %v", v, err)
	}
	if n := mustCount(t, again); n != 1 {
		t.Errorf("Count after reopen = %d, want 1", n)
	}
	var applied int
	if err := again.db.QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&applied); err != nil || applied != len(migrations()) {
		t.Errorf("schema_migrations rows = %d, %v; want %d", applied, err, len(migrations()))
	}
}

func TestRefuseFutureSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.db")
	s := openStore(t, Options{Path: path})
	if err := s.Write(context.Background(), []model.Result{fullResult(1)}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db := rawDB(t, path)
	future := len(migrations()) + 5
	if _, err := db.Exec(`INSERT INTO schema_migrations (version, applied_ns) VALUES (?, 0)`, future); err != nil {
		t.Fatal(err)
	}
	before := schemaObjects(t, db)

	_, err := Open(context.Background(), Options{Path: path})
	if !errors.Is(err, ErrFutureSchema) {
		t.Fatalf("Open error = %v, want ErrFutureSchema", err)
	}
	for _, w := range []string{fmt.Sprintf("version %d", future), fmt.Sprintf("up to %d", len(migrations())), "r.db"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not mention %q", err, w)
		}
	}
	if after := schemaObjects(t, db); strings.Join(after, ",") != strings.Join(before, ",") {
		t.Errorf("schema changed: %v -> %v", before, after)
	}
	var v, n int
	if err := db.QueryRow(`SELECT MAX(version), (SELECT COUNT(*) FROM results) FROM schema_migrations`).Scan(&v, &n); err != nil {
		t.Fatal(err)
	}
	if v != future || n != 1 {
		t.Errorf("after refusal: version %d, %d results; want %d, 1", v, n, future)
	}
}

func TestFailedMigrationStepRollsBack(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "r.db")
	s := openStore(t, Options{Path: path})
	next := len(migrations()) + 1
	err := applyStep(ctx, s.db, next, `CREATE TABLE extra (a INTEGER); CREATE TABLE broken (`, 0)
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("migration %d", next)) {
		t.Fatalf("applyStep error = %v, want one naming migration %d", err, next)
	}
	if v, err := s.SchemaVersion(ctx); err != nil || v != next-1 {
		t.Errorf("SchemaVersion = %d, %v; want %d", v, err, next-1)
	}
	for _, o := range schemaObjects(t, s.db) {
		if o == "table extra" {
			t.Error("the failed step's first statement was kept")
		}
	}
}
