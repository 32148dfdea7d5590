package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/accesswatch/accesswatch/collector/export"
	"github.com/accesswatch/accesswatch/collector/store"
	"github.com/accesswatch/accesswatch/internal/config"
	"github.com/accesswatch/accesswatch/internal/model"
)

// exportCmd streams stored results as CSV or JSON lines, with the filters of
// GET /api/v1/results/export.
func exportCmd(ctx context.Context, env Env, args []string) error {
	fs := newFlags(env, "export", "--config FILE [--provider P] [--model M] [--region R] [--vantage V] [--class C] [--from T] [--to T] [--format csv|jsonl] [--out FILE]")
	path := fs.String("config", "accesswatch.yml", "config file (its store.path is read)")
	out := fs.String("out", "", "write to this file instead of standard output")
	q := url.Values{}
	for _, p := range []struct{ name, usage string }{
		{"provider", "only this provider id"}, {"model", "only this model"}, {"region", "only this region"},
		{"vantage", "only this vantage"}, {"class", "only this class (geo_blocked, …)"},
		{"from", "RFC 3339 time or a duration back from now (30d, 24h); default 24h"},
		{"to", "RFC 3339 time or a duration back from now; default now"}, {"format", "csv (default) or jsonl"},
	} {
		fs.Func(p.name, p.usage, func(v string) error { q.Set(p.name, v); return nil })
	}
	if err := parse(env, fs, args); err != nil {
		return err
	}
	f, format, err := export.ParseFilter(q, time.Now())
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	cfg, err := loadStoreConfig(*path, env)
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, store.Options{Path: cfg.Store.Path})
	if err != nil {
		return err
	}
	defer st.Close()
	var w io.Writer = env.Stdout
	if *out != "" {
		file, err := os.Create(*out)
		if err != nil {
			return fmt.Errorf("--out: %w", err)
		}
		defer file.Close()
		w = file
	}
	write := export.WriteCSV
	if format == export.FormatJSONL {
		write = export.WriteJSONL
	}
	return write(w, func(fn func(model.Result) error) error { return st.Export(ctx, f, fn) })
}

// loadStoreConfig loads a config for reading its store: variables unset elsewhere (the API keys
// of a probing host) do not matter, one unset in store: does.
func loadStoreConfig(path string, env Env) (*config.Config, error) {
	cfg, err := config.LoadWith(path, env.LookupEnv, config.Options{AllowUnset: true})
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, u := range cfg.Unset {
		if u.Path == "store" || strings.HasPrefix(u.Path, "store.") {
			errs = append(errs, errors.New(u.String()))
		}
	}
	return cfg, errors.Join(errs...)
}
