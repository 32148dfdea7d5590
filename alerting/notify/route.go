package notify

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
)

// Route sends matching updates to receivers. An empty matcher field matches anything; an update
// matches when its event matches every set field (Regions: any of the event's regions; Kinds:
// the event's Kind or Condition, which never change, or its Outcome once it has ended: "revoked"
// carries a revocation's opening, changes and closing, "restored" only its closing). Empty
// Receivers means every receiver.
type Route struct {
	Receivers []string
	Providers []string
	Models    []string
	Regions   []string
	Kinds     []string
}

// Silence mutes matching updates while Starts <= now < Ends (so a zero Ends mutes nothing: a
// silence must say when it ends). Matchers
// work as in Route; a silence with no matcher mutes everything in its window.
type Silence struct {
	Providers []string
	Models    []string
	Regions   []string
	Kinds     []string
	Starts    time.Time
	Ends      time.Time
	Comment   string
}

func matchEvent(e *model.Event, providers, models, regions, kinds []string) bool {
	if len(providers) > 0 && !slices.Contains(providers, e.Provider) {
		return false
	}
	if len(models) > 0 && !slices.Contains(models, e.Model) {
		return false
	}
	if len(regions) > 0 && !slices.ContainsFunc(e.Regions, func(r string) bool { return slices.Contains(regions, r) }) {
		return false
	}
	if len(kinds) > 0 && !slices.Contains(kinds, e.Kind) && !slices.Contains(kinds, e.Condition) &&
		(e.Outcome == "" || !slices.Contains(kinds, e.Outcome)) {
		return false
	}
	return true
}

// Matches reports whether the route carries the event.
func (r Route) Matches(e *model.Event) bool {
	return matchEvent(e, r.Providers, r.Models, r.Regions, r.Kinds)
}

// Active reports whether the silence is in force at now.
func (s Silence) Active(now time.Time) bool {
	return !now.Before(s.Starts) && now.Before(s.Ends)
}

// Mutes reports whether the silence mutes the event at now.
func (s Silence) Mutes(e *model.Event, now time.Time) bool {
	return s.Active(now) && matchEvent(e, s.Providers, s.Models, s.Regions, s.Kinds)
}

// receiversFor returns the receivers an update goes to: every one without routes, else the
// union of the matching routes' receivers.
func receiversFor(routes []Route, all []string, e *model.Event) []string {
	if len(routes) == 0 {
		return all
	}
	var out []string
	for _, r := range routes {
		if !r.Matches(e) {
			continue
		}
		names := r.Receivers
		if len(names) == 0 {
			names = all
		}
		for _, n := range names {
			if !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
	}
	return out
}

// Validate checks what New cannot: unique receiver names, routes naming known receivers,
// silences that end after they start, non-negative retry settings.
func (o Options) Validate() error {
	var errs []error
	names := map[string]bool{}
	for i, n := range o.Notifiers {
		if n == nil {
			errs = append(errs, fmt.Errorf("notifier %d is nil", i))
			continue
		}
		if names[n.Name()] {
			errs = append(errs, fmt.Errorf("receiver name %q is not unique", n.Name()))
		}
		names[n.Name()] = true
	}
	for i, r := range o.Routes {
		for _, n := range r.Receivers {
			if !names[n] {
				errs = append(errs, fmt.Errorf("route %d: undefined receiver %q", i, n))
			}
		}
	}
	for i, s := range o.Silences {
		if !s.Ends.After(s.Starts) {
			errs = append(errs, fmt.Errorf("silence %d: ends must be after starts", i))
		}
	}
	if o.MaxAttempts < 0 || o.Backoff < 0 || o.MaxBackoff < 0 || o.GroupWait < 0 {
		errs = append(errs, errors.New("group_wait, max_attempts and backoffs must not be negative"))
	}
	return errors.Join(errs...)
}
