package grafana

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/accesswatch/accesswatch/alerting/notify"
	"github.com/accesswatch/accesswatch/internal/config"
	"github.com/accesswatch/accesswatch/internal/model"
)

// Tag is on every annotation; the dashboards select annotations by it.
const Tag = "accesswatch"

// DefaultTimeout bounds each request.
const DefaultTimeout = 10 * time.Second

// Options configure the receiver.
type Options struct {
	URL     string        // Grafana's base URL, e.g. http://127.0.0.1:3000
	Token   config.Secret // service-account token with annotations:write; never printed
	Client  *http.Client  // default: a plain client
	Timeout time.Duration // per request; default DefaultTimeout
	Now     func() time.Time
}

// Notifier posts event updates to Grafana as annotations.
type Notifier struct {
	endpoint string
	token    string
	client   *http.Client
	timeout  time.Duration
	now      func() time.Time
}

// New checks o and returns the receiver.
func New(o Options) (*Notifier, error) {
	u, err := url.Parse(o.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("grafana: url is not an http(s) URL")
	}
	if o.Token == "" {
		return nil, errors.New("grafana: token is required (a service-account token)")
	}
	n := &Notifier{endpoint: strings.TrimSuffix(o.URL, "/") + "/api/annotations", token: o.Token.Reveal(),
		client: o.Client, timeout: o.Timeout, now: o.Now}
	if n.client == nil {
		n.client = &http.Client{}
	}
	if n.timeout <= 0 {
		n.timeout = DefaultTimeout
	}
	if n.now == nil {
		n.now = time.Now
	}
	return n, nil
}

// Name is "grafana".
func (n *Notifier) Name() string { return "grafana" }

// Notify posts one annotation per update of g, in order. Grafana has no threads: ref is
// returned unchanged.
func (n *Notifier) Notify(ctx context.Context, g notify.Group, ref string) (string, error) {
	for _, u := range g.Updates {
		if err := n.post(ctx, u); err != nil {
			return ref, err
		}
	}
	return ref, nil
}

// Annotation is the body of POST /api/annotations.
type Annotation struct {
	Time    int64    `json:"time"`              // ms since the epoch
	TimeEnd int64    `json:"timeEnd,omitempty"` // ms; closed events only, making a region
	Tags    []string `json:"tags"`
	Text    string   `json:"text"`
}

// Payload is the annotation of one update.
func Payload(u model.EventUpdate) Annotation {
	e := u.Event
	a := Annotation{Time: e.UpdatedAt.UnixMilli(), Tags: tags(u), Text: text(u)}
	switch {
	case u.Phase == model.PhaseOpened:
		a.Time = e.StartedAt.UnixMilli()
	case u.Phase == model.PhaseClosed && e.EndedAt != nil:
		a.Time, a.TimeEnd = e.StartedAt.UnixMilli(), e.EndedAt.UnixMilli()
	}
	if a.Time <= 0 { // an update without its times still marks "now" rather than 1970
		a.Time = 0
	}
	return a
}

func tags(u model.EventUpdate) []string {
	e := u.Event
	out := []string{Tag}
	seen := map[string]bool{Tag: true}
	add := func(s string) {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	add(e.Kind)
	add(e.Outcome) // restored, recovered, retired: how a closed event ended
	add(u.Phase)
	add(e.Scope)
	add(e.Provider)
	add(e.Model)
	add(e.Vantage)
	for _, r := range e.Regions {
		add(r)
	}
	return out
}

// regionDelta is what the event's latest change did: the regions that left it and those that
// joined, from its last two Changes entries.
func regionDelta(e model.Event) (left, joined []string) {
	n := len(e.Changes)
	if n < 2 {
		return nil, nil
	}
	prev, cur := e.Changes[n-2].Regions, e.Changes[n-1].Regions
	for _, r := range prev {
		if !slices.Contains(cur, r) {
			left = append(left, r)
		}
	}
	for _, r := range cur {
		if !slices.Contains(prev, r) {
			joined = append(joined, r)
		}
	}
	return left, joined
}

// text reads "anthropic claude-x: revoked in india, australia (regional) — signature geo_blocked";
// a partial recovery adds "[recovered in europe]" (the regions it names are where it still
// is), and the end "[restored after 2h30m0s]".
func text(u model.EventUpdate) string {
	e := u.Event
	var b strings.Builder
	subject := strings.TrimSpace(e.Provider + " " + e.Model)
	if e.Vantage != "" {
		subject = strings.TrimSpace(subject + " vantage " + e.Vantage)
	}
	if subject != "" {
		b.WriteString(subject + ": ")
	}
	b.WriteString(e.Kind)
	if len(e.Regions) > 0 {
		b.WriteString(" in " + strings.Join(e.Regions, ", "))
	}
	if e.Scope != "" {
		b.WriteString(" (" + e.Scope + ")")
	}
	if e.Signature != "" {
		b.WriteString(" — signature " + e.Signature)
	}
	switch {
	case u.Phase == model.PhaseClosed && e.EndedAt != nil:
		fmt.Fprintf(&b, " [%s after %s]", cmp.Or(e.Outcome, "closed"), e.EndedAt.Sub(e.StartedAt).Round(time.Second))
	case u.Phase == model.PhaseUpdated:
		if left, joined := regionDelta(e); len(left) > 0 || len(joined) > 0 {
			b.WriteString(" [")
			if len(joined) > 0 {
				b.WriteString("now also in " + strings.Join(joined, ", "))
			}
			if len(left) > 0 {
				if len(joined) > 0 {
					b.WriteString("; ")
				}
				b.WriteString("recovered in " + strings.Join(left, ", "))
			}
			b.WriteString("]")
		} else {
			b.WriteString(" [updated]")
		}
	case u.Phase != model.PhaseOpened && u.Phase != "":
		b.WriteString(" [" + u.Phase + "]")
	}
	if e.Reason != "" {
		b.WriteString("\n" + e.Reason)
	}
	return b.String()
}

func (n *Notifier) post(ctx context.Context, u model.EventUpdate) error {
	a := Payload(u)
	if a.Time == 0 {
		a.Time = n.now().UnixMilli()
	}
	body, err := json.Marshal(a)
	if err != nil {
		return notify.Permanent(fmt.Errorf("grafana: encode %s: %w", notify.UpdateKey(u), err))
	}
	ctx, cancel := context.WithTimeout(ctx, n.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.endpoint, bytes.NewReader(body))
	if err != nil {
		return notify.Permanent(errors.New("grafana: build request"))
	}
	req.Header.Set("Authorization", "Bearer "+n.token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := n.client.Do(req)
	if err != nil {
		return notify.Retryable(notify.Scrub(fmt.Errorf("grafana: annotate %s: %w", notify.UpdateKey(u), err), n.token), 0)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	code := resp.StatusCode
	switch {
	case code >= 200 && code < 300:
		return nil
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return notify.Permanent(errors.New("grafana: authentication failed (check the service-account token)"))
	}
	err = notify.Scrub(fmt.Errorf("grafana: annotate %s: HTTP %d: %s", notify.UpdateKey(u), code, message(msg)), n.token)
	if code == http.StatusTooManyRequests || code == http.StatusRequestTimeout || code >= 500 {
		return notify.Retryable(err, notify.ParseRetryAfter(resp.Header.Get("Retry-After"), n.now()))
	}
	return notify.Permanent(err)
}

// message is Grafana's JSON error message, or the start of the body.
func message(b []byte) string {
	var m struct{ Message string }
	if json.Unmarshal(b, &m) == nil && m.Message != "" {
		return m.Message
	}
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
