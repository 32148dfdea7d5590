// Package runner turns a configuration into probe targets and runs them: one probe is one check of
// a provider from one vantage, through that vantage's own transport, classified into Results.
// It also keeps each vantage's verification verdict and marks results from a vantage whose egress
// is in the wrong country, so they never count for the configured region.
//
// Targets, and so scheduled jobs, are fine-grained: one per (vantage, provider, model, check),
// except a models check, which reads one list for all its models (one job per vantage,
// provider and check), and the control probe, one per vantage. A stalled request therefore holds
// up only its own job, and each result reaches the sink as its request ends (ProbeEach): a
// models check hands on every model the list decided at once, then each confirming get as it
// ends. Every Result carries Time (the request's start) and EndedAt (when its answer or its
// failure came).
package runner

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/accesswatch/accesswatch/internal/config"
	"github.com/accesswatch/accesswatch/internal/model"
	"github.com/accesswatch/accesswatch/internal/redact"
	"github.com/accesswatch/accesswatch/probes/providers"
	"github.com/accesswatch/accesswatch/probes/schedule"
	"github.com/accesswatch/accesswatch/probes/vantage"
	"github.com/accesswatch/accesswatch/probes/verify"
)

// Target is one scheduled check of one provider from one vantage: of one model, or, for a models
// check, of every model its list covers; a control target has no model.
type Target struct {
	Vantage  config.Vantage
	Provider config.Provider
	Check    config.Check
	Models   []string // the models this check covers: exactly one, except for a models check
	Timeout  time.Duration

	page url.Values // the query of a models-list page after the first (catalogue.go)
}

// Key names the target uniquely (a provider may have two checks of the same kind): the
// vantage, provider, check kind and config line, and the model unless it is a models check.
func (t Target) Key() string {
	k := fmt.Sprintf("%s/%s/%s@%d", t.Vantage.ID, t.Provider.ID, t.Check.Kind, t.Check.Line)
	if t.Check.Kind != model.CheckModels && len(t.Models) == 1 {
		k += "/" + t.Models[0]
	}
	return k
}

// Options configure a Runner.
type Options struct {
	Config   *config.Config
	Registry *providers.Registry
	// TLSConfig is used by every vantage transport (the demo and tests trust their own CA).
	TLSConfig *tls.Config
	// Geo looks egress addresses up locally during verification; nil trusts the echo's answer.
	Geo    verify.Geo
	Now    func() time.Time
	Logger *slog.Logger
}

// Runner probes targets. It is safe for concurrent use.
type Runner struct {
	cfg      *config.Config
	reg      *providers.Registry
	geo      verify.Geo
	now      func() time.Time
	log      *slog.Logger
	vantages map[string]*vantageState
	maxBody  int64
	maxList  int64 // bound of one models-list page (probing.max_list_kib)
	ua       string
	// secretList is every credential of the config with its escaped forms, computed once.
	secretList []string
	cat        catalogueCounts
}

type vantageState struct {
	cfg     config.Vantage
	rt      http.RoundTripper
	verdict atomic.Pointer[verify.Verdict]
}

// New builds a transport for every vantage in o.Config.
func New(o Options) (*Runner, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Registry == nil {
		o.Registry = providers.NewRegistry()
	}
	r := &Runner{
		cfg: o.Config, reg: o.Registry, geo: o.Geo, now: o.Now, log: o.Logger,
		vantages: map[string]*vantageState{},
		maxBody:  int64(o.Config.Probing.MaxBodyKiB) << 10,
		maxList:  int64(o.Config.Probing.MaxListKiB) << 10,
		ua:       o.Config.Probing.UserAgent,

		secretList: redact.WithEncodings(o.Config.Secrets()),
	}
	for _, v := range o.Config.Vantages {
		rt, err := vantage.NewTransport(vantage.Options{
			SourceIP: v.SourceIP, Proxy: v.Proxy, TLSConfig: o.TLSConfig, PostQuantum: o.Config.Probing.PostQuantumTLS,
			HTTP2: o.Config.Probing.HTTP2,
		})
		if err != nil {
			return nil, fmt.Errorf("vantage %q: %w", v.ID, err)
		}
		r.vantages[v.ID] = &vantageState{cfg: v, rt: rt}
	}
	for _, p := range o.Config.Providers {
		if _, err := r.reg.Lookup(p.Kind); err != nil {
			return nil, fmt.Errorf("provider %q: %w", p.ID, err)
		}
	}
	return r, nil
}

