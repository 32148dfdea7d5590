package app

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/accesswatch/accesswatch/alerting/detect"
	"github.com/accesswatch/accesswatch/collector/api"
	"github.com/accesswatch/accesswatch/collector/export"
	"github.com/accesswatch/accesswatch/collector/influx"
	"github.com/accesswatch/accesswatch/collector/ingest"
	"github.com/accesswatch/accesswatch/collector/intake"
	"github.com/accesswatch/accesswatch/collector/store"
	"github.com/accesswatch/accesswatch/collector/web"
	"github.com/accesswatch/accesswatch/internal/config"
	"github.com/accesswatch/accesswatch/internal/metrics"
	"github.com/accesswatch/accesswatch/internal/model"
	"github.com/accesswatch/accesswatch/internal/push"
	"github.com/accesswatch/accesswatch/probes/publish"
	"github.com/accesswatch/accesswatch/probes/runner"
	"github.com/accesswatch/accesswatch/probes/schedule"
)

// openCollecting opens what run and collector share: the store, InfluxDB, notifiers,
// detection, and for a collector the push intake.
func (s *Service) openCollecting(ctx context.Context) error {
	cfg, o := s.o.Config, s.o
	var err error
	s.store, err = store.Open(ctx, store.Options{
		Path: cfg.Store.Path, Retention: cfg.Store.Retention.D(), BatchSize: cfg.Store.BatchSize,
		FlushInterval: cfg.Store.FlushInterval.D(), Now: o.Now, Logger: o.Logger.With("component", "store"),
	})
	if err != nil {
		return err
	}
	if in := cfg.Store.Influx; in.URL != "" {
		s.influx, err = influx.New(influx.Options{
			URL: in.URL, Token: in.Token.Reveal(), Org: in.Org, Bucket: in.Bucket, BatchSize: in.BatchSize,
			FlushInterval: in.FlushInterval.D(), BufferSize: in.Buffer, Now: o.Now, Logger: o.Logger.With("component", "influx"),
		})
		if err != nil {
			return err
		}
		s.met.RegisterInflux(influxStats(s.influx, in.Buffer))
	}
	if s.notify, err = newDispatcher(cfg.Alerting, cfg.Grafana, cfg.Server.PublicURL, s.store, o.Logger.With("component", "notify"), o.Now); err != nil {
		return err
	}
	s.met.RegisterNotifier(notifierStats(s.notify))
	eng := detect.New(detect.Options{
		FailAfter: cfg.Detection.FailAfter, RecoverAfter: cfg.Detection.RecoverAfter,
		IncidentWindow: cfg.Alerting.IncidentWindow.D(), Settle: settleFor(cfg, s.mode), Now: o.Now,
		Keep: keepFor(cfg),
	})
	if s.detect, err = detect.NewRuntime(ctx, eng, s.store, o.Logger.With("component", "detect"), s.updates); err != nil {
		return err
	}
	s.met.RegisterStore(storeStats(s.store))
	// The one door: every result is stored (synchronously, once) before anything reads it.
	s.intake = intake.New(intake.Options{Store: s.store, Next: s.fresh, BatchSize: cfg.Store.BatchSize})
	if err := s.openPublic(); err != nil {
		return err
	}
	if s.mode == config.ModeCollector {
		var agents []ingest.Agent
		for _, a := range cfg.Collector.Agents {
			ag := ingest.Agent{ID: a.ID, Vantages: a.Vantages}
			for _, t := range a.Tokens {
				ag.Tokens = append(ag.Tokens, t.Reveal())
			}
			agents = append(agents, ag)
		}
		// The collector's own config says where each vantage is and what is watched.
		var vantages []ingest.Vantage
		for _, v := range cfg.Vantages {
			vantages = append(vantages, ingest.Vantage{ID: v.ID, Region: v.Region, Country: v.Country})
		}
		var watch []ingest.Watched
		for _, p := range cfg.Providers {
			watch = append(watch, ingest.Watched{Provider: p.ID, Models: p.Models})
		}
		s.ingest, err = ingest.New(ingest.Options{
			Agents: agents, Sink: intakeSink{s.intake}, MaxBodyBytes: int64(cfg.Collector.MaxBodyMiB) << 20,
			Vantages: vantages, Watch: watch, MaxAge: cfg.Collector.MaxResultAge.D(), MaxSkew: cfg.Collector.MaxClockSkew.D(),
			Now: o.Now, Logger: o.Logger.With("component", "ingest"),
		})
		if err != nil {
			return err
		}
		s.met.RegisterIngest(ingestStats(s.ingest))
	}
	return nil
}

