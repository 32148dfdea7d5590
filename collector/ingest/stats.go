package ingest

import (
	"maps"
	"sync"
	"time"

	"github.com/accesswatch/accesswatch/internal/push"
)

// Reason is why an authenticated batch was refused: a closed set, usable as a metric label.
type Reason string

// The reasons.
const (
	ReasonForbidden  Reason = "forbidden"              // 403: agent header or batch agent is not the token's
	ReasonMediaType  Reason = "unsupported_media_type" // 415
	ReasonTooLarge   Reason = "too_large"              // 413: body, decompressed body or result count
	ReasonBadRequest Reason = "bad_request"            // 400: malformed JSON or an invalid result
	ReasonVantage    Reason = "vantage"                // 400: a result from a vantage the agent may not report
	ReasonStore      Reason = "store_unavailable"      // 503: the store failed
)

// Reasons lists every Reason, in a stable order.
func Reasons() []Reason {
	return []Reason{ReasonForbidden, ReasonMediaType, ReasonTooLarge, ReasonBadRequest, ReasonVantage, ReasonStore}
}

// Stats are the handler's counters since it was created.
type Stats struct {
	Agents       map[string]AgentStats // the agents configured now, by id
	Unauthorized uint64                // 401s: no bearer token, or an unknown one
	BadMethod    uint64                // 405s (answered before authentication)
}

// AgentStats are one agent's counters.
type AgentStats struct {
	Batches    uint64            // batches accepted (200)
	Accepted   uint64            // results stored for the first time
	Duplicates uint64            // results already stored (replays)
	Rejected   map[Reason]uint64 // refused batches by reason; every Reason is present
	LastSeen   time.Time         // when the last batch was accepted; zero if none
	// Refused counts results of accepted batches that were dropped, by why; every Refusal is
	// present.
	Refused map[Refusal]uint64
	// ClockOffset is the collector's receive time minus the agent's sent_at, of the
	// last accepted batch: how far the agent's clock is behind (positive), network delay
	// included.
	ClockOffset time.Duration
}

type agentState struct {
	order sync.Mutex // held across Insert and OnFresh: one batch of the agent at a time

	mu         sync.Mutex
	s          AgentStats
	refusedLog time.Time // when refusals were last logged
}

// refusalLogEvery bounds the log lines about refused results to one per agent this often.
const refusalLogEvery = time.Minute

func newAgentState() *agentState {
	st := &agentState{s: AgentStats{Rejected: make(map[Reason]uint64), Refused: make(map[Refusal]uint64)}}
	for _, r := range Reasons() {
		st.s.Rejected[r] = 0
	}
	for _, r := range Refusals() {
		st.s.Refused[r] = 0
	}
	return st
}

// accept counts an accepted batch; it reports whether its refusals are due a log line.
func (st *agentState) accept(resp push.Response, refused map[Refusal]int, now time.Time, offset time.Duration) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.s.Batches++
	st.s.Accepted += uint64(resp.Accepted)
	st.s.Duplicates += uint64(resp.Duplicates)
	for r, n := range refused {
		st.s.Refused[r] += uint64(n)
	}
	st.s.LastSeen = now
	st.s.ClockOffset = offset
	if len(refused) == 0 || (!st.refusedLog.IsZero() && now.Sub(st.refusedLog) < refusalLogEvery) {
		return false
	}
	st.refusedLog = now
	return true
}

func (st *agentState) reject(r Reason) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.s.Rejected[r]++
}

func (st *agentState) snapshot() AgentStats {
	st.mu.Lock()
	defer st.mu.Unlock()
	s := st.s
	s.Rejected = maps.Clone(st.s.Rejected)
	s.Refused = maps.Clone(st.s.Refused)
	return s
}

// Stats returns a snapshot of the counters.
func (h *Handler) Stats() Stats {
	out := Stats{
		Agents:       make(map[string]AgentStats),
		Unauthorized: h.unauthorized.Load(),
		BadMethod:    h.badMethod.Load(),
	}
	for _, id := range h.auth.Load().ids() {
		if st := h.state(id); st != nil {
			out.Agents[id] = st.snapshot()
		}
	}
	return out
}
