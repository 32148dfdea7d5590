// Package service wires accesswatch's three ways of running:
//
//   - run: everything on one host — vantages probe on schedule (one job per vantage, provider,
//     model and check; see probes/runner), each result goes to the embedded store (and
//     InfluxDB), detection and alerting as its request ends; the HTTP API;
//   - agent: vantages probe on schedule and push their results to a collector, spooling on disk
//     while it is away; serves /healthz and /metrics;
//   - collector: accepts agents' pushes, stores, detects, alerts and serves the API.
//
// Shutdown is ordered: probes stop (running ones get a grace period), then intake, then
// detection saves its state, notifications still collecting are sent, InfluxDB and the store
// are flushed.
package app

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/accesswatch/accesswatch/alerting/detect"
	"github.com/accesswatch/accesswatch/alerting/notify"
	"github.com/accesswatch/accesswatch/collector/influx"
	"github.com/accesswatch/accesswatch/collector/ingest"
	"github.com/accesswatch/accesswatch/collector/intake"
	"github.com/accesswatch/accesswatch/collector/public"
	"github.com/accesswatch/accesswatch/collector/store"
	"github.com/accesswatch/accesswatch/internal/config"
	"github.com/accesswatch/accesswatch/internal/geo"
	"github.com/accesswatch/accesswatch/internal/logredact"
	"github.com/accesswatch/accesswatch/internal/metrics"
	"github.com/accesswatch/accesswatch/internal/model"
	"github.com/accesswatch/accesswatch/probes/publish"
	"github.com/accesswatch/accesswatch/probes/runner"
	"github.com/accesswatch/accesswatch/probes/schedule"
)

// Options configure a Service.
type Options struct {
	Config *config.Config
	// Mode is config.ModeRun (default), config.ModeAgent or config.ModeCollector.
	Mode   string
	Logger *slog.Logger
	// TLSConfig is used by the vantages' transports (the demo trusts its simulated vendor's CA).
	TLSConfig *tls.Config
	// Listener, when set, is used instead of listening on Config.Server.Listen.
	Listener net.Listener
	Now      func() time.Time
	// Registry receives the metrics; default a new registry served on /metrics.
	Registry *prometheus.Registry
	// Version is reported in accesswatch_build_info.
	Version string
	// OnResults, when set, sees every batch of results after it is queued for the store.
	OnResults func([]model.Result)
	// OnUpdates, when set, sees every event update after it is stored.
	OnUpdates func([]model.EventUpdate)
	// StopGrace bounds how long running probes may finish on shutdown; default 5s.
	StopGrace time.Duration
}

// Service is one running accesswatch.
type Service struct {
	o    Options
	mode string
	log  *slog.Logger
	reg  *prometheus.Registry
	met  *metrics.Metrics

	geo    *geo.DB
	store  *store.Store        // run, collector
	influx *influx.Writer      // run, collector, when configured
	detect *detect.Runtime     // run, collector
	intake *intake.Intake      // run, collector: the one door results enter by
	notify *notify.Dispatcher  // run, collector
	ingest *ingest.Handler     // collector
	runner *runner.Runner      // run, agent
	sched  *schedule.Scheduler // run, agent
	pub    *publish.Publisher  // agent
	public *public.Server      // run, collector: badges, summary.json, uptime
	claims *schedule.Scheduler // run, collector: vendor status pages, when configured

	rebuild chan struct{}

	ln  net.Listener
	srv *http.Server
}

