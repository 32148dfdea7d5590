// Package ingest is the collector's receiving end of the agent push protocol
// (internal/push): an HTTP handler that authenticates an agent by bearer token, reads its
// gzip or plain JSON batch within size limits, validates every result, stores the batch
// idempotently by result id and hands only the results stored for the first time on to
// detection, metrics and time-series writers. Every answer is JSON.
//
// The collector's configuration, not the agent, is the authority on what a result is:
//   - its vantage must be one the agent may report for and one the collector knows, and its
//     region and country must be that vantage's in the collector's configuration (an omitted
//     country is filled in). A mismatch is two configurations disagreeing, so the whole batch
//     is refused with 400 naming the field (results[3].region: "us" is not vantage
//     "in-1"'s region "india") and nothing of it is stored;
//   - its provider and model must be in the watch list, its check one agents run, and its time
//     (and ended_at) within [now − MaxAge, now + MaxSkew]. Such a result can never become
//     acceptable by sending it again, and one of them must not hold back an agent's spool, so
//     it alone is refused: the batch is answered 200 with "refused" (their count) and
//     "refusal" (the first reason), and they are counted by Refusal, never by name.
//
// So everything stored, detected, rolled up, exported as a label or shown in the status is a
// (provider, model, region, vantage) combination the configuration names.
//
// The subpackage ingestload is a load generator for the push endpoint.
package ingest

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/accesswatch/accesswatch/collector/store"
	"github.com/accesswatch/accesswatch/internal/httpjson"
	"github.com/accesswatch/accesswatch/internal/model"
	"github.com/accesswatch/accesswatch/internal/push"
)

// DefaultMaxBodyBytes bounds a compressed body; a decompressed one may be
// decompressedFactor times larger.
const (
	DefaultMaxBodyBytes = 16 << 20
	decompressedFactor  = 8
)

// Sink stores results idempotently and returns, in order, those not stored before;
// *store.Store is one. An error wrapping store.ErrInvalid means the batch can never be
// stored (answered 400); any other error is taken as temporary (503, the agent retries).
type Sink interface {
	Insert(ctx context.Context, rs []model.Result) ([]model.Result, error)
}

// Options configures a Handler. Agents and Sink are required; Vantages and Watch are what
// the collector takes of a push (a result from a vantage not listed is refused with 400, one
// of a provider or model not watched is dropped and counted).
type Options struct {
	Agents []Agent
	Sink   Sink
	// Vantages are the configured vantages: a result's region must be its vantage's, and its
	// country too (an omitted country is filled in). A mismatch answers 400 naming the field.
	Vantages []Vantage
	// Watch is the watch list: results of other providers or models, or of a check agents do
	// not run, are refused one by one (the batch is still answered 200, with their count).
	Watch []Watched
	// MaxAge and MaxSkew bound result times to [now − MaxAge, now + MaxSkew] (defaults 24h and
	// 5m); results outside are refused one by one like unwatched models.
	MaxAge, MaxSkew time.Duration
	// OnFresh receives the results of a batch that were stored for the first time (with
	// ReceivedAt set), after the insert succeeded and before the agent is answered. Calls
	// for one agent are never concurrent and come in the order the batches were stored.
	// It owns rs. It is not called when nothing was fresh.
	OnFresh func(agent string, rs []model.Result)
	// MaxBodyBytes bounds the request body as sent (default 16 MiB); the decompressed
	// body may be 8 times larger.
	MaxBodyBytes int64
	Now          func() time.Time // default time.Now
	Logger       *slog.Logger     // default discards
}

// Handler serves push.Path. It is safe for concurrent use.
type Handler struct {
	sink       Sink
	onFresh    func(string, []model.Result)
	maxBody    int64
	maxDecoded int64
	now        func() time.Time
	log        *slog.Logger
	classes    map[model.Class]bool
	trust      *trust

	auth atomic.Pointer[authTable]

	mu     sync.Mutex
	agents map[string]*agentState // every agent ever configured; Stats shows the current ones

	unauthorized atomic.Uint64
	badMethod    atomic.Uint64
	gzips        sync.Pool // of *gzip.Reader
}

