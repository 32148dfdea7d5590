// Package service wires the all-in-one `accesswatch run`: the embedded store, the HTTP API, the
// vantages' runner and the scheduler, with verification on start and at an interval, and a clean
// shutdown that lets running probes finish and flushes every result.
package service

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"time"

	"github.com/accesswatch/accesswatch/alerting/detect"
	"github.com/accesswatch/accesswatch/alerting/notify"
	"github.com/accesswatch/accesswatch/collector/api"
	"github.com/accesswatch/accesswatch/collector/store"
	"github.com/accesswatch/accesswatch/internal/config"
	"github.com/accesswatch/accesswatch/internal/geo"
	"github.com/accesswatch/accesswatch/internal/model"
	"github.com/accesswatch/accesswatch/probes/runner"
	"github.com/accesswatch/accesswatch/probes/schedule"
)

// Options configure a Service.
type Options struct {
	Config *config.Config
	Logger *slog.Logger
	// TLSConfig is used by the vantages' transports (the demo trusts its simulated vendor's CA).
	TLSConfig *tls.Config
	// Listener, when set, is used instead of listening on Config.Server.Listen.
	Listener net.Listener
	Now      func() time.Time
	// OnResults, when set, sees every batch of results after it is queued for the store.
	OnResults func([]model.Result)
	// OnUpdates, when set, sees every event update after it is stored.
	OnUpdates func([]model.EventUpdate)
	// StopGrace bounds how long running probes may finish on shutdown; default 5s.
	StopGrace time.Duration
}

// Service is one running accesswatch (run mode).
type Service struct {
	o      Options
	log    *slog.Logger
	store  *store.Store
	geo    *geo.DB
	runner *runner.Runner
	sched  *schedule.Scheduler
	detect *detector
	notify *notify.Dispatcher
	ln     net.Listener
	srv    *http.Server
}

// New opens the store and the GeoIP databases, builds the vantages and binds the listener.
func New(ctx context.Context, o Options) (*Service, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.StopGrace <= 0 {
		o.StopGrace = 5 * time.Second
	}
	cfg := o.Config
	s := &Service{o: o, log: o.Logger}
	var err error
	if cfg.GeoIP.CountryDB != "" {
		if s.geo, err = geo.Open(cfg.GeoIP.CountryDB, cfg.GeoIP.ASNDB); err != nil {
			return nil, err
		}
	}
	s.store, err = store.Open(ctx, store.Options{
		Path: cfg.Store.Path, Retention: cfg.Store.Retention.D(), BatchSize: cfg.Store.BatchSize,
		FlushInterval: cfg.Store.FlushInterval.D(), Now: o.Now, Logger: o.Logger.With("component", "store"),
	})
	if err != nil {
		s.closeGeo()
		return nil, err
	}
	if s.notify, err = newDispatcher(cfg.Alerting, s.store, o.Logger.With("component", "notify"), o.Now); err != nil {
		s.close()
		return nil, err
	}
	eng := detect.New(detect.Options{
		FailAfter: cfg.Detection.FailAfter, RecoverAfter: cfg.Detection.RecoverAfter,
		IncidentWindow: cfg.Alerting.IncidentWindow.D(), Now: o.Now,
	})
	if s.detect, err = newDetector(ctx, eng, s.store, o.Logger.With("component", "detect"), s.updates); err != nil {
		s.close()
		return nil, err
	}
	ropts := runner.Options{Config: cfg, TLSConfig: o.TLSConfig, Now: o.Now, Logger: o.Logger.With("component", "runner")}
	if s.geo != nil {
		ropts.Geo = geoCountry{s.geo}
	}
	if s.runner, err = runner.New(ropts); err != nil {
		s.close()
		return nil, err
	}
	s.sched = schedule.New(schedule.Options{
		Jitter: cfg.Probing.Jitter.D(), Concurrency: s.runner.Concurrency(),
		Logger: o.Logger, Now: o.Now,
	})
	if err := s.runner.Schedule(s.sched, s.runner.Targets("", ""), s.sink); err != nil {
		s.close()
		return nil, err
	}
	s.ln = o.Listener
	if s.ln == nil {
		if s.ln, err = net.Listen("tcp", cfg.Server.Listen); err != nil {
			s.close()
			return nil, fmt.Errorf("server.listen %q: %w", cfg.Server.Listen, err)
		}
	}
	aopts := api.Options{
		Store: s.store, Events: s.store, Status: api.StatusFunc(s.detect.status),
		Logger: o.Logger.With("component", "api"), Now: o.Now,
	}
	if s.geo != nil {
		aopts.Geo = s.geo
	}
	s.srv = &http.Server{Handler: api.New(aopts), ReadHeaderTimeout: 10 * time.Second}
	return s, nil
}