// New opens what the mode needs and binds the listener; Run starts it.
func New(ctx context.Context, o Options) (_ *Service, err error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.StopGrace <= 0 {
		o.StopGrace = 5 * time.Second
	}
	if o.Mode == "" {
		o.Mode = config.ModeRun
	}
	if o.Registry == nil {
		o.Registry = prometheus.NewRegistry()
	}
	if err := o.Config.Require(o.Mode); err != nil {
		return nil, err
	}
	o.Logger = logredact.Wrap(o.Logger, o.Config.Secrets()) // no secret reaches the log
	// s is not the named result: "return nil, err" must not make the cleanup below see a nil s.
	s := &Service{o: o, mode: o.Mode, log: o.Logger, reg: o.Registry}
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	cfg := o.Config
	s.met = metrics.New(s.reg, metricsOptions(cfg, o.Version))
	if cfg.GeoIP.CountryDB != "" {
		if s.geo, err = geo.Open(cfg.GeoIP.CountryDB, cfg.GeoIP.ASNDB); err != nil {
			return nil, geoOpenError(cfg.GeoIP, err)
		}
	}
	if s.mode != config.ModeAgent {
		if err := s.openCollecting(ctx); err != nil {
			return nil, err
		}
	}
	if s.mode != config.ModeCollector {
		if err := s.openProbing(); err != nil {
			return nil, err
		}
	}
	s.ln = o.Listener
	if s.ln == nil {
		if s.ln, err = net.Listen("tcp", cfg.Server.Listen); err != nil {
			return nil, listenError(cfg.Server.Listen, err)
		}
	}
	s.srv = newHTTPServer(s.handler())
	return s, nil
}

// The HTTP server's timeouts. No handler needs longer than WriteTimeout to answer, except the
// streaming export, which extends its write deadline as it goes (see streamingWrites).
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second // a whole request, body included (agents' pushes)
	writeTimeout      = 60 * time.Second
	idleTimeout       = 120 * time.Second // an idle keep-alive connection is closed after this
)

func newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler: h, ReadHeaderTimeout: readHeaderTimeout, ReadTimeout: readTimeout,
		WriteTimeout: writeTimeout, IdleTimeout: idleTimeout,
	}
}

// listenError names the setting and the address: "server.listen 127.0.0.1:8080: address already in use".
func listenError(addr string, err error) error {
	var se *os.SyscallError
	if errors.As(err, &se) {
		err = se.Err
	}
	return fmt.Errorf("server.listen %s: %w", addr, err)
}

// geoOpenError names the setting and the file: "geoip.country_db /path: not a MaxMind database".
func geoOpenError(g config.GeoIP, err error) error {
	key, path := "geoip.country_db", g.CountryDB
	if strings.Contains(err.Error(), "ASN database") {
		key, path = "geoip.asn_db", g.ASNDB
	}
	var pe *fs.PathError
	switch {
	case strings.Contains(err.Error(), "invalid MaxMind DB"):
		return fmt.Errorf("%s %s: not a MaxMind database: %w", key, path, cmp.Or(errors.Unwrap(err), err))
	case errors.As(err, &pe):
		return fmt.Errorf("%s %s: %w", key, path, pe.Err)
	default:
		return fmt.Errorf("%s %s: %w", key, path, err)
	}
}

// Addr is the address the HTTP server listens on.
func (s *Service) Addr() string { return s.ln.Addr().String() }

// Store gives tests and the demo read access to stored results (nil for an agent).
func (s *Service) Store() *store.Store { return s.store }

// Publisher is an agent's publisher (nil otherwise), for tests.
func (s *Service) Publisher() *publish.Publisher { return s.pub }

// background is a goroutine with its own context, stopped explicitly and in order.
type background struct {
	cancel context.CancelFunc
	done   chan error
}

func start(ctx context.Context, f func(context.Context) error) *background {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	b := &background{cancel: cancel, done: make(chan error, 1)}
	go func() { b.done <- f(ctx) }()
	return b
}

func (b *background) stop() error {
	if b == nil {
		return nil
	}
	b.cancel()
	return <-b.done
}

