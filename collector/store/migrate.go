package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// ErrFutureSchema is returned by Open when the database was migrated by a newer binary.
var ErrFutureSchema = errors.New("store: database schema is newer than this binary knows")

// migrations returns the schema, one step per version: migrations()[i] takes the
// database to version i+1. Steps are only ever appended, never edited.
func migrations() []string {
	return []string{
		// 1: results with the queryable columns, plus the whole Result as JSON (doc).
		`CREATE TABLE results (
			id               TEXT    NOT NULL PRIMARY KEY,
			time_ns          INTEGER NOT NULL,
			vantage          TEXT    NOT NULL,
			region           TEXT    NOT NULL,
			country          TEXT    NOT NULL,
			provider         TEXT    NOT NULL,
			kind             TEXT    NOT NULL,
			model            TEXT    NOT NULL,
			"check"          TEXT    NOT NULL,
			class            TEXT    NOT NULL,
			layer            TEXT    NOT NULL,
			access           TEXT    NOT NULL,
			signature        TEXT    NOT NULL,
			http_status      INTEGER NOT NULL,
			total_ms         REAL    NOT NULL,
			vantage_mismatch INTEGER NOT NULL,
			doc              TEXT    NOT NULL
		);
		CREATE INDEX results_provider_model_region_time ON results (provider, model, region, time_ns);
		CREATE INDEX results_time ON results (time_ns, id);`,
	}
}

// migrate brings the database up to the newest known version, each step in its own
// transaction. A database newer than the binary is refused before anything is changed.
func migrate(ctx context.Context, db *sql.DB, nowNanos int64) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER NOT NULL PRIMARY KEY,
		applied_ns INTEGER NOT NULL
	)`); err != nil {
		return fmt.Errorf("store: create schema_migrations: %w", err)
	}
	current, err := schemaVersion(ctx, db)
	if err != nil {
		return err
	}
	steps := migrations()
	if current > len(steps) {
		return fmt.Errorf("%w: database is at version %d, this binary knows up to %d; refusing to touch it",
			ErrFutureSchema, current, len(steps))
	}
	for v := current + 1; v <= len(steps); v++ {
		if err := applyStep(ctx, db, v, steps[v-1], nowNanos); err != nil {
			return err
		}
	}
	return nil
}

func applyStep(ctx context.Context, db *sql.DB, version int, stmt string, nowNanos int64) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: migration %d: begin: %w", version, err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, stmt); err != nil {
		return fmt.Errorf("store: migration %d: %w", version, err)
	}
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO schema_migrations (version, applied_ns) VALUES (?, ?)`, version, nowNanos); err != nil {
		return fmt.Errorf("store: migration %d: record version: %w", version, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: migration %d: commit: %w", version, err)
	}
	return nil
}

func schemaVersion(ctx context.Context, db *sql.DB) (int, error) {
	var v int
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("store: read schema version: %w", err)
	}
	return v, nil
}
