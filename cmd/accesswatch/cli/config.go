package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/accesswatch/accesswatch/internal/config"
)

func configCmd(_ context.Context, env Env, args []string) error {
	if len(args) > 0 && (isHelp(args[0]) || args[0] == "help") {
		_, err := fmt.Fprint(env.Stdout, `Usage: accesswatch config check --config FILE [--json] [--allow-unset]

Subcommands:
  check  validate a config and print the resolved probe plan

Run 'accesswatch config check -h' for its flags.
`)
		return err
	}
	if len(args) == 0 || args[0] != "check" {
		return fmt.Errorf("%w: want 'accesswatch config check --config FILE [--json]'", errUsage)
	}
	fs := newFlags(env, "config check", "--config FILE [--json] [--allow-unset]")
	path := fs.String("config", "accesswatch.yml", "config file")
	asJSON := fs.Bool("json", false, "print the plan as JSON")
	allowUnset := fs.Bool("allow-unset", false, "check without the environment's secrets: list unset ${VAR}s as warnings and validate the rest")
	if err := parse(env, fs, args[1:]); err != nil {
		return err
	}
	cfg, err := config.LoadWith(*path, env.LookupEnv, config.Options{AllowUnset: *allowUnset})
	if err != nil {
		return err
	}
	// Warnings go to stderr, so --json output stays one plan document.
	for _, w := range append(slices.Clone(cfg.Unset), cfg.Warnings()...) {
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