// Addr is the address the API listens on.
func (s *Service) Addr() string { return s.ln.Addr().String() }

// Store gives tests and the demo read access to stored results.
func (s *Service) Store() *store.Store { return s.store }

func (s *Service) sink(rs []model.Result) {
	now := s.o.Now()
	for i := range rs {
		rs[i].ReceivedAt = now
		s.store.Add(rs[i])
	}
	if s.o.OnResults != nil {
		s.o.OnResults(rs)
	}
	s.detect.observe(context.Background(), rs)
}

// updates hands event updates to the notifiers and the OnUpdates hook.
func (s *Service) updates(us []model.EventUpdate) {
	s.notify.Submit(us...)
	if s.o.OnUpdates != nil {
		s.o.OnUpdates(us)
	}
}

// Run serves and probes until ctx is done, then shuts down cleanly.
func (s *Service) Run(ctx context.Context) error {
	storeCtx, stopStore := context.WithCancel(context.WithoutCancel(ctx))
	storeDone := make(chan error, 1)
	go func() { storeDone <- s.store.Run(storeCtx) }()
	srvDone := make(chan error, 1)
	go func() { srvDone <- s.srv.Serve(s.ln) }()
	s.log.Info("accesswatch serving", "addr", s.Addr(), "vantages", len(s.o.Config.Vantages), "providers", len(s.o.Config.Providers))

	notifyCtx, stopNotify := context.WithCancel(context.WithoutCancel(ctx))
	notifyDone := make(chan error, 1)
	go func() { notifyDone <- s.notify.Run(notifyCtx) }()
	detectCtx, stopDetect := context.WithCancel(context.WithoutCancel(ctx))
	detectDone := make(chan struct{})
	go func() {
		defer close(detectDone)
		s.detect.run(detectCtx, 5*time.Second, s.o.Config.Alerting.ReminderInterval.D())
	}()
	s.updates(s.detect.pending())

	// Verify before the first probe, so no result counts for the wrong region.
	s.runner.Verify(ctx)
	s.sched.Start()
	verifyDone := make(chan struct{})
	go func() {
		defer close(verifyDone)
		s.verifyLoop(ctx)
	}()

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-srvDone:
	}
	s.log.Info("accesswatch stopping")
	grace, cancel := context.WithTimeout(context.Background(), s.o.StopGrace)
	defer cancel()
	if err := s.sched.Stop(grace); err != nil {
		s.log.Warn("stopping probes", "err", err)
	}
	<-verifyDone
	stopDetect() // after the last probe: the final snapshot holds every result
	<-detectDone
	stopNotify() // sends what is still collecting, for at most its grace period
	<-notifyDone
	if err := s.srv.Shutdown(grace); err != nil {
		s.log.Warn("stopping http server", "err", err)
	}
	stopStore()
	storeErr := <-storeDone
	s.close()
	if errors.Is(serveErr, http.ErrServerClosed) {
		serveErr = nil
	}
	return errors.Join(serveErr, storeErr)
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
		}
	}
}

func (s *Service) close() {
	if err := s.store.Close(); err != nil {
		s.log.Warn("closing store", "err", err)
	}
	s.closeGeo()
}

func (s *Service) closeGeo() {
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
