package model

import "time"

// State is the access state of a target: a (provider, model) seen from a vantage or a region.
type State string

// States.
const (
	StateAvailable State = "available" // the model answers
	StateDegraded  State = "degraded"  // the vendor answers, but with overload, rate limits or 5xx
	StateDown      State = "down"      // no answer: timeouts, resets, refusals, DNS or TLS failures
	StateRevoked   State = "revoked"   // a policy answer: geo block, model withdrawn, access denied
	StateUnknown   State = "unknown"   // we cannot tell: no data, or our own misconfiguration
)

// States lists every State, in a stable order.
func States() []State {
	return []State{StateAvailable, StateDegraded, StateDown, StateRevoked, StateUnknown}
}

// StateOf is the state one classified answer points to.
func StateOf(c Classification) State {
	switch c.Access {
	case AccessAvailable:
		return StateAvailable
	case AccessRevoked:
		return StateRevoked
	case AccessFault:
		switch c.Class {
		case ClassOverloaded, ClassRateLimited, ClassServerError:
			return StateDegraded
		}
		return StateDown
	}
	return StateUnknown
}

// TargetStatus is the current state of one (provider, model, region), or of one vantage's view
// of it when Vantage is set.
type TargetStatus struct {
	Provider    string    `json:"provider"`
	Model       string    `json:"model"`
	Region      string    `json:"region"`
	Vantage     string    `json:"vantage,omitempty"`
	State       State     `json:"state"`
	Since       time.Time `json:"since"`               // first observation of the current state
	Signature   string    `json:"signature,omitempty"` // of the latest answer that supports the state
	LastChecked time.Time `json:"last_checked"`        // latest observation from a healthy vantage
	Reason      string    `json:"reason,omitempty"`    // why unknown: "auth_failed", "no healthy vantage", …
	Vantages    int       `json:"vantages,omitempty"`  // healthy vantages that decided the region's state
}

// Event kinds. An event is of one kind from its opening to its end: revoked, outage, degraded,
// vantage_fault, misconfigured or deprecation (Kind and Condition are always equal). When it ends,
// EndedAt is set and Outcome says how: restored (after revoked), recovered (after the others),
// retired (a deprecation whose model is gone). restored, recovered and retired are outcomes,
// never kinds; routes and filters may still name them to mean "the closing update".
const (
	EventRevoked       = "revoked"
	EventRestored      = "restored"
	EventOutage        = "outage"
	EventDegraded      = "degraded"
	EventRecovered     = "recovered"
	EventVantageFault  = "vantage_fault"
	EventMisconfigured = "misconfigured"
	// EventDeprecation is an early warning, never a revocation: the vendor publishes a
	// retirement date for a model it still serves. It ends as EventRetired once the model is
	// gone (revoked where it was announced), or as EventRecovered when the date is lifted.
	EventDeprecation = "deprecation"
	EventRetired     = "retired"
)

// Event scopes, judged across regions.
const (
	ScopeRegional = "regional" // some regions affected, others fine: the signal
	ScopeGlobal   = "global"   // every region with data affected: a withdrawal or an outage
	ScopeVantage  = "vantage"  // one vantage's own fault
)

// Event is one condition of a (provider, model) across regions, from start to end: a revocation
// and its restoration are one event with a duration.
type Event struct {
	ID         string     `json:"id"`
	Kind       string     `json:"kind"`
	Condition  string     `json:"condition"` // the kind it opened as
	Scope      string     `json:"scope"`
	IncidentID string     `json:"incident_id"` // events of one vendor decision share it
	Provider   string     `json:"provider,omitempty"`
	Model      string     `json:"model,omitempty"`
	Vantage    string     `json:"vantage,omitempty"` // vantage_fault events
	Regions    []string   `json:"regions"`           // affected now (or, once ended, at the widest)
	StartedAt  time.Time  `json:"started_at"`
	EndedAt    *time.Time `json:"ended_at"` // null while open
	// Outcome is how the event ended (EventRestored, EventRecovered, EventRetired); "" while open.
	Outcome   string    `json:"outcome,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
	Signature string    `json:"signature,omitempty"`
	Reason    string    `json:"reason,omitempty"`
	Sample    string    `json:"sample,omitempty"`   // a redacted excerpt of one answer that proves it
	Evidence  []string  `json:"evidence,omitempty"` // ids of results that prove it (bounded)
	// RetiresAt is the vendor's published retirement date (deprecation events).
	RetiresAt *time.Time `json:"retires_at,omitempty"`
	// Changes records each change of scope or regions (a revocation that widens to global).
	Changes []EventChange `json:"changes,omitempty"`
}

// EventChange is one step in an event's spread or retreat.
type EventChange struct {
	At      time.Time `json:"at"`
	Kind    string    `json:"kind"`
	Scope   string    `json:"scope"`
	Regions []string  `json:"regions"`
}

// Open reports whether the event has not ended.
func (e *Event) Open() bool { return e.EndedAt == nil }

// Duration is how long the event lasted (until now while open).
func (e *Event) Duration(now time.Time) time.Duration {
	if e.EndedAt != nil {
		return e.EndedAt.Sub(e.StartedAt)
	}
	return now.Sub(e.StartedAt)
}

// Transition is one change of a (provider, model, region)'s state (Vantage set: of a vantage's
// view), with the results that prove it.
type Transition struct {
	Provider  string    `json:"provider"`
	Model     string    `json:"model"`
	Region    string    `json:"region"`
	Vantage   string    `json:"vantage,omitempty"`
	From      State     `json:"from"`
	To        State     `json:"to"`
	At        time.Time `json:"at"`
	Signature string    `json:"signature,omitempty"`
	Evidence  []string  `json:"evidence,omitempty"`
}

// Event update phases: what happened to an event.
const (
	PhaseOpened   = "opened"
	PhaseUpdated  = "updated" // regions or scope changed (a revocation widening to global)
	PhaseClosed   = "closed"
	PhaseReminder = "reminder" // still open after the reminder interval
)

// EventUpdate is one change of an event, as detection emits it and notifiers receive it.
type EventUpdate struct {
	Phase string `json:"phase"`
	Event Event  `json:"event"`
	// Seq orders updates of one event (1 for opened); with the event id it keys the
	// notification log, so each update is announced once per receiver.
	Seq int `json:"seq"`
}