// New validates o and returns a Handler. It refuses an empty or repeated agent id, an
// agent without tokens or with more than two, an empty token and a token shared by two
// agents.
func New(o Options) (*Handler, error) {
	if o.Sink == nil {
		return nil, errors.New("ingest: Options.Sink is nil")
	}
	h := &Handler{
		sink:    o.Sink,
		onFresh: o.OnFresh,
		maxBody: o.MaxBodyBytes,
		now:     o.Now,
		log:     o.Logger,
		classes: classSet(),
		agents:  make(map[string]*agentState),
	}
	if h.maxBody <= 0 {
		h.maxBody = DefaultMaxBodyBytes
	}
	h.maxDecoded = h.maxBody * decompressedFactor
	if h.now == nil {
		h.now = time.Now
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	var err error
	if h.trust, err = newTrust(o.Vantages, o.Watch, o.MaxAge, o.MaxSkew); err != nil {
		return nil, err
	}
	if err := h.SetAgents(o.Agents); err != nil {
		return nil, err
	}
	return h, nil
}

// SetAgents replaces the configured agents, as on a configuration reload: a token no
// longer listed stops working for the next request. Counters of agents that stay are
// kept. On error nothing changes.
func (h *Handler) SetAgents(agents []Agent) error {
	t, err := newAuthTable(agents)
	if err != nil {
		return err
	}
	h.mu.Lock()
	for _, a := range t.agents {
		if h.agents[a.id] == nil {
			h.agents[a.id] = newAgentState()
		}
	}
	h.mu.Unlock()
	h.auth.Store(t)
	return nil
}

func (h *Handler) state(agent string) *agentState {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.agents[agent]
}

// ServeHTTP handles one push: 200 with a push.Response, or a push.Error with 400
// (malformed or invalid batch), 401 (no or unknown token), 403 (agent header or body not
// the token's agent), 405, 413 (body or batch too large), 415 (content type or encoding)
// or 503 (the store failed: nothing was stored, retry).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		h.badMethod.Add(1)
		w.Header().Set("Allow", http.MethodPost)
		httpjson.WriteError(w, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed; use POST")
		return
	}
	agent, ok := h.authenticate(w, r)
	if !ok {
		return
	}
	st := h.state(agent.id)
	status, reason, err := h.serveAgent(w, r, agent, st)
	if err == nil {
		return
	}
	st.reject(reason)
	level := slog.LevelWarn
	if status == http.StatusServiceUnavailable {
		level = slog.LevelError
	}
	msg := bounded(err.Error()) // it may quote the request
	h.log.Log(r.Context(), level, "ingest: batch refused", "agent", agent.id, "remote", r.RemoteAddr,
		"status", status, "reason", reason, "err", msg)
	httpjson.WriteError(w, status, msg)
}

// authenticate answers 401 itself when the request carries no known token.
func (h *Handler) authenticate(w http.ResponseWriter, r *http.Request) (*agentConf, bool) {
	token, err := bearer(r.Header.Get("Authorization"))
	var agent *agentConf
	ok := false
	if err == nil {
		agent, ok = h.auth.Load().match(token)
	}
	if ok {
		return agent, true
	}
	h.unauthorized.Add(1)
	challenge, msg := `Bearer realm="accesswatch"`, "missing bearer token"
	if err == nil {
		challenge, msg = `Bearer realm="accesswatch", error="invalid_token"`, "invalid bearer token"
	}
	h.log.Warn("ingest: unauthorized push", "remote", r.RemoteAddr, "reason", msg) // never the token
	w.Header().Set("WWW-Authenticate", challenge)
	httpjson.WriteError(w, http.StatusUnauthorized, msg)
	return nil, false
}

