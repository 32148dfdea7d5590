package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"text/tabwriter"

	"github.com/accesswatch/accesswatch/internal/model"
	"github.com/accesswatch/accesswatch/probes/runner"
)

func probeCmd(ctx context.Context, env Env, args []string) error {
	fs := newFlags(env, "probe", "--config FILE [--provider ID] [--vantage ID] [--json] [--fail-on never|error|any]")
	path := fs.String("config", "accesswatch.yml", "config file")
	provider := fs.String("provider", "", "only this provider id")
	vantage := fs.String("vantage", "", "only this vantage id")
	asJSON := fs.Bool("json", false, "print results as a JSON array")
	verifyFirst := fs.Bool("verify", false, "verify each vantage's egress country first (needs the echo URL reachable)")
	control := fs.Bool("control", false, "also probe each vantage's control URL (probing.control_url)")
	level := fs.String("log-level", "warn", "log level: debug, info, warn, error")
	failOn := fs.String("fail-on", failNever, "exit 1 when a probe is not ok: never; error (its access is fault, misconfigured or unknown: "+
		"no answer, a bad key, a vendor failing; a revoked model still exits 0); any (any class but ok)")
	log, cfg, err := setup(env, fs, args, path, level)
	if err != nil {
		return err
	}
	if !slices.Contains([]string{failNever, failError, failAny}, *failOn) {
		return fmt.Errorf("%w: --fail-on: want never, error or any, got %q", errUsage, *failOn)
	}
	r, err := runner.New(runner.Options{Config: cfg, Logger: log})
	if err != nil {
		return err
	}
	var targets []runner.Target
	for _, t := range r.Targets(*provider, *vantage) {
		if *control || t.Check.Kind != model.CheckControl {
			targets = append(targets, t)
		}
	}
	if len(targets) == 0 {
		return fmt.Errorf("%w: no checks match --provider %q --vantage %q", errUsage, *provider, *vantage)
	}
	if *verifyFirst {
		r.Verify(ctx)
	}
	results := r.Round(ctx, targets)
	sort.Slice(results, func(i, j int) bool {
		a, b := results[i], results[j]
		if a.Vantage != b.Vantage {
			return a.Vantage < b.Vantage
		}
		if a.Provider != b.Provider {
			return a.Provider < b.Provider
		}
		if a.Model != b.Model {
			return a.Model < b.Model
		}
		return a.Check < b.Check
	})
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(results)
	} else {
		err = writeResultTable(env.Stdout, results)
	}
	if err != nil {
		return err
	}
	return failing(results, *failOn)
}

// The values of probe --fail-on.
const (
	failNever = "never"
	failError = "error"
	failAny   = "any"
)

// failing is probe's exit error under --fail-on: nil when every result passes.
func failing(results []model.Result, failOn string) error {
	bad := 0
	for _, r := range results {
		switch {
		case failOn == failAny && r.Class != model.ClassOK:
			bad++
		case failOn == failError && r.Access != model.AccessAvailable && r.Access != model.AccessRevoked:
			bad++
		}
	}
	if bad == 0 {
		return nil
	}
	return fmt.Errorf("%d of %d probes not ok (--fail-on %s)", bad, len(results), failOn)
}

func writeResultTable(w io.Writer, results []model.Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "VANTAGE\tREGION\tPROVIDER\tMODEL\tCHECK\tCLASS\tSTATUS\tLATENCY\tSIGNATURE")
	for _, r := range results {
		status := "-"
		if r.HTTPStatus > 0 {
			status = fmt.Sprint(r.HTTPStatus)
		}
		mark := ""
		if r.VantageMismatch {
			mark = " (vantage_mismatch)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s%s\t%s\t%.0fms\t%s\n", r.Vantage, r.Region, r.Provider, r.Model,
			r.Check, r.Class, mark, status, r.Timings.TotalMs, r.Signature)
	}
	return tw.Flush()
}
