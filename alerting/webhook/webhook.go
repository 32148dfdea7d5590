package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/accesswatch/accesswatch/alerting/notify"
	"github.com/accesswatch/accesswatch/internal/config"
	"github.com/accesswatch/accesswatch/internal/model"
)

// Header names.
const (
	HeaderEvent     = "X-Accesswatch-Event"
	HeaderPhase     = "X-Accesswatch-Phase"
	HeaderOutcome   = "X-Accesswatch-Outcome"
	HeaderDelivery  = "X-Accesswatch-Delivery"
	HeaderTimestamp = "X-Accesswatch-Timestamp"
	HeaderSignature = "X-Accesswatch-Signature"
	UserAgent       = "accesswatch"
	DefaultTimeout  = 10 * time.Second
)

// Payload is the request body: the event as the events API shows it (with its outcome once it
// has ended), plus the update's phase and sequence number and the incident's page.
type Payload struct {
	model.Event
	Phase string `json:"phase"`
	Seq   int    `json:"seq"`
	// IncidentPhase is the phase of the notification this update is part of, for the
	// incident: opened, updated (an event joined, changed or ended while others stay open),
	// closed (the incident's last event ended) or reminder.
	IncidentPhase string `json:"incident_phase"`
	// IncidentURL is the incident page (server.public_url + IncidentPath); absent when no
	// public URL is configured.
	IncidentURL string `json:"incident_url,omitempty"`
	// IncidentPath is the incident page's path on the collector: /incidents/{incident_id}.
	IncidentPath string `json:"incident_path"`
}

// Body is the JSON body of one update of a group.
func Body(g notify.Group, u model.EventUpdate) ([]byte, error) {
	path := g.Path
	if path == "" {
		path = notify.IncidentPath(g.IncidentID)
	}
	return json.Marshal(Payload{Event: u.Event, Phase: u.Phase, Seq: u.Seq,
		IncidentPhase: g.Phase, IncidentURL: g.URL, IncidentPath: path})
}

// Sign returns the X-Accesswatch-Signature value of body sent at timestamp.
func Sign(secret []byte, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(timestamp + "."))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Verify reports, in constant time, whether signature is body's signature at timestamp. It does
// not judge the timestamp's age: receivers should also reject old ones.
func Verify(secret []byte, timestamp, signature string, body []byte) bool {
	if len(secret) == 0 || !strings.HasPrefix(signature, "sha256=") {
		return false
	}
	return hmac.Equal([]byte(Sign(secret, timestamp, body)), []byte(signature))
}

// Options configure a Notifier.
type Options struct {
	Name    string        // receiver name; default "webhook"
	URL     string        // http(s) endpoint; may carry credentials, never printed
	Secret  config.Secret // HMAC-SHA256 key; empty: requests are not signed
	Client  *http.Client  // default: a plain client
	Timeout time.Duration // per request; default DefaultTimeout
	Now     func() time.Time
}

// Notifier POSTs event updates to one URL.
type Notifier struct {
	name    string
	url     string
	secret  []byte
	client  *http.Client
	timeout time.Duration
	now     func() time.Time
}

var _ notify.Notifier = (*Notifier)(nil)

// New checks o and builds a Notifier.
func New(o Options) (*Notifier, error) {
	u, err := url.Parse(o.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("webhook: url is not an http(s) URL")
	}
	n := &Notifier{name: o.Name, url: o.URL, client: o.Client, timeout: o.Timeout, now: o.Now}
	if o.Secret != "" {
		n.secret = []byte(o.Secret.Reveal())
	}
	if n.name == "" {
		n.name = "webhook"
	}
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

// Name is the receiver's name.
func (n *Notifier) Name() string { return n.name }

// Notify posts the group's updates in order, stopping at the first failure, which it reports
// as a notify.PartialError naming how many were delivered before it, so the dispatcher retries
// only the rest and no update reaches the receiver twice. It never threads.
func (n *Notifier) Notify(ctx context.Context, g notify.Group, _ string) (string, error) {
	for i, u := range g.Updates {
		if err := n.post(ctx, g, u); err != nil {
			return "", notify.Partial(i, err)
		}
	}
	return "", nil
}

func (n *Notifier) post(ctx context.Context, g notify.Group, u model.EventUpdate) error {
	body, err := Body(g, u)
	if err != nil {
		return notify.Permanent(fmt.Errorf("webhook %s: encode %s: %w", n.name, notify.UpdateKey(u), err))
	}
	ctx, cancel := context.WithTimeout(ctx, n.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.url, bytes.NewReader(body))
	if err != nil {
		return notify.Permanent(fmt.Errorf("webhook %s: build request", n.name))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set(HeaderEvent, u.Event.Kind)
	req.Header.Set(HeaderPhase, u.Phase)
	if u.Event.Outcome != "" {
		req.Header.Set(HeaderOutcome, u.Event.Outcome)
	}
	req.Header.Set(HeaderDelivery, notify.UpdateKey(u))
	if len(n.secret) > 0 {
		ts := strconv.FormatInt(n.now().Unix(), 10)
		req.Header.Set(HeaderTimestamp, ts)
		req.Header.Set(HeaderSignature, Sign(n.secret, ts, body))
	}
	resp, err := n.client.Do(req)
	if err != nil {
		return notify.Retryable(n.transportError(err), 0)
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // let the connection be reused
	return n.status(resp, snippet)
}

// status classifies the answer: 2xx success, 408/429/5xx retryable, anything else permanent.
func (n *Notifier) status(resp *http.Response, snippet []byte) error {
	code := resp.StatusCode
	if code >= 200 && code < 300 {
		return nil
	}
	err := fmt.Errorf("webhook %s: HTTP %d", n.name, code)
	if s := clean(snippet); s != "" {
		err = fmt.Errorf("webhook %s: HTTP %d: %s", n.name, code, s)
	}
	err = n.scrub(err)
	if code == http.StatusTooManyRequests || code == http.StatusRequestTimeout || code >= 500 {
		return notify.Retryable(err, notify.ParseRetryAfter(resp.Header.Get("Retry-After"), n.now()))
	}
	return notify.Permanent(err)
}

// clean makes a receiver's answer printable on one line.
func clean(b []byte) string {
	s := strings.ToValidUTF8(string(b), "")
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) > 120 {
		s = string([]rune(s)[:119]) + "…"
	}
	return s
}

// transportError drops the URL from a client error: it may carry credentials.
func (n *Notifier) transportError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return n.scrub(fmt.Errorf("webhook %s: post %s: %w", n.name, notify.RedactURL(n.url), err))
}

func (n *Notifier) scrub(err error) error {
	secrets := []string{n.url, string(n.secret)}
	if u, perr := url.Parse(n.url); perr == nil {
		// Longest first, so a whole URL is replaced before its parts.
		secrets = append(secrets, u.String(), u.Redacted(), u.RequestURI(), u.EscapedPath(), u.RawQuery)
		if p, ok := u.User.Password(); ok {
			secrets = append(secrets, p)
		}
	}
	return notify.Scrub(err, secrets...)
}
