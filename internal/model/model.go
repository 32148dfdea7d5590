// Package model holds the types shared by the probes, the collector and alerting:
// a probe Result and the vocabulary of its classification. It imports nothing of ours.
package model

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"
)

// SchemaVersion is the version of the Result wire format.
const SchemaVersion = 1

// Layer is the network layer at which a probe's outcome was decided.
type Layer string

// Layers, lowest first.
const (
	LayerDNS  Layer = "dns"
	LayerTCP  Layer = "tcp"
	LayerTLS  Layer = "tls"
	LayerHTTP Layer = "http"
	LayerAPI  Layer = "api"
)

// Class is the closed vocabulary every probe outcome is mapped to.
type Class string

// The classes. The set is closed: metrics and stores may use it as a label.
const (
	ClassOK                 Class = "ok"
	ClassGeoBlocked         Class = "geo_blocked"
	ClassModelUnavailable   Class = "model_unavailable"
	ClassAccessDenied       Class = "access_denied"
	ClassAuthFailed         Class = "auth_failed"
	ClassBilling            Class = "billing"
	ClassRateLimited        Class = "rate_limited"
	ClassOverloaded         Class = "overloaded"
	ClassServerError        Class = "server_error"
	ClassBadRequest         Class = "bad_request"
	ClassBlockedPage        Class = "blocked_page"
	ClassTimeout            Class = "timeout"
	ClassDNSFailure         Class = "dns_failure"
	ClassConnectionRefused  Class = "connection_refused"
	ClassConnectionReset    Class = "connection_reset"
	ClassTLSFailure         Class = "tls_failure"
	ClassUnexpectedResponse Class = "unexpected_response"
)

// Classes lists every Class, in a stable order.
func Classes() []Class {
	return []Class{
		ClassOK, ClassGeoBlocked, ClassModelUnavailable, ClassAccessDenied, ClassAuthFailed,
		ClassBilling, ClassRateLimited, ClassOverloaded, ClassServerError, ClassBadRequest,
		ClassBlockedPage, ClassTimeout, ClassDNSFailure, ClassConnectionRefused,
		ClassConnectionReset, ClassTLSFailure, ClassUnexpectedResponse,
	}
}

// Access is what a class means for a user of the model.
type Access string

// Access meanings.
const (
	AccessAvailable     Access = "available"     // the model answered
	AccessRevoked       Access = "revoked"       // a vendor's policy decision, positively evidenced: geo block, model withdrawn
	AccessFault         Access = "fault"         // the vendor or the path to it is failing
	AccessMisconfigured Access = "misconfigured" // our own problem: key, billing, project settings, request, the vantage's network
	AccessUnknown       Access = "unknown"       // we cannot tell, or cannot attribute the answer
)

// AccessOf is the default meaning of each class. Only the classes that name a vendor's policy
// (geo block, model gone) default to revoked: a denial or a block page says nothing by itself of
// who decided it, so it is unknown unless a classifier rule attributes it.
func AccessOf(c Class) Access {
	switch c {
	case ClassOK:
		return AccessAvailable
	case ClassGeoBlocked, ClassModelUnavailable:
		return AccessRevoked
	case ClassAuthFailed, ClassBilling, ClassBadRequest:
		return AccessMisconfigured
	case ClassRateLimited, ClassOverloaded, ClassServerError, ClassTimeout, ClassDNSFailure,
		ClassConnectionRefused, ClassConnectionReset, ClassTLSFailure:
		return AccessFault
	default:
		return AccessUnknown
	}
}

// Classification is how one answer (or failure to get one) is read.
type Classification struct {
	Layer  Layer  `json:"layer"`
	Class  Class  `json:"class"`
	Access Access `json:"access"`
	// Signature is equal for the same failure across vantages, models and runs, and differs
	// between different failures: ids, timestamps, model names and key fragments are
	// normalised away.
	Signature string `json:"signature"`
	// Failure is the OONI-style failure string for network errors ("connection_reset",
	// "generic_timeout_error", "ssl_unknown_authority", …); empty when an HTTP answer came back.
	Failure string `json:"failure,omitempty"`
	// Rule names the rule that matched, for explaining a classification.
	Rule string `json:"rule,omitempty"`
}