// Run serves until ctx is done, then shuts down in order.
func (s *Service) Run(ctx context.Context) error {
	var (
		storeBG, influxBG, notifyBG, detectBG, pubBG, publicBG *background
		errs                                                   []error
	)
	if s.store != nil {
		storeBG = start(ctx, s.store.Run)
	}
	if s.influx != nil {
		influxBG = start(ctx, s.influx.Run)
	}
	if s.notify != nil {
		notifyBG = start(ctx, s.notify.Run)
	}
	if s.detect != nil {
		detectBG = start(ctx, func(ctx context.Context) error {
			s.detect.Run(ctx, 5*time.Second, s.o.Config.Alerting.ReminderInterval.D())
			return nil
		})
		s.updates(s.detect.Pending())
	}
	if s.pub != nil {
		pubBG = start(ctx, s.pub.Run)
	}
	if s.public != nil {
		if err := s.public.Rebuild(ctx); err != nil {
			s.log.Warn("building the public snapshot", "err", err)
		}
		publicBG = start(ctx, s.rebuildLoop)
	}
	if s.claims != nil {
		s.claims.Start()
	}
	srvDone := make(chan error, 1)
	go func() { srvDone <- s.srv.Serve(s.ln) }()
	if s.detect != nil {
		s.met.SetAccessStates(s.detect.Status())
	}
	s.log.Info("accesswatch serving", "mode", s.mode, "addr", s.Addr(),
		"vantages", len(s.o.Config.Vantages), "providers", len(s.o.Config.Providers), "agents", len(s.o.Config.Collector.Agents))

	var verifyBG *background
	if s.runner != nil {
		// Verify before the first probe, so no result counts for the wrong region.
		s.runner.Verify(ctx)
		s.met.SetVantages(s.vantageHealth())
		s.sched.Start()
		verifyBG = start(ctx, func(ctx context.Context) error { s.verifyLoop(ctx); return nil })
	}

	select {
	case <-ctx.Done():
	case err := <-srvDone:
		errs = append(errs, fmt.Errorf("http server: %w", err))
		srvDone <- nil
	}
	s.log.Info("accesswatch stopping")
	grace, cancel := context.WithTimeout(context.Background(), s.o.StopGrace)
	defer cancel()
	if s.sched != nil {
		if err := s.sched.Stop(grace); err != nil {
			s.log.Warn("stopping probes", "err", err)
		}
	}
	_ = verifyBG.stop()
	if s.claims != nil {
		_ = s.claims.Stop(grace)
	}
	// No more intake: pushes are refused from here on, so agents keep them.
	if err := s.srv.Shutdown(grace); err != nil {
		s.log.Warn("stopping http server", "err", err)
	}
	if err := <-srvDone; err != nil && !errors.Is(err, http.ErrServerClosed) {
		errs = append(errs, err)
	}
	errs = append(errs, pubBG.stop()) // the unsent rest is in the spool
	if s.pub != nil {
		errs = append(errs, s.pub.Close())
	}
	if s.intake != nil {
		s.intake.Close() // every result taken is stored and handed on before detection stops
	}
	_ = detectBG.stop() // saves the detection state after the last result
	_ = publicBG.stop()
	errs = append(errs, notifyBG.stop(), influxBG.stop(), storeBG.stop())
	s.close()
	return errors.Join(errs...)
}

func (s *Service) verifyLoop(ctx context.Context) {
	every := s.o.Config.Probing.Verify.D()
	if every <= 0 {
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.runner.Verify(ctx)
			s.met.SetVantages(s.vantageHealth())
		}
	}
}

func (s *Service) close() {
	if s.store != nil {
		if err := s.store.Close(); err != nil {
			s.log.Warn("closing store", "err", err)
		}
	}
	if s.geo != nil {
		_ = s.geo.Close()
	}
}

// geoCountry adapts geo.DB to the runner's verification lookup.
type geoCountry struct{ db *geo.DB }

func (g geoCountry) Country(ip netip.Addr) (string, uint, error) {
	info, err := g.db.Lookup(ip)
	return info.Country, info.ASN, err
}
