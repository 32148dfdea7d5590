package cli

import (
	"context"
	"time"

	"github.com/accesswatch/accesswatch/cmd/accesswatch/demo"
)

func demoCmd(ctx context.Context, env Env, args []string) error {
	fs := newFlags(env, "demo", "[--listen 127.0.0.1:8080] [--step 10s] [--every 2s] [--duration 0]")
	o := demo.Options{}
	fs.StringVar(&o.Listen, "listen", "127.0.0.1:8080", "where the API listens (loopback)")
	fs.DurationVar(&o.Step, "step", 10*time.Second, "time between steps of the 2026 timeline")
	fs.DurationVar(&o.Every, "every", 2*time.Second, "probe interval of every check")
	fs.DurationVar(&o.Duration, "duration", 0, "stop after this long; 0 stops when the timeline has played out, -1s serves until interrupted")
	fs.StringVar(&o.DataDir, "data", "", "directory for the demo's database and GeoIP files (default: a temporary one)")
	level := fs.String("log-level", "warn", "log level of the service: debug, info, warn, error")
	if err := parse(env, fs, args); err != nil {
		return err
	}
	log, err := newLogger(env.Stderr, *level)
	if err != nil {
		return err
	}
	o.Logger = log
	o.Out = env.Stdout
	return demo.Run(ctx, o)
}
