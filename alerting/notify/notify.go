package notify

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/accesswatch/accesswatch/internal/backoff"
	"github.com/accesswatch/accesswatch/internal/model"
)

// Notifier sends groups of event updates to one receiver.
type Notifier interface {
	// Name identifies the receiver in routes, the log and stats; unique per dispatcher.
	Name() string
	// Notify sends one group of updates (same incident, same phase) and returns a reference to
	// thread later messages under (Slack ts), if any. ref is the reference of the incident's
	// first message for this receiver, "" if none.
	Notify(ctx context.Context, g Group, ref string) (newRef string, err error)
}

// Group is one notification of one incident: the updates of its events since its previous
// notification, each with its own phase and seq (an update of a group in phase "updated" may be
// an opening of an event that joined the incident, or the closing of one of its events).
//
// Phase is the incident's: opened (the receiver's first notification of the incident),
// updated (a real change: an event joined, widened, narrowed or ended while others stay open),
// closed (no event of the incident is open any more) or reminder (only reminders).
type Group struct {
	IncidentID string
	Phase      string
	Updates    []model.EventUpdate
	At         time.Time // when the group was flushed
	// URL is the incident page's absolute URL (Options.PublicURL + Path), "" without a public
	// URL; Path is its path on the collector, /incidents/{id}.
	URL  string
	Path string
}

// PartialError is a failure after the first Sent updates of a group were delivered (a webhook
// posts one request per update): the dispatcher records those as sent and retries only the rest,
// so no receiver gets an update twice.
type PartialError struct {
	Sent int
	Err  error
}

func (e *PartialError) Error() string { return e.Err.Error() }
func (e *PartialError) Unwrap() error { return e.Err }

// Partial wraps err, classified as Retryable or Permanent, with the number of updates delivered
// before it; sent 0 returns err as is.
func Partial(sent int, err error) error {
	if sent <= 0 || err == nil {
		return err
	}
	return &PartialError{Sent: sent, Err: err}
}

// sentBefore is how many of a group's updates were delivered before err.
func sentBefore(err error) int {
	var p *PartialError
	if errors.As(err, &p) {
		return p.Sent
	}
	return 0
}

// RetryableError is a failure worth trying again, after RetryAfter when the receiver said so.
type RetryableError struct {
	Err        error
	RetryAfter time.Duration
}

func (e *RetryableError) Error() string {
	if e.RetryAfter > 0 {
		return fmt.Sprintf("%v (retry after %s)", e.Err, e.RetryAfter)
	}
	return e.Err.Error()
}

func (e *RetryableError) Unwrap() error { return e.Err }

// PermanentError is a failure that will not go away by retrying (bad credentials, unknown
// channel, a 4xx other than 429).
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Retryable wraps err as a RetryableError.
func Retryable(err error, after time.Duration) error {
	return &RetryableError{Err: err, RetryAfter: after}
}

// Permanent wraps err as a PermanentError.
func Permanent(err error) error { return &PermanentError{Err: err} }

// IsPermanent reports whether err is (or wraps) a PermanentError.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}

// RetryAfter returns the delay a RetryableError asks for, 0 if none.
func RetryAfter(err error) time.Duration {
	var r *RetryableError
	if errors.As(err, &r) {
		return r.RetryAfter
	}
	return 0
}

// RedactURL keeps a URL's scheme and host only: webhook URLs carry their credentials in the
// user info, path or query.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "<redacted>"
	}
	return u.Scheme + "://" + u.Host + "/<redacted>"
}

const minSecret = 6

// scrubbedError replaces an error whose text held a secret. It unwraps only to the context
// error, if any, so errors.Is(err, context.DeadlineExceeded) still works but nothing down the
// chain can print the secret.
type scrubbedError struct {
	msg   string
	cause error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.cause }

// Scrub returns err with every occurrence of the given secrets (URLs, tokens) removed from its
// text. err is returned as is when its text holds none of them. Secrets shorter than
// minSecret are ignored: replacing "a" or "/" everywhere would garble every message.
func Scrub(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	found := false
	for _, s := range secrets {
		if len(s) < minSecret || !strings.Contains(msg, s) {
			continue
		}
		found = true
		msg = strings.ReplaceAll(msg, s, "<redacted>")
	}
	if !found {
		return err
	}
	var cause error
	switch {
	case errors.Is(err, context.Canceled):
		cause = context.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		cause = context.DeadlineExceeded
	}
	return &scrubbedError{msg: msg, cause: cause}
}

// ParseRetryAfter reads an HTTP Retry-After header, seconds or an HTTP date, capped at
// MaxRetryAfter; 0 when absent, unreadable or in the past.
func ParseRetryAfter(h string, now time.Time) time.Duration {
	return backoff.ParseRetryAfter(h, now, MaxRetryAfter)
}
