package app

import (
	"context"
	"net/http"
	"time"

	"github.com/accesswatch/accesswatch/collector/api"
	"github.com/accesswatch/accesswatch/collector/public"
	"github.com/accesswatch/accesswatch/collector/store"
	"github.com/accesswatch/accesswatch/collector/web"
	"github.com/accesswatch/accesswatch/internal/config"
	"github.com/accesswatch/accesswatch/internal/model"
	"github.com/accesswatch/accesswatch/probes/schedule"
	"github.com/accesswatch/accesswatch/probes/statuspage"
)

// pageSource is what the status page and the public API read: detection's current states and
// the store's events, daily roll-ups, uptime, results and vendor claims.
type pageSource struct{ s *Service }

func (p pageSource) Status() []model.TargetStatus { return p.s.detect.Status() }

func (p pageSource) Events(ctx context.Context, q web.EventQuery) ([]model.Event, error) {
	if q.ID != "" {
		e, ok, err := p.s.store.Event(ctx, q.ID)
		if !ok {
			return nil, err
		}
		return []model.Event{e}, nil
	}
	return p.s.store.Events(ctx, store.EventFilter{Since: q.Since, IncidentID: q.IncidentID, Limit: q.Limit})
}

func (p pageSource) Daily(ctx context.Context, since time.Time) ([]web.DayStat, error) {
	ds, err := p.s.store.Daily(ctx, since)
	out := make([]web.DayStat, len(ds))
	for i, d := range ds {
		out[i] = web.DayStat{Provider: d.Provider, Model: d.Model, Region: d.Region, Day: d.Day, OK: d.OK, Total: d.Total, Worst: d.Worst}
	}
	return out, err
}

func (p pageSource) ResultsByID(ctx context.Context, ids []string) ([]model.Result, error) {
	return p.s.store.ResultsByID(ctx, ids)
}

func (p pageSource) Claims(ctx context.Context) ([]model.Claim, error) { return p.s.store.Claims(ctx) }

func (p pageSource) Uptime(ctx context.Context, provider, mdl, region string, since time.Time) (int64, int64, error) {
	return p.s.store.Uptime(ctx, provider, mdl, region, since)
}

// openPublic builds the public API snapshot and the vendor status-page poller.
func (s *Service) openPublic() error {
	s.public = public.New(public.Options{
		Source: pageSource{s}, Title: "accesswatch", Now: s.o.Now, Logger: s.o.Logger.With("component", "public"),
		RenderStatus: api.StatusJSON,
	})
	s.rebuild = make(chan struct{}, 1)
	client := &http.Client{Timeout: 15 * time.Second}
	for _, p := range s.o.Config.Providers {
		for _, c := range p.Checks {
			if c.Kind != model.CheckStatusPage {
				continue
			}
			spec, err := config.ParseSchedule(c.Schedule)
			if err != nil {
				return err
			}
			if s.claims == nil {
				s.claims = schedule.New(schedule.Options{Logger: s.o.Logger, Now: s.o.Now, Jitter: time.Second})
			}
			provider, url := p.ID, c.URL
			err = s.claims.Add(schedule.Job{
				Key: provider + "/status_page", Schedule: spec, Pool: "status_page", Timeout: c.Timeout.D(), RunAtStart: true,
				Run: func(ctx context.Context, _ time.Time) { s.pollStatusPage(ctx, client, provider, url) },
			})
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// pollStatusPage records what a vendor's status page claims.
func (s *Service) pollStatusPage(ctx context.Context, client *http.Client, provider, url string) {
	cs, err := statuspage.Fetch(ctx, client, provider, url, s.o.Now)
	if err != nil {
		s.log.Warn("vendor status page", "provider", provider, "url", url, "err", err)
		return
	}
	if err := s.store.UpsertClaims(ctx, cs); err != nil {
		s.log.Error("storing vendor claims", "provider", provider, "err", err)
		return
	}
	s.kickRebuild()
}

// kickRebuild asks for a new public snapshot without waiting for it.
func (s *Service) kickRebuild() {
	if s.rebuild == nil {
		return
	}
	select {
	case s.rebuild <- struct{}{}:
	default:
	}
}

// rebuildLoop rebuilds the public snapshot when asked, and every minute for the uptime windows.
func (s *Service) rebuildLoop(ctx context.Context) error {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		if err := s.public.Rebuild(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("rebuilding the public snapshot", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-s.rebuild:
		}
	}
}
