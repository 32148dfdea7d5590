package app

import (
	"time"

	"github.com/accesswatch/accesswatch/internal/config"
)

// settleFor is detection's round (detect.Options.Settle): how long the results of one
// schedule tick take to arrive from every vantage. Probes of one tick start up to the probing
// jitter apart and answer within about a second of each other; a collector also waits for
// agents' pushes (agent.flush_interval, default 1 s).
func settleFor(cfg *config.Config, mode string) time.Duration {
	d := cfg.Probing.Jitter.D() + time.Second
	if mode == config.ModeCollector {
		d += time.Second
	}
	return d
}
