// Package statuspage implements the status_page check: it reads a vendor's
// machine-readable status page (Atlassian Statuspage, or incident.io's compatible
// /api/v2/summary.json) and turns it into model.Claims, one per component, so what the
// vendor claims can be shown next to what we observe.
package statuspage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
)

// MaxBody bounds how much of a status page Fetch reads.
const MaxBody = 1 << 20

// KnownPages maps a provider kind to its status page's summary URL (providers.md §12):
// the default for a status_page check. Do not modify it; it is shared.
var KnownPages = map[string]string{
	"anthropic": "https://status.claude.com/api/v2/summary.json",
	"openai":    "https://status.openai.com/api/v2/summary.json",
	"groq":      "https://groqstatus.com/api/v2/summary.json",
	"cohere":    "https://status.cohere.com/api/v2/summary.json",
}

// Known component ids of the APIs we probe, by provider kind (providers.md §12).
const (
	AnthropicAPIComponent = "k8w3r06qmzrp" // "Claude API (api.anthropic.com)"
)

// summary is the shape of summary.json; every field is optional.
type summary struct {
	Page struct {
		ID   string `json:"id"`
		Name string `json:"name"`
		URL  string `json:"url"`
	} `json:"page"`
	Status struct {
		Indicator   string `json:"indicator"`
		Description string `json:"description"`
	} `json:"status"`
	Components []struct {
		ID        string `json:"id"`
		Name      string `json:"name"`
		Status    string `json:"status"`
		UpdatedAt string `json:"updated_at"`
		Group     bool   `json:"group"`
	} `json:"components"`
	Incidents []struct {
		Name       string `json:"name"`
		Status     string `json:"status"`
		Components []struct {
			ID string `json:"id"`
		} `json:"components"`
	} `json:"incidents"`
}

// Parse turns a summary.json body into one claim per component with an id, in the page's
// order. Status strings are kept as the page gives them (an unknown one included); a
// component's Incident is the first unresolved incident naming it; Indicator is the
// page's overall indicator. Missing fields are left empty; an unparseable timestamp is
// left zero.
func Parse(provider, pageURL string, body []byte, checkedAt time.Time) ([]model.Claim, error) {
	var s summary
	if err := json.Unmarshal(body, &s); err != nil {
		return nil, fmt.Errorf("statuspage: %s: parse summary: %w", pageURL, err)
	}
	open := make(map[string]string) // component id → first open incident naming it
	for _, inc := range s.Incidents {
		if inc.Status == "resolved" || inc.Status == "postmortem" {
			continue
		}
		for _, c := range inc.Components {
			if _, seen := open[c.ID]; !seen && c.ID != "" {
				open[c.ID] = inc.Name
			}
		}
	}
	claims := make([]model.Claim, 0, len(s.Components))
	for _, c := range s.Components {
		if c.ID == "" {
			continue
		}
		cl := model.Claim{
			Provider: provider, Page: pageURL, ComponentID: c.ID, Component: c.Name,
			Status: c.Status, Indicator: s.Status.Indicator, Incident: open[c.ID],
			CheckedAt: checkedAt,
		}
		if t, err := time.Parse(time.RFC3339, c.UpdatedAt); err == nil {
			cl.UpdatedAt = t.UTC()
		}
		claims = append(claims, cl)
	}
	return claims, nil
}

// Fetch GETs pageURL with client and parses it (see Parse), stamping claims with now().
// A non-200 answer, a body over MaxBody or a transport failure is an error.
func Fetch(ctx context.Context, client *http.Client, provider, pageURL string, now func() time.Time) ([]model.Claim, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, pageURL, nil)
	if err != nil {
		return nil, fmt.Errorf("statuspage: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("statuspage: %w", err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil, fmt.Errorf("statuspage: %s: HTTP %d", pageURL, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxBody+1))
	if err != nil {
		return nil, fmt.Errorf("statuspage: %s: read: %w", pageURL, err)
	}
	if len(body) > MaxBody {
		return nil, fmt.Errorf("statuspage: %s: %w", pageURL, ErrTooLarge)
	}
	return Parse(provider, pageURL, body, now().UTC())
}

// ErrTooLarge is returned by Fetch for a body over MaxBody.
var ErrTooLarge = errors.New("body larger than 1 MiB")