// openProbing builds the vantages, the schedule and, for an agent, the publisher.
func (s *Service) openProbing() error {
	cfg, o := s.o.Config, s.o
	ropts := runner.Options{Config: cfg, TLSConfig: o.TLSConfig, Now: o.Now, Logger: o.Logger.With("component", "runner")}
	if s.geo != nil {
		ropts.Geo = geoCountry{s.geo}
	}
	var err error
	if s.runner, err = runner.New(ropts); err != nil {
		return err
	}
	// One job per (vantage, provider, model, check); a models list is one job for its models.
	targets := s.runner.Targets("", "")
	for _, t := range targets {
		s.met.AddSkipSeries(t.Vantage.ID, t.Provider.ID, t.Check.Kind)
	}
	s.sched = schedule.New(schedule.Options{
		Jitter: cfg.Probing.Jitter.D(), Concurrency: s.runner.Concurrency(), Logger: o.Logger, Now: o.Now,
		OnSkip: func(j schedule.Job) { s.met.ObserveSkipped(j.Vantage, j.Provider, j.Check) },
	})
	sink := s.sink
	if s.mode == config.ModeAgent {
		a := cfg.Agent
		s.pub, err = publish.New(publish.Options{
			URL: a.CollectorURL, Agent: a.ID, Token: a.Token.Reveal(), SpoolDir: a.SpoolDir,
			SpoolMaxBytes: int64(a.SpoolMaxMiB) << 20, SpoolMaxAge: a.SpoolMaxAge.D(), BatchSize: a.BatchSize, FlushInterval: a.FlushInterval.D(),
			Now: o.Now, Logger: o.Logger.With("component", "publish"),
		})
		if err != nil {
			return err
		}
		s.met.RegisterSpool(spoolStats(s.pub))
		sink = s.agentSink
	}
	return s.runner.Schedule(s.sched, targets, sink)
}

// handler is the HTTP surface of the mode.
func (s *Service) handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{Registry: s.reg}))
	if s.ingest != nil {
		mux.Handle(push.Path, s.ingest)
	}
	aopts := api.Options{Logger: s.o.Logger.With("component", "api"), Now: s.o.Now}
	if s.store != nil {
		aopts.Store, aopts.Events = s.store, s.store
		aopts.Status = api.StatusFunc(s.detect.Status)
		aopts.Claims = s.store.Claims
	}
	if s.geo != nil {
		aopts.Geo = s.geo
	}
	if s.pub != nil {
		aopts.Ready = s.agentReady
	}
	if s.store != nil {
		aopts.Ready = (&storeHealth{st: s.store, now: s.o.Now}).ready
	}
	apiHandler := api.New(aopts)
	if s.store == nil { // an agent: health, whoami and metrics only
		mux.Handle("/", apiHandler)
		return mux
	}
	mux.Handle("/api/", apiHandler)
	mux.Handle("/healthz", apiHandler)
	mux.Handle("GET /api/v1/results/export", streamingWrites(export.Handler(s.store, s.o.Now), func() time.Duration { return s.srv.WriteTimeout }))
	pub := s.public.Handler()
	for _, p := range []string{"/badge/", "/api/v2/summary.json", "/api/v1/uptime"} {
		mux.Handle(p, pub)
	}
	// The unfiltered status is served from the snapshot; filters go to the live handler.
	mux.HandleFunc("GET /api/v1/status", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.RawQuery == "" {
			pub.ServeHTTP(w, r)
			return
		}
		apiHandler.ServeHTTP(w, r)
	})
	mux.Handle("/", web.New(web.Options{
		Source: pageSource{s}, Title: "accesswatch", Now: s.o.Now, Logger: s.o.Logger.With("component", "web"),
		Refresh: s.o.Config.Server.PageRefresh.D(), FrameAncestors: s.o.Config.Server.FrameAncestors,
	}))
	return mux
}

// sink takes a run's own results as each request ends (one result, or a models list's
// decided models together): store, InfluxDB, metrics, detection. Probe jobs call it
// concurrently.
func (s *Service) sink(rs []model.Result) {
	now := s.o.Now()
	for i := range rs {
		rs[i].ReceivedAt = now
	}
	// Waits while the store is behind: the probes slow down rather than results being dropped.
	if _, err := s.intake.Accept(context.Background(), "runner", rs); err != nil {
		s.log.Error("results not stored", "results", len(rs), "err", err)
	}
}

// intakeSink is the collector's push handler's way through the door: the agent's results are
// stored and handed on by the intake, and the handler learns which were fresh.
type intakeSink struct{ in *intake.Intake }

func (k intakeSink) Insert(ctx context.Context, rs []model.Result) ([]model.Result, error) {
	return k.in.Accept(ctx, "agent", rs)
}

