package public

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
)

// Source is what the public API reads: current states, uptime counts and vendor claims.
type Source interface {
	Status() []model.TargetStatus
	Uptime(ctx context.Context, provider, model, region string, since time.Time) (ok, total int64, err error)
	Claims(ctx context.Context) ([]model.Claim, error)
}

// Options configure a Server.
type Options struct {
	Source Source
	// RenderStatus, when set, renders the unfiltered GET /api/v1/status body into the snapshot
	// (collector/api.StatusJSON), so the busiest API call costs nothing either.
	RenderStatus func([]model.TargetStatus, time.Time) ([]byte, error)
	Title        string // page name in summary.json
	BaseURL      string // page url in summary.json
	Now          func() time.Time
	Logger       *slog.Logger
	AllowOrigins []string // CORS; default "*"
}

// Server serves the public endpoints from its latest snapshot.
type Server struct {
	src    Source
	title  string
	base   string
	now    func() time.Time
	log    *slog.Logger
	cors   corsPolicy
	static staticAnswers
	status func([]model.TargetStatus, time.Time) ([]byte, error)

	snap atomic.Pointer[snapshot]

	mu      sync.Mutex           // serialises Rebuild
	created map[string]time.Time // component id → first Since seen, for created_at
}

// New returns a Server with an empty snapshot; call Rebuild before serving.
func New(o Options) *Server {
	s := &Server{src: o.Source, title: o.Title, base: o.BaseURL, now: o.Now, log: o.Logger,
		status: o.RenderStatus, created: map[string]time.Time{}}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.title == "" {
		s.title = "accesswatch"
	}
	s.cors = newCORS(o.AllowOrigins)
	s.static = newStaticAnswers()
	s.snap.Store(&snapshot{badges: map[badgeKey]*entry{}, uptime: map[uptimeKey]*entry{},
		summary: s.renderEntry(nil, mimeJSON, ccAPI, []byte(`{}`), s.now())})
	return s
}

// Windows of the uptime API; the badges offer the first three.
var uptimeWindows = [...]struct {
	name string
	d    time.Duration
}{{"24h", 24 * time.Hour}, {"7d", 7 * 24 * time.Hour}, {"30d", 30 * 24 * time.Hour}, {"90d", 90 * 24 * time.Hour}}

// Rebuild recomputes the snapshot from the source and swaps it in atomically. Answers whose
// bytes did not change keep their Last-Modified. Uptime errors keep the previous figures for
// that target and are returned joined; the snapshot is replaced anyway.
func (s *Server) Rebuild(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now().UTC()
	prev := s.snap.Load()
	var errs []error

	targets := regionTargets(s.src.Status())
	claims, err := s.src.Claims(ctx)
	if err != nil {
		errs = append(errs, fmt.Errorf("claims: %w", err))
		s.log.Warn("public: reading vendor claims", "err", err)
	}
	figs, uerrs := s.uptimeFigures(ctx, targets, prev, now)
	errs = append(errs, uerrs...)
	if err := ctx.Err(); err != nil {
		return err // keep the previous snapshot rather than publish half-read uptimes
	}

	next := &snapshot{badges: make(map[badgeKey]*entry, len(targets)*8),
		uptime: make(map[uptimeKey]*entry, len(targets)*5), figures: figs}
	keep := func(old *entry, mime, cc string, body []byte) *entry { return s.renderEntry(old, mime, cc, body, now) }
	for _, t := range targets {
		s.addBadges(next, prev, t, figs, keep)
	}
	s.addUptimeAPI(next, prev, targets, figs, now, keep)
	next.summary = keep(prev.summary, mimeJSON, ccAPI, s.renderSummary(targets, claims, now))
	next.status = prev.status
	if s.status != nil {
		if body, err := s.status(s.src.Status(), now); err != nil {
			errs = append(errs, fmt.Errorf("status: %w", err))
		} else {
			next.status = keep(prev.status, mimeJSON, ccAPI, body)
		}
	}
	s.snap.Store(next)
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	return nil
}

// regionTargets keeps the region-level statuses (not per-vantage views), sorted.
func regionTargets(all []model.TargetStatus) []model.TargetStatus {
	out := make([]model.TargetStatus, 0, len(all))
	for _, t := range all {
		if t.Vantage == "" && t.Provider != "" && t.Model != "" && t.Region != "" {
			out = append(out, t)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Provider != b.Provider {
			return a.Provider < b.Provider
		}
		if a.Model != b.Model {
			return a.Model < b.Model
		}
		return a.Region < b.Region
	})
	return out
}

// renderEntry wraps body as a served answer, reusing old (and its Last-Modified) when the
// bytes are unchanged.
func (s *Server) renderEntry(old *entry, mime, cc string, body []byte, now time.Time) *entry {
	etag := etagOf(body)
	if old != nil && old.etag[0] == etag {
		return old
	}
	return newEntry(http.StatusOK, mime, cc, etag, now, body)
}

// Handler returns the HTTP handler for every public endpoint.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

// etagOf is a strong validator: a hash of the bytes.
func etagOf(body []byte) string {
	sum := sha256.Sum256(body)
	return `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`
}
