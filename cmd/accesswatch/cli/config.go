package cli

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/accesswatch/accesswatch/internal/config"
)

func configCmd(_ context.Context, env Env, args []string) error {
	if len(args) == 0 || args[0] != "check" {
		return fmt.Errorf("%w: want 'accesswatch config check --config FILE [--json]'", errUsage)
	}
	fs := newFlags(env, "config check", "--config FILE [--json]")
	path := fs.String("config", "accesswatch.yml", "config file")
	asJSON := fs.Bool("json", false, "print the plan as JSON")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	cfg, err := config.Load(*path, env.LookupEnv)
	if err != nil {
		return err
	}
	// Warnings go to stderr, so --json output stays one plan document.
	for _, w := range cfg.Warnings() {
		fmt.Fprintf(env.Stderr, "warning: %s\n", w)
	}
	plan := config.BuildPlan(cfg)
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(plan)
	}
	fmt.Fprintf(env.Stdout, "%s: ok\n\n", *path)
	return plan.WriteText(env.Stdout)
}