// fresh takes results stored for the first time (a run's own, or an agent's push).
func (s *Service) fresh(_ string, rs []model.Result) {
	if s.o.OnResults != nil {
		s.o.OnResults(rs)
	}
	if s.influx != nil {
		s.influx.Add(rs)
	}
	s.met.ObserveResults(rs)
	if s.detect.Observe(context.Background(), rs) {
		s.met.SetAccessStates(s.detect.Status())
		s.kickRebuild()
	}
	s.met.SetVantages(s.vantageHealth())
}

// agentSink takes an agent's results as each request ends: to the publisher (spool, then the
// collector), and to the agent's own metrics.
func (s *Service) agentSink(rs []model.Result) {
	s.pub.Add(rs)
	s.met.ObserveResults(rs)
	if s.o.OnResults != nil {
		s.o.OnResults(rs)
	}
}

// agentReady fails /healthz when results are waiting in the spool and the collector has not
// acknowledged anything for a while: the agent probes, but nobody hears it.
func (s *Service) agentReady() error {
	st := s.pub.Stats()
	if st.SpoolResults == 0 {
		return nil
	}
	since := st.LastSuccess
	if since.IsZero() || s.o.Now().Sub(since) > collectorSilence {
		return fmt.Errorf("collector unreachable: %d results spooled, last acknowledged push %s", st.SpoolResults, lastSeen(since))
	}
	return nil
}

// collectorSilence is how long an agent may go unacknowledged with results waiting before its
// health check fails.
const collectorSilence = 2 * time.Minute

func lastSeen(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format(time.RFC3339)
}

// updates hands event updates to the notifiers and the OnUpdates hook.
func (s *Service) updates(us []model.EventUpdate) {
	s.notify.Submit(us...)
	s.met.ObserveEventUpdates(us) // accesswatch_incident_* (after a restart, pending() replays the open events)
	if s.o.OnUpdates != nil {
		s.o.OnUpdates(us)
	}
}

// vantageHealth is every vantage's health as detection and verification see it.
func (s *Service) vantageHealth() []metrics.VantageHealth {
	byID := map[string]*metrics.VantageHealth{}
	var out []metrics.VantageHealth
	for _, v := range s.o.Config.Vantages {
		out = append(out, metrics.VantageHealth{ID: v.ID, Region: v.Region, Country: v.Country, Healthy: true})
	}
	for i := range out {
		byID[out[i].ID] = &out[i]
	}
	if s.runner != nil {
		for _, vd := range s.runner.Verdicts() {
			if h := byID[vd.Vantage]; h != nil {
				h.Verified = vd.Err == "" && vd.Match
			}
		}
	}
	if s.detect != nil {
		for _, vh := range s.detect.Vantages() {
			h := byID[vh.ID]
			if h == nil {
				out = append(out, metrics.VantageHealth{ID: vh.ID, Region: vh.Region})
				h = &out[len(out)-1]
				byID[vh.ID] = h
			}
			h.Healthy, h.LastSeen = vh.Healthy, vh.LastSeen
		}
	}
	return out
}

// metricsOptions lists the label values known from the config, to pre-create series.
func metricsOptions(cfg *config.Config, version string) metrics.Options {
	o := metrics.Options{Version: version, Closed: true} // label values from the config only
	for _, v := range cfg.Vantages {
		o.Vantages = append(o.Vantages, v.ID)
		if !slices.Contains(o.Regions, v.Region) {
			o.Regions = append(o.Regions, v.Region)
		}
	}
	for _, p := range cfg.Providers {
		o.Providers = append(o.Providers, p.ID)
		for _, m := range p.Models {
			// The real (provider, model) pairs, not their cross product.
			o.Targets = append(o.Targets, metrics.Target{Provider: p.ID, Model: m})
		}
	}
	for _, w := range cfg.Alerting.Webhooks {
		o.Receivers = append(o.Receivers, w.Name)
	}
	for _, sl := range cfg.Alerting.Slack {
		o.Receivers = append(o.Receivers, sl.Name)
	}
	for _, a := range cfg.Collector.Agents {
		o.Agents = append(o.Agents, a.ID)
	}
	o.PublicURL = cfg.Server.PublicURL
	return o
}

// keepFor is the world detection may hold state for: the configured providers' models and the
// configured vantages. A restored snapshot keeps nothing else.
func keepFor(cfg *config.Config) *detect.Keep {
	targets := map[[2]string]bool{}
	for _, p := range cfg.Providers {
		for _, m := range p.Models {
			targets[[2]string{p.ID, m}] = true
		}
		for _, c := range p.Checks {
			for _, m := range c.Models {
				targets[[2]string{p.ID, m}] = true
			}
		}
	}
	vantages := map[string]bool{}
	for _, v := range cfg.Vantages {
		vantages[v.ID] = true
	}
	return &detect.Keep{
		Target:  func(provider, mdl string) bool { return targets[[2]string{provider, mdl}] },
		Vantage: func(id string) bool { return vantages[id] },
	}
}
