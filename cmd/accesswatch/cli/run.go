package cli

import (
	"context"

	"github.com/accesswatch/accesswatch/cmd/accesswatch/app"
)

// serveCmd runs the service in one of its modes: run, agent or collector.
func serveCmd(mode string) func(ctx context.Context, env Env, args []string) error {
	return func(ctx context.Context, env Env, args []string) error {
		fs := newFlags(env, mode, "--config FILE [--log-level info]")
		path := fs.String("config", "accesswatch.yml", "config file")
		level := fs.String("log-level", "info", "log level: debug, info, warn, error")
		log, cfg, err := setup(env, fs, args, path, level)
		if err != nil {
			return err
		}
		svc, err := app.New(ctx, app.Options{Config: cfg, Mode: mode, Logger: log, Version: Version})
		if err != nil {
			return err
		}
		return svc.Run(ctx)
	}
}