// Check kinds.
const (
	CheckModels      = "models"       // list models; per-model presence
	CheckModel       = "model"        // get one model
	CheckCountTokens = "count_tokens" // free token count
	CheckGenerate    = "generate"     // 1-token completion
	CheckControl     = "control"      // the vantage's control endpoint (health)
	CheckStatusPage  = "status_page"  // a vendor's own status page
)

// Timings are per-phase latencies of one probe, in milliseconds.
type Timings struct {
	DNSMs       float64 `json:"dns_ms"`
	ConnectMs   float64 `json:"connect_ms"`
	TLSMs       float64 `json:"tls_ms"`
	FirstByteMs float64 `json:"first_byte_ms"`
	TotalMs     float64 `json:"total_ms"`
}

// Result is one observation: one check of one model from one vantage at one time.
// A failed probe is a Result with a failing classification, never a Go error.
type Result struct {
	ID            string    `json:"id"`
	SchemaVersion int       `json:"schema_version"`
	Time          time.Time `json:"time"`                  // when the probe started (agent clock)
	EndedAt       time.Time `json:"ended_at,omitzero"`     // when its answer (or its failure) came: when the evidence was seen
	ScheduledAt   time.Time `json:"scheduled_at,omitzero"` // when the scheduler fired it
	ReceivedAt    time.Time `json:"received_at,omitzero"`  // when a collector stored it

	Vantage  string `json:"vantage"`
	Region   string `json:"region"`
	Country  string `json:"country"`
	Provider string `json:"provider"`
	Kind     string `json:"kind"` // provider kind: anthropic, openai, gemini, mistral, openai_compatible
	Model    string `json:"model,omitempty"`
	Check    string `json:"check"`

	Method     string `json:"method"`
	URL        string `json:"url"` // without credentials
	HTTPStatus int    `json:"http_status,omitempty"`

	Classification
	Timings Timings `json:"timings"`

	RemoteIP   string `json:"remote_ip,omitempty"`
	TLSVersion string `json:"tls_version,omitempty"`
	CertSHA256 string `json:"cert_sha256,omitempty"` // leaf certificate fingerprint, hex

	RequestID  string `json:"request_id,omitempty"`
	EdgeColo   string `json:"edge_colo,omitempty"`   // from cf-ray
	EdgeRegion string `json:"edge_region,omitempty"` // x-groq-region, x-ms-region
	Excerpt    string `json:"excerpt,omitempty"`     // bounded, redacted body excerpt
	Error      string `json:"error,omitempty"`       // redacted transport error text

	EgressIP        string `json:"egress_ip,omitempty"`
	EgressASN       uint   `json:"egress_asn,omitempty"`
	VantageMismatch bool   `json:"vantage_mismatch,omitempty"` // egress country ≠ configured country

	// RetiresAt is the deprecation or retirement date the vendor publishes for the model in
	// its models list (Mistral "deprecation", OpenRouter "expiration_date"); nil when it
	// publishes none. Only models checks read it.
	RetiresAt *time.Time `json:"retires_at,omitempty"`
	// Replacement is the model the vendor names to replace a retiring one, when it names one.
	Replacement string `json:"replacement,omitempty"`
}

// OK reports whether the model answered.
func (r *Result) OK() bool { return r.Class == ClassOK }

// NewID returns a unique id that sorts by time: 16 hex digits of Unix nanoseconds, then 16 random.
func NewID(t time.Time) string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err)) // never fails on supported platforms
	}
	return fmt.Sprintf("%016x%s", uint64(t.UnixNano()), hex.EncodeToString(b[:]))
}