// Targets expands the config into targets, optionally only of one provider and one vantage:
// one per model of each check, and one per models check (its list covers all its models).
// Unless a provider is named, every vantage also gets a control target, so a vantage that cannot
// reach a neutral endpoint is told apart from a vendor that does not answer it.
func (r *Runner) Targets(provider, vantageID string) []Target {
	var out []Target
	for _, v := range r.cfg.Vantages {
		if vantageID != "" && v.ID != vantageID {
			continue
		}
		first := len(out)
		for _, p := range r.cfg.Providers {
			if provider != "" && p.ID != provider || !servesVantage(p, v.ID) {
				continue
			}
			for _, c := range p.Checks {
				if c.Kind == model.CheckStatusPage {
					continue // polled by the collector, not from vantages
				}
				models := c.Models
				if len(models) == 0 {
					models = p.Models
				}
				tg := Target{Vantage: v, Provider: p, Check: c, Timeout: r.timeout(p, c)}
				if c.Kind == model.CheckModels {
					tg.Models = models
					out = append(out, tg)
					continue
				}
				for _, m := range models {
					tg.Models = []string{m}
					out = append(out, tg)
				}
			}
		}
		if provider == "" && len(out) > first {
			out = append(out, r.controlTarget(v, out[first:]))
		}
	}
	return out
}

// controlTarget probes the control URL as often as the vantage's most frequent check, so every
// round of checks has a control observation beside it.
func (r *Runner) controlTarget(v config.Vantage, checks []Target) Target {
	spec, best := checks[0].Check.Schedule, time.Duration(-1)
	now := r.now()
	for _, t := range checks {
		s, err := config.ParseSchedule(t.Check.Schedule)
		if err != nil {
			continue
		}
		next := s.Next(now)
		if d := s.Next(next).Sub(next); best < 0 || d < best {
			spec, best = t.Check.Schedule, d
		}
	}
	return Target{
		Vantage: v, Check: config.Check{Kind: model.CheckControl, Schedule: spec},
		Timeout: r.timeout(config.Provider{}, config.Check{}),
	}
}

func servesVantage(p config.Provider, id string) bool {
	if len(p.Vantages) == 0 {
		return true
	}
	for _, v := range p.Vantages {
		if v == id {
			return true
		}
	}
	return false
}

func (r *Runner) timeout(p config.Provider, c config.Check) time.Duration {
	switch {
	case c.Timeout > 0:
		return c.Timeout.D()
	case p.Timeout > 0:
		return p.Timeout.D()
	case r.cfg.Probing.Timeout > 0:
		return r.cfg.Probing.Timeout.D()
	}
	return 10 * time.Second
}

// Round runs every target once, concurrently within each vantage's concurrency limit, and
// returns all results. It is what `accesswatch probe` does.
func (r *Runner) Round(ctx context.Context, targets []Target) []model.Result {
	var (
		mu  sync.Mutex
		out []model.Result
		wg  sync.WaitGroup
	)
	pools := map[string]chan struct{}{}
	for _, t := range targets {
		pool, ok := pools[t.Vantage.ID]
		if !ok {
			pool = make(chan struct{}, r.concurrency(t.Vantage))
			pools[t.Vantage.ID] = pool
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			pool <- struct{}{}
			defer func() { <-pool }()
			r.ProbeEach(ctx, t, r.now(), func(rs []model.Result) {
				mu.Lock()
				out = append(out, rs...)
				mu.Unlock()
			})
		}()
	}
	wg.Wait()
	return out
}

func (r *Runner) concurrency(v config.Vantage) int {
	if v.Concurrency > 0 {
		return v.Concurrency
	}
	if r.cfg.Probing.Concurrency > 0 {
		return r.cfg.Probing.Concurrency
	}
	return 8
}

// Schedule adds every target to s as its own job (jitter, concurrency pool and no-overlap rule
// per target); each result goes to sink as its request ends, a models list's decided models
// together. Calls of sink come from many goroutines at once.
func (r *Runner) Schedule(s *schedule.Scheduler, targets []Target, sink func([]model.Result)) error {
	for _, t := range targets {
		spec, err := config.ParseSchedule(t.Check.Schedule)
		if err != nil {
			return fmt.Errorf("%s: schedule %q: %w", t.Key(), t.Check.Schedule, err)
		}
		err = s.Add(schedule.Job{
			Key: t.Key(), Schedule: spec, Pool: t.Vantage.ID, RunAtStart: true,
			Vantage: t.Vantage.ID, Provider: t.Provider.ID, Check: t.Check.Kind,
			// The job's own deadline covers its requests; each request has t.Timeout.
			Timeout: t.Timeout * time.Duration(requestsPerRun(t)),
			Run: func(ctx context.Context, scheduled time.Time) {
				r.ProbeEach(ctx, t, scheduled, sink)
			},
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// requestsPerRun bounds the requests of one run of t, each within t.Timeout.
func requestsPerRun(t Target) int {
	if t.Check.Kind == model.CheckModels {
		// Every page shares one timeout; each model absent from the list may cost one
		// confirming get (catalogue.go).
		return 1 + len(t.Models)
	}
	return max(1, len(t.Models))
}

// Concurrency returns every vantage's concurrency limit, for the scheduler.
func (r *Runner) Concurrency() map[string]int {
	out := map[string]int{}
	for id, v := range r.vantages {
		out[id] = r.concurrency(v.cfg)
	}
	return out
}
