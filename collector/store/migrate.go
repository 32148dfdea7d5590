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

		// 2: detection state. The engine's snapshot (a key-value row); events with their
		// queryable columns, the whole Event as JSON (doc) and their regions in a side
		// table; the append-only log of region transitions; the notification log. Times
		// are Unix nanoseconds, like results.time_ns.
		`CREATE TABLE state_kv (
			name       TEXT    NOT NULL PRIMARY KEY,
			data       BLOB    NOT NULL,
			updated_ns INTEGER NOT NULL
		);
		CREATE TABLE events (
			id          TEXT    NOT NULL PRIMARY KEY,
			incident_id TEXT    NOT NULL,
			kind        TEXT    NOT NULL,
			condition   TEXT    NOT NULL,
			scope       TEXT    NOT NULL,
			provider    TEXT    NOT NULL,
			model       TEXT    NOT NULL,
			vantage     TEXT    NOT NULL,
			started_at  INTEGER NOT NULL,
			ended_at    INTEGER,
			updated_at  INTEGER NOT NULL,
			doc         TEXT    NOT NULL
		);
		CREATE INDEX events_started ON events (started_at, id);
		CREATE INDEX events_ended ON events (ended_at);
		CREATE INDEX events_incident ON events (incident_id);
		CREATE TABLE event_regions (
			event_id TEXT NOT NULL,
			region   TEXT NOT NULL,
			PRIMARY KEY (event_id, region)
		) WITHOUT ROWID;
		CREATE INDEX event_regions_region ON event_regions (region, event_id);
		CREATE TABLE transitions (
			seq        INTEGER NOT NULL PRIMARY KEY,
			at_ns      INTEGER NOT NULL,
			provider   TEXT    NOT NULL,
			model      TEXT    NOT NULL,
			region     TEXT    NOT NULL,
			vantage    TEXT    NOT NULL,
			from_state TEXT    NOT NULL,
			to_state   TEXT    NOT NULL,
			signature  TEXT    NOT NULL,
			doc        TEXT    NOT NULL
		);
		CREATE INDEX transitions_target_at ON transitions (provider, model, region, at_ns);
		CREATE INDEX transitions_at ON transitions (at_ns);
		CREATE TABLE notify_log (
			receiver  TEXT    NOT NULL,
			dedup_key TEXT    NOT NULL,
			sent_ns   INTEGER NOT NULL,
			ref       TEXT    NOT NULL,
			PRIMARY KEY (receiver, dedup_key)
		); -- a rowid table: Prune deletes by rowid in chunks
		CREATE INDEX notify_log_sent ON notify_log (sent_ns);`,

		// 3: read models for the public pages. daily rolls results up per (provider,
		// model, region, UTC day) so uptime and history never scan results; day is days
		// since the Unix epoch, worst_rank the worst state's rank (see stateRank). Control
		// results and results without a model are not rolled up. Backfilled from results.
		// claims holds the latest vendor claim per component, claim_history every one read.
		`CREATE TABLE daily (
			provider   TEXT    NOT NULL,
			model      TEXT    NOT NULL,
			region     TEXT    NOT NULL,
			day        INTEGER NOT NULL,
			ok         INTEGER NOT NULL,
			total      INTEGER NOT NULL,
			worst_rank INTEGER NOT NULL,
			PRIMARY KEY (provider, model, region, day)
		); -- a rowid table: Prune deletes by rowid in chunks
		CREATE INDEX daily_day ON daily (day);
		INSERT INTO daily (provider, model, region, day, ok, total, worst_rank)
		SELECT provider, model, region, (time_ns - (((time_ns % 86400000000000) + 86400000000000) % 86400000000000)) / 86400000000000,
			SUM(access = 'available'), COUNT(*), MAX(` + rankSQL + `)
		FROM results WHERE "check" <> 'control' AND model <> ''
		GROUP BY 1, 2, 3, 4;
		CREATE TABLE claims (
			provider     TEXT    NOT NULL,
			component_id TEXT    NOT NULL,
			checked_ns   INTEGER NOT NULL,
			doc          TEXT    NOT NULL,
			PRIMARY KEY (provider, component_id)
		);
		CREATE TABLE claim_history (
			seq          INTEGER NOT NULL PRIMARY KEY,
			provider     TEXT    NOT NULL,
			component_id TEXT    NOT NULL,
			status       TEXT    NOT NULL,
			checked_ns   INTEGER NOT NULL,
			doc          TEXT    NOT NULL
		);
		CREATE INDEX claim_history_checked ON claim_history (checked_ns);`,

		// 4: an event keeps its kind when it ends; how it ended is its outcome. Events stored
		// closed under the old meaning (kind restored, recovered or retired) get their kind
		// back from condition (or, were it missing, from what the outcome follows) and the old
		// kind as outcome, in the columns and in the document.
		`ALTER TABLE events ADD COLUMN outcome TEXT NOT NULL DEFAULT '';
		UPDATE events SET outcome = kind, kind = ` + openedKindSQL + `, condition = ` + openedKindSQL + `,
			doc = json_set(doc, '$.kind', ` + openedKindSQL + `, '$.condition', ` + openedKindSQL + `, '$.outcome', kind)
		WHERE kind IN ('restored', 'recovered', 'retired');
		CREATE INDEX events_kind ON events (kind, outcome);`,
	}
}

// openedKindSQL is, for an events row of the old meaning, the kind it opened as.
const openedKindSQL = `(CASE
	WHEN condition NOT IN ('', 'restored', 'recovered', 'retired') THEN condition
	WHEN kind = 'restored' THEN 'revoked'
	WHEN kind = 'retired' THEN 'deprecation'
	WHEN vantage <> '' THEN 'vantage_fault'
	WHEN scope = 'regional' THEN 'degraded'
	ELSE 'outage' END)`

// migrate brings the database up to the newest known version, each step in its own
// transaction. A database newer than the binary is refused before anything is changed.
func migrate(ctx context.Context, db *sql.DB, nowNanos int64) error {
	return migrateSteps(ctx, db, migrations(), nowNanos)
}

// migrateSteps applies steps; tests pass a prefix of migrations() to build an older schema.
func migrateSteps(ctx context.Context, db *sql.DB, steps []string, nowNanos int64) error {
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
