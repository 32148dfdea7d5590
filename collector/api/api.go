// Package api is the collector's read-side HTTP API: health, "who am I" (the caller's
// address, country and ASN as the collector sees them, so a vantage can check its
// egress), stored results with filters and an id cursor, the current access state of
// every target, and detection's events. Every answer, errors included, is JSON.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/accesswatch/accesswatch/collector/store"
	"github.com/accesswatch/accesswatch/internal/geo"
	"github.com/accesswatch/accesswatch/internal/httpjson"
	"github.com/accesswatch/accesswatch/internal/model"
)

// Querier reads stored results; *store.Store is one.
type Querier interface {
	Query(ctx context.Context, f store.Filter) ([]model.Result, error)
}

// Geo locates an address; *geo.DB is one.
type Geo interface {
	Lookup(ip netip.Addr) (geo.Info, error)
}

// Options configures the API. All fields are optional; without Store the results route
// answers 503, without Status the status route and without Events the events route too;
// without Geo whoami reports only the address.
type Options struct {
	Store  Querier
	Status StatusSource
	Events EventSource // *store.Store is one
	Geo    Geo
	Logger *slog.Logger
	Now    func() time.Time // resolves relative since/until; default time.Now
	Ready  func() error     // a non-nil error makes /healthz answer 503 with its text
	// Claims, when set, lists vendor status-page claims, shown beside each event of the provider.
	Claims func(ctx context.Context) ([]model.Claim, error)
	// TrustedProxies are the peers whose X-Forwarded-For is believed. By default none:
	// whoami reports the connection's own peer address.
	TrustedProxies []netip.Prefix
}

type server struct {
	store     Querier
	statusSrc StatusSource
	eventSrc  EventSource
	geo       Geo
	log       *slog.Logger
	now       func() time.Time
	ready     func() error
	claims    func(ctx context.Context) ([]model.Claim, error)
	proxies   []netip.Prefix
}

// New returns the API's handler. Routes:
//
//	GET /healthz           {"status":"ok"} or 503 {"status":"unavailable","error":"..."}
//	GET /api/v1/whoami     geo.Info of the caller
//	GET /api/v1/results    {"results":[...],"next":"<cursor>"}; see parseFilter for parameters
//	GET /api/v1/status     {"generated_at":...,"targets":[...]}; see parseStatusFilter
//	GET /api/v1/events     {"events":[...]}, each with duration_seconds; see parseEventFilter
//
// Unknown paths answer 404 and other methods 405, both as {"error":"..."}.
func New(o Options) http.Handler {
	s := &server{store: o.Store, statusSrc: o.Status, eventSrc: o.Events, geo: o.Geo, log: o.Logger, now: o.Now, ready: o.Ready,
		proxies: o.TrustedProxies, claims: o.Claims}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	mux := http.NewServeMux()
	routes := []struct {
		path string
		h    http.HandlerFunc
	}{
		{"/healthz", s.healthz},
		{"/api/v1/whoami", s.whoami},
		{"/api/v1/results", s.results},
		{"/api/v1/status", s.status},
		{"/api/v1/events", s.events},
	}
	for _, rt := range routes {
		mux.HandleFunc("GET "+rt.path, rt.h) // GET patterns also match HEAD
		mux.HandleFunc(rt.path, methodNotAllowed)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		httpjson.WriteError(w, http.StatusNotFound, "no route for "+r.URL.Path)
	})
	return mux
}

func methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Allow", "GET, HEAD")
	httpjson.WriteError(w, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed; use GET")
}

func (s *server) healthz(w http.ResponseWriter, _ *http.Request) {
	if s.ready != nil {
		if err := s.ready(); err != nil {
			httpjson.WriteJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "error": err.Error()})
			return
		}
	}
	httpjson.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *server) whoami(w http.ResponseWriter, r *http.Request) {
	ip, err := clientAddr(r.RemoteAddr, r.Header.Values("X-Forwarded-For"), s.proxies)
	if err != nil {
		httpjson.WriteError(w, http.StatusBadRequest, err.Error())
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	info := geo.Info{IP: ip.String()}
	if s.geo != nil {
		if info, err = s.geo.Lookup(ip); err != nil {
			s.log.Error("api: geo lookup", "ip", ip, "err", err)
			httpjson.WriteError(w, http.StatusInternalServerError, "geo lookup failed")
			return
		}
	}
	httpjson.WriteJSON(w, http.StatusOK, info)
}

func (s *server) results(w http.ResponseWriter, r *http.Request) {
	if s.store == nil {
		httpjson.WriteError(w, http.StatusServiceUnavailable, "no result store configured")
		return
	}
	f, err := parseFilter(r.URL.Query(), s.now())
	if err != nil {
		httpjson.WriteError(w, http.StatusBadRequest, err.Error())
		return
	}
	rs, err := s.store.Query(r.Context(), f)
	if err != nil {
		if r.Context().Err() != nil {
			s.log.Debug("api: results: client went away", "err", err)
			return
		}
		s.log.Error("api: results query", "err", err)
		httpjson.WriteError(w, http.StatusInternalServerError, "query failed")
		return
	}
	next := ""
	if len(rs) > 0 && len(rs) == f.Limit {
		next = rs[len(rs)-1].ID // a full page: there may be more
	}
	if err := writeResults(w, rs, next); err != nil {
		s.log.Debug("api: results: write", "err", err)
	}
}

// writeResults streams {"results":[...],"next":"..."} one result at a time.
func writeResults(w http.ResponseWriter, rs []model.Result, next string) error {
	httpjson.SetHeader(w.Header())
	w.WriteHeader(http.StatusOK)
	enc := json.NewEncoder(w)
	if _, err := io.WriteString(w, `{"results":[`); err != nil {
		return err
	}
	for i := range rs {
		if i > 0 {
			if _, err := io.WriteString(w, ","); err != nil {
				return err
			}
		}
		if err := enc.Encode(&rs[i]); err != nil {
			return err
		}
	}
	if _, err := io.WriteString(w, `],"next":`); err != nil {
		return err
	}
	if err := enc.Encode(next); err != nil {
		return err
	}
	_, err := io.WriteString(w, "}\n")
	return err
}

// clientAddr is the caller's address: the connection's peer, or, when that peer is a
// trusted proxy, the rightmost X-Forwarded-For hop that is not itself a trusted proxy.
func clientAddr(remote string, xff []string, trusted []netip.Prefix) (netip.Addr, error) {
	ip, err := parseHost(remote)
	if err != nil {
		return netip.Addr{}, errors.New("cannot parse the connection's remote address")
	}
	if !inAny(ip, trusted) {
		return ip, nil
	}
	hops := splitHops(xff)
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := parseHost(hops[i])
		if err != nil {
			return netip.Addr{}, errors.New("x-forwarded-for: bad address from a trusted proxy")
		}
		ip = hop
		if !inAny(ip, trusted) {
			break
		}
	}
	return ip, nil
}
