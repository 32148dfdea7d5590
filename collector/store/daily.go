package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
)

// dayNs is one day in nanoseconds; the rollup's day is floor(time_ns / dayNs).
const dayNs = int64(24 * time.Hour)

// rankSQL is stateRank in SQL over the results columns access and class (model.StateOf);
// the migration backfilling daily uses it, so the two must agree (a test checks).
const rankSQL = `CASE access WHEN 'available' THEN 0 WHEN 'revoked' THEN 4
	WHEN 'fault' THEN CASE WHEN class IN ('overloaded', 'rate_limited', 'server_error') THEN 2 ELSE 3 END
	ELSE 1 END`

// stateRank orders states from best to worst: a day's worst state has the highest rank.
func stateRank(s model.State) int {
	switch s {
	case model.StateAvailable:
		return 0
	case model.StateDegraded:
		return 2
	case model.StateDown:
		return 3
	case model.StateRevoked:
		return 4
	}
	return 1 // unknown
}

func rankState(rank int) model.State {
	switch rank {
	case 0:
		return model.StateAvailable
	case 2:
		return model.StateDegraded
	case 3:
		return model.StateDown
	case 4:
		return model.StateRevoked
	}
	return model.StateUnknown
}

// dayOf is the number of t's UTC day since the Unix epoch.
func dayOf(nanos int64) int64 {
	d := nanos / dayNs
	if nanos%dayNs < 0 {
		d--
	}
	return d
}

func dayTime(day int64) time.Time { return time.Unix(day*86400, 0).UTC() }

// DayStat is one (provider, model, region) on one UTC day: how many results were
// available out of how many, and the worst state seen.
type DayStat struct {
	Provider, Model, Region string
	Day                     time.Time // UTC midnight
	OK, Total               int64
	Worst                   model.State
}

// rollupKey is one daily row.
type rollupKey struct {
	provider, model, region string
	day                     int64
}

type rollupVal struct{ ok, total, worst int64 }

// rollup adds the results of rs marked fresh in b to the daily table, in the insert's
// transaction, so a duplicate never counts twice. The caller holds writeMu.
func (s *Store) rollup(ctx context.Context, tx *sql.Tx, rs []model.Result, b *insertBuf) error {
	if b.daily == nil {
		b.daily = make(map[rollupKey]rollupVal)
	}
	clear(b.daily)
	for i := range rs {
		r := &rs[i]
		if !b.fresh[i] || r.Check == model.CheckControl || r.Model == "" {
			continue
		}
		k := rollupKey{r.Provider, r.Model, r.Region, dayOf(r.Time.UnixNano())}
		v := b.daily[k]
		st := model.StateOf(r.Classification)
		if st == model.StateAvailable {
			v.ok++
		}
		v.total++
		v.worst = max(v.worst, int64(stateRank(st)))
		b.daily[k] = v
	}
	args := b.args[:0]
	for k, v := range b.daily {
		args = append(args, k.provider, k.model, k.region, k.day, v.ok, v.total, v.worst)
	}
	const cols = 7
	// The row counts of the prepared upserts: the batch's rows go in the largest that
	// fits, so no statement is parsed per batch.
	rollupSizes := [...]int{100, 25, 5, 1}
	for len(args) > 0 {
		rows := len(args) / cols
		for _, n := range rollupSizes {
			if n > rows {
				continue
			}
			stmt, err := s.rollupStmt(ctx, n)
			if err != nil {
				return err
			}
			if _, err := tx.StmtContext(ctx, stmt).ExecContext(ctx, args[:n*cols]...); err != nil {
				return fmt.Errorf("store: update daily rollup: %w", err)
			}
			args = args[n*cols:]
			break
		}
	}
	return nil
}

// rollupStmt returns the prepared upsert of n daily rows. The caller holds writeMu.
func (s *Store) rollupStmt(ctx context.Context, n int) (*sql.Stmt, error) {
	if st := s.rollupStmts[n]; st != nil {
		return st, nil
	}
	st, err := s.db.PrepareContext(ctx, rollupSQL(n))
	if err != nil {
		return nil, fmt.Errorf("store: prepare daily rollup: %w", err)
	}
	if s.rollupStmts == nil {
		s.rollupStmts = make(map[int]*sql.Stmt)
	}
	s.rollupStmts[n] = st
	return st, nil
}

// rollupSQL upserts n daily rows, adding to the counters of existing ones.
func rollupSQL(n int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO daily (provider, model, region, day, ok, total, worst_rank) VALUES `)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?,?,?,?,?,?,?)")
	}
	b.WriteString(` ON CONFLICT (provider, model, region, day) DO UPDATE SET ok = ok + excluded.ok,
		total = total + excluded.total, worst_rank = MAX(worst_rank, excluded.worst_rank)`)
	return b.String()
}

// Daily returns every (provider, model, region, day) from since's UTC day on, ordered
// by provider, model, region and day. It reads the rollup, never the results.
func (s *Store) Daily(ctx context.Context, since time.Time) ([]DayStat, error) {
	if s.closed.Load() {
		return nil, ErrClosed
	}
	rows, err := s.db.QueryContext(ctx, `SELECT provider, model, region, day, ok, total, worst_rank
		FROM daily WHERE day >= ? ORDER BY provider, model, region, day`, dayOf(nanos(since)))
	if err != nil {
		return nil, fmt.Errorf("store: daily: %w", err)
	}
	defer func() { _ = rows.Close() }()
	var out []DayStat
	for rows.Next() {
		var d DayStat
		var day int64
		var rank int
		if err := rows.Scan(&d.Provider, &d.Model, &d.Region, &day, &d.OK, &d.Total, &rank); err != nil {
			return nil, fmt.Errorf("store: daily: %w", err)
		}
		d.Day, d.Worst = dayTime(day), rankState(rank)
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: daily: %w", err)
	}
	return out, nil
}

// Uptime sums the rollup of one (provider, model, region) from since's UTC day on: how
// many results were available out of how many. Its resolution is a day: a window
// starting mid-day counts that whole day.
func (s *Store) Uptime(ctx context.Context, provider, mdl, region string, since time.Time) (ok, total int64, err error) {
	if s.closed.Load() {
		return 0, 0, ErrClosed
	}
	err = s.db.QueryRowContext(ctx, `SELECT COALESCE(SUM(ok), 0), COALESCE(SUM(total), 0) FROM daily
		WHERE provider = ? AND model = ? AND region = ? AND day >= ?`,
		provider, mdl, region, dayOf(nanos(since))).Scan(&ok, &total)
	if err != nil {
		return 0, 0, fmt.Errorf("store: uptime: %w", err)
	}
	return ok, total, nil
}
