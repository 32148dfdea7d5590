package cli

import (
	"context"
	"fmt"

	"github.com/accesswatch/accesswatch/dashboards"
)

// dashboardsCmd exports the Grafana dashboards as JSON with provisioning files, or publishes
// them through Grafana's HTTP API.
func dashboardsCmd(ctx context.Context, env Env, args []string) error {
	if len(args) > 0 && (isHelp(args[0]) || args[0] == "help") {
		_, err := fmt.Fprint(env.Stdout, `Usage: accesswatch dashboards export --out DIR [--bucket B]
       accesswatch dashboards publish --config FILE

Subcommands:
  export   write the Grafana dashboards as JSON, with provisioning files
  publish  create or update the dashboards through Grafana's HTTP API (the config's grafana: section)

Run 'accesswatch dashboards export -h' or 'accesswatch dashboards publish -h' for their flags.
`)
		return err
	}
	if len(args) == 0 || (args[0] != "export" && args[0] != "publish") {
		return fmt.Errorf("%w: want 'accesswatch dashboards export --out DIR' or 'accesswatch dashboards publish --config FILE'", errUsage)
	}
	switch args[0] {
	case "export":
		fs := newFlags(env, "dashboards export", "--out DIR")
		out := fs.String("out", "dashboards-out", "directory for <uid>.json and provisioning/")
		bucket := fs.String("bucket", dashboards.DefaultBucket, "the InfluxDB bucket the Flux panels read (store.influx.bucket)")
		if err := parse(env, fs, args[1:]); err != nil {
			return err
		}
		if err := dashboards.ExportWith(*out, dashboards.Options{Bucket: *bucket}); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "dashboards written to %s\n", *out)
		return nil
	default:
		fs := newFlags(env, "dashboards publish", "--config FILE")
		path := fs.String("config", "accesswatch.yml", "config file with a grafana: section")
		level := fs.String("log-level", "info", "log level: debug, info, warn, error")
		log, cfg, err := setup(env, fs, args[1:], path, level)
		if err != nil {
			return err
		}
		if cfg.Grafana.URL == "" {
			return fmt.Errorf("%s: grafana.url is not set", cfg.Path)
		}
		bucket := cfg.Store.Influx.Bucket
		if bucket == "" {
			bucket = dashboards.DefaultBucket
		}
		ds, err := dashboards.Build(dashboards.Options{Bucket: bucket})
		if err != nil {
			return err
		}
		err = dashboards.Publish(ctx, dashboards.PublishOptions{
			URL: cfg.Grafana.URL, Token: cfg.Grafana.Token.Reveal(), Folder: cfg.Grafana.Folder, Logger: log,
		}, ds)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "%d dashboards published to %s (folder %q)\n", len(ds), cfg.Grafana.URL, cfg.Grafana.Folder)
		return nil
	}
}
