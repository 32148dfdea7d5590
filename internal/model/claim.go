package model

import "time"

// Vendor status-page component states (Atlassian Statuspage and incident.io share them).
const (
	ClaimOperational         = "operational"
	ClaimDegradedPerformance = "degraded_performance"
	ClaimPartialOutage       = "partial_outage"
	ClaimMajorOutage         = "major_outage"
	ClaimUnderMaintenance    = "under_maintenance"
)

// Claim is what a vendor's own status page says about one of its components, as polled by a
// status_page check, to be shown next to what we observe.
type Claim struct {
	Provider    string    `json:"provider"`     // our provider id
	Page        string    `json:"page"`         // the status page's summary URL
	ComponentID string    `json:"component_id"` // the vendor's component id
	Component   string    `json:"component"`    // its name ("Claude API (api.anthropic.com)")
	Status      string    `json:"status"`       // one of the Claim* states
	Indicator   string    `json:"indicator,omitempty"`
	Incident    string    `json:"incident,omitempty"` // name of an open vendor incident that names the component
	UpdatedAt   time.Time `json:"updated_at"`         // the vendor's own timestamp
	CheckedAt   time.Time `json:"checked_at"`         // when we read it
}