// serveAgent handles an authenticated request; it writes the answer itself only on
// success, and otherwise returns the status, reason and error to answer with.
func (h *Handler) serveAgent(w http.ResponseWriter, r *http.Request, agent *agentConf, st *agentState) (int, Reason, error) {
	if got := r.Header.Get(push.HeaderAgent); got != agent.id {
		return http.StatusForbidden, ReasonForbidden,
			fmt.Errorf("%s header %s is not the agent of this token", push.HeaderAgent, quoteKey(got))
	}
	if err := checkContentType(r.Header.Get("Content-Type")); err != nil {
		return http.StatusUnsupportedMediaType, ReasonMediaType, err
	}
	batch, err := h.readBatch(w, r)
	if err != nil {
		status, reason := statusOf(err)
		return status, reason, err
	}
	if batch.Agent != agent.id {
		return http.StatusForbidden, ReasonForbidden,
			fmt.Errorf("agent %s in the batch is not the agent of this token", quoteKey(batch.Agent))
	}
	if batch.SentAt.IsZero() {
		return http.StatusBadRequest, ReasonBadRequest, errors.New("sent_at: required")
	}
	for i := range batch.Results {
		if err := validateResult(i, &batch.Results[i], agent, h.classes, h.trust); err != nil {
			var ve *vantageError
			if errors.As(err, &ve) {
				return http.StatusBadRequest, ReasonVantage, err
			}
			return http.StatusBadRequest, ReasonBadRequest, err
		}
	}
	now := h.now()
	// Only what the configuration names goes on: what is stored, detected, rolled up and
	// exported as a metric label is bounded by the config, never by what agents send.
	var refused map[Refusal]int
	var refusal string
	kept := batch.Results[:0]
	for i := range batch.Results {
		if why, msg := h.trust.refuse(i, &batch.Results[i], now); why != "" {
			if refused == nil {
				refused, refusal = make(map[Refusal]int), msg
			}
			refused[why]++
			continue
		}
		batch.Results[i].ReceivedAt = now
		kept = append(kept, batch.Results[i])
	}
	offset := now.Sub(batch.SentAt)

	fresh, err := h.store(r.Context(), agent.id, st, kept)
	if err != nil {
		if errors.Is(err, store.ErrInvalid) {
			return http.StatusBadRequest, ReasonBadRequest, err
		}
		return http.StatusServiceUnavailable, ReasonStore, fmt.Errorf("store unavailable, retry later: %w", err)
	}
	resp := push.Response{
		Accepted:      fresh,
		Duplicates:    len(kept) - fresh,
		Refused:       len(batch.Results) - len(kept),
		Refusal:       bounded(refusal),
		ClockOffsetMs: float64(offset) / float64(time.Millisecond),
	}
	if st.accept(resp, refused, now, offset) {
		h.log.Warn("ingest: results refused: not in the collector's configuration or outside its time window",
			"agent", agent.id, "refused", resp.Refused, "first", resp.Refusal)
	}
	h.log.Debug("ingest: batch stored", "agent", agent.id, "accepted", resp.Accepted,
		"duplicates", resp.Duplicates, "refused", resp.Refused, "clock_offset", offset)
	httpjson.WriteJSON(w, http.StatusOK, resp)
	return 0, "", nil
}

// store inserts rs and passes the fresh ones to OnFresh, holding the agent's lock so that
// OnFresh sees the agent's batches one at a time, in the order they were stored.
func (h *Handler) store(ctx context.Context, agent string, st *agentState, rs []model.Result) (int, error) {
	if len(rs) == 0 {
		return 0, nil
	}
	st.order.Lock()
	defer st.order.Unlock()
	fresh, err := h.sink.Insert(ctx, rs)
	if err != nil {
		return 0, err
	}
	if len(fresh) > 0 && h.onFresh != nil {
		h.onFresh(agent, fresh)
	}
	return len(fresh), nil
}

// readBatch decodes the body within the compressed and decompressed limits.
func (h *Handler) readBatch(w http.ResponseWriter, r *http.Request) (push.Batch, error) {
	enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding")))
	if enc != "" && enc != "identity" && enc != "gzip" {
		return push.Batch{}, &mediaError{fmt.Errorf("Content-Encoding %s not supported; use gzip or identity", quoteKey(enc))}
	}
	if r.ContentLength > h.maxBody {
		return push.Batch{}, &http.MaxBytesError{Limit: h.maxBody}
	}
	var body io.Reader = http.MaxBytesReader(w, r.Body, h.maxBody)
	if enc == "gzip" {
		zr, err := h.gzipReader(body)
		if err != nil {
			return push.Batch{}, fmt.Errorf("gzip body: %w", err)
		}
		defer h.gzips.Put(zr)
		body = newCapReader(zr, h.maxDecoded)
	}
	return decodeBatch(body, push.MaxResults)
}

func (h *Handler) gzipReader(r io.Reader) (*gzip.Reader, error) {
	if zr, ok := h.gzips.Get().(*gzip.Reader); ok {
		if err := zr.Reset(r); err != nil {
			h.gzips.Put(zr)
			return nil, err
		}
		return zr, nil
	}
	return gzip.NewReader(r)
}

// mediaError is an unsupported Content-Encoding, answered 415.
type mediaError struct{ error }

func (e *mediaError) Unwrap() error { return e.error }

func checkContentType(ct string) error {
	if ct == "" {
		return errors.New("Content-Type missing; use application/json")
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return fmt.Errorf("Content-Type %s not supported; use application/json", quoteKey(ct))
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return fmt.Errorf("charset %s not supported; use utf-8", quoteKey(cs))
	}
	return nil
}

// bounded cuts an error message that may quote the request.
func bounded(msg string) string {
	const max = 300
	if len(msg) <= max {
		return msg
	}
	return strings.ToValidUTF8(msg[:max], "") + "…"
}
