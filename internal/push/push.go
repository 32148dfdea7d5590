// Package push is the wire protocol between agents and the collector: an agent POSTs batches of
// results, gzip-compressed JSON, with its bearer token; the collector stores each result once
// (by id) and answers what it accepted and how far the agent's clock is off.
package push

import (
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
)

// Path is where the collector accepts batches.
const Path = "/api/v1/push"

// Headers of a push request besides Authorization: Bearer <token>, Content-Type:
// application/json and Content-Encoding: gzip.
const (
	HeaderAgent = "X-Accesswatch-Agent" // the agent's id
)

// Batch is the body of a push request.
type Batch struct {
	Agent   string         `json:"agent"`
	SentAt  time.Time      `json:"sent_at"` // agent clock, when the request was made
	Results []model.Result `json:"results"`
}

// Response is the collector's answer to an accepted batch (HTTP 200).
type Response struct {
	Accepted   int `json:"accepted"`   // results stored now
	Duplicates int `json:"duplicates"` // results already stored (a replayed batch)
	// Refused counts results the collector will never take though the batch was fine: a
	// provider, model or check it does not watch, or a time outside its window. They are
	// counted, not stored; the agent drops them (a retry would be refused again).
	Refused int `json:"refused"`
	// Refusal says why the first refused result was refused (results[i].field: …).
	Refusal string `json:"refusal,omitempty"`
	// ClockOffsetMs is the collector's receive time minus the batch's sent_at: how far the
	// agent's clock is behind (positive) or ahead (negative), network delay included.
	ClockOffsetMs float64 `json:"clock_offset_ms"`
}

// Error is the body of every non-2xx answer.
type Error struct {
	Error string `json:"error"`
}

// MaxResults bounds one batch; larger batches are refused with 413.
const MaxResults = 10000
