package config

import (
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
)

// eventKinds are the kinds routes and silences may name.
var eventKinds = []string{
	model.EventRevoked, model.EventRestored, model.EventOutage, model.EventDegraded,
	model.EventRecovered, model.EventVantageFault, model.EventMisconfigured,
	model.EventDeprecation, model.EventRetired,
}

func (v *validator) alerting() {
	a := v.c.Alerting
	receivers := map[string]string{}
	for i, w := range a.Webhooks {
		p := indexPath("alerting.webhooks", i)
		v.receiverName(p+".name", w.Name, receivers)
		// The URL is not quoted back: webhook URLs often carry a token in the path.
		if w.URL == "" {
			v.add(p+".url", "required")
		} else if !isHTTPURL(w.URL) {
			v.add(p+".url", "want an absolute http(s) URL")
		}
	}
	for i, s := range a.Slack {
		p := indexPath("alerting.slack", i)
		v.receiverName(p+".name", s.Name, receivers)
		switch {
		case (s.WebhookURL == "") == (s.Token == ""):
			v.add(p, "set exactly one of webhook_url (incoming webhook) or token (bot token, with channel)")
		case s.WebhookURL != "" && !isHTTPURL(s.WebhookURL.Reveal()):
			v.add(p+".webhook_url", "want an absolute http(s) URL")
		case s.Token != "" && s.Channel == "":
			v.add(p+".channel", "required with a bot token")
		case s.WebhookURL != "" && s.Channel != "":
			v.add(p+".channel", "an incoming webhook posts to its own channel; set channel only with a token")
		}
		v.optionalURL(p+".api_url", s.APIURL)
	}
	regions := map[string]bool{}
	for _, vt := range v.c.Vantages {
		regions[vt.Region] = true
	}
	providers := map[string]bool{}
	for _, pr := range v.c.Providers {
		providers[pr.ID] = true
	}
	for i, r := range a.Routes {
		p := indexPath("alerting.routes", i)
		if len(r.Receivers) == 0 {
			v.add(p+".receivers", "required: name at least one receiver")
		}
		for j, name := range r.Receivers {
			if _, ok := receivers[name]; !ok {
				v.add(indexPath(p+".receivers", j), "unknown receiver %q (have %s)", name, known(receivers))
			}
		}
		v.matchers(p, r.Providers, r.Regions, r.Kinds, providers, regions)
	}
	for i, s := range a.Silences {
		p := indexPath("alerting.silences", i)
		v.matchers(p, s.Providers, s.Regions, s.Kinds, providers, regions)
		starts, okS := v.rfc3339(p+".starts", s.Starts)
		ends, okE := v.rfc3339(p+".ends", s.Ends)
		if okS && okE && !ends.After(starts) {
			v.add(p+".ends", "must be after starts (%s)", s.Starts)
		}
	}
	if a.GroupWait < 0 || a.GroupWait.D() > 5*time.Minute {
		v.add("alerting.group_wait", "must be from 0s to 5m, got %q", a.GroupWait)
	}
	if a.GroupInterval.D() < time.Second || a.GroupInterval.D() > time.Hour {
		v.add("alerting.group_interval", "must be from 1s to 1h, got %q", a.GroupInterval)
	} else if a.GroupInterval < a.GroupWait {
		v.add("alerting.group_interval", "must not be shorter than group_wait (%s), got %q", a.GroupWait, a.GroupInterval)
	}
	v.publicURL(v.c.Server.PublicURL)
	v.positive("alerting.incident_window", a.IncidentWindow)
	if a.ReminderInterval < 0 || (a.ReminderInterval > 0 && a.ReminderInterval.D() < time.Minute) {
		v.add("alerting.reminder_interval", "must be 0 (no reminders) or at least 1m, got %q", a.ReminderInterval)
	}
}

// publicURL checks server.public_url: an absolute http(s) URL, optionally with a path prefix,
// that links can be appended to (no credentials, query or fragment).
func (v *validator) publicURL(s string) {
	if s == "" {
		return
	}
	u, err := url.Parse(s)
	switch {
	case err != nil || !isHTTPURL(s):
		v.add("server.public_url", "want an absolute http(s) URL like https://watch.example.org, got %s", shownURL(s))
	case u.User != nil:
		v.add("server.public_url", "must not carry credentials: it is shown in every notification")
	case u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(s, "?") || strings.HasSuffix(s, "#"):
		v.add("server.public_url", "want a base URL without query or fragment (pages are appended to it), got %s", shownURL(s))
	case strings.ContainsAny(s, " |<>\"\\"):
		v.add("server.public_url", "must not contain spaces or any of | < > \" \\, got %s", shownURL(s))
	}
}

func (v *validator) receiverName(path, name string, seen map[string]string) {
	if !idRE.MatchString(name) {
		v.add(path, `want only a-z, 0-9, ".", "_" and "-", got %q`, name)
		return
	}
	if first, dup := seen[name]; dup {
		v.add(path, "duplicate receiver name %q (first at %s)", name, parentPath(first))
		return
	}
	seen[name] = path
}

func (v *validator) matchers(p string, providers, regions, kinds []string, knownProviders, knownRegions map[string]bool) {
	for j, pr := range providers {
		if !knownProviders[pr] {
			v.add(indexPath(p+".providers", j), "unknown provider %q", pr)
		}
	}
	for j, r := range regions {
		if !knownRegions[r] {
			v.add(indexPath(p+".regions", j), "no vantage is in region %q", r)
		}
	}
	for j, k := range kinds {
		if !slices.Contains(eventKinds, k) {
			v.add(indexPath(p+".kinds", j), "want one of %s, got %q", strings.Join(eventKinds, ", "), k)
		}
	}
}

func (v *validator) rfc3339(path, s string) (time.Time, bool) {
	if s == "" {
		v.add(path, "required (RFC 3339, e.g. 2026-12-01T02:00:00Z)")
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		v.add(path, "want an RFC 3339 time like 2026-12-01T02:00:00Z, got %q", s)
		return time.Time{}, false
	}
	return t, true
}

func known(m map[string]string) string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	slices.Sort(names)
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}
