package config

import (
	"errors"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// planStart is the fixed instant from which cron schedules are measured (a Monday, UTC), so a
// plan does not depend on when it is built.
var planStart = time.Date(2025, time.January, 6, 0, 0, 0, 0, time.UTC)

// ParseSchedule parses a check schedule. It is the one schedule parser of accesswatch:
//   - cron with 5 fields, or 6 with a leading seconds field ("*/30 * * * * *"), optionally
//     prefixed by "TZ=Europe/Paris " or "CRON_TZ=...";
//   - descriptors: @yearly, @monthly, @weekly, @daily, @midnight, @hourly;
//   - "@every <duration>" with a whole number of seconds, at least 1s; days allowed ("@every 1d").
func ParseSchedule(spec string) (s cron.Schedule, err error) {
	if rest, ok := strings.CutPrefix(strings.TrimSpace(spec), "@every "); ok {
		d, err := ParseDuration(strings.TrimSpace(rest))
		switch {
		case err != nil:
			return nil, errors.New("@every wants a duration like 60s, 5m or 1d")
		case d < time.Second || d%time.Second != 0:
			return nil, errors.New("@every wants a whole number of seconds, at least 1s")
		}
		return cron.Every(d), nil
	}
	defer func() {
		// robfig/cron is third-party code fed config text: a panic there is a bad spec.
		if r := recover(); r != nil {
			s, err = nil, errors.New("cannot parse")
		}
	}()
	p := cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)
	return p.Parse(spec)
}

// runsPerDay is how often s fires on average. Fixed delays are exact. Other schedules are
// counted from planStart: over 24h when they fire more than once a minute, else over a week
// (so weekday-only schedules average right), else over a year (@monthly, @yearly).
func runsPerDay(s cron.Schedule) float64 {
	if cd, ok := s.(cron.ConstantDelaySchedule); ok {
		return float64(day) / float64(cd.Delay)
	}
	const perMinute = 24 * 60
	if n := countRuns(s, day, 24*3600); n > perMinute {
		return float64(n)
	}
	const week = 7
	if n := countRuns(s, week*day, week*perMinute); n >= 1 {
		return float64(n) / week
	}
	const year = 365
	return float64(countRuns(s, year*day, 2*year)) / year
}

// countRuns counts activations in (planStart, planStart+window], stopping at limit+1.
func countRuns(s cron.Schedule, window time.Duration, limit int) int {
	end := planStart.Add(window)
	n := 0
	for t := s.Next(planStart); !t.IsZero() && !t.After(end) && n <= limit; t = s.Next(t) {
		n++
	}
	return n
}
