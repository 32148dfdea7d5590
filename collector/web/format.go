package web

import (
	"fmt"
	"html/template"
	"net/url"
	"strings"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
)

func funcs() template.FuncMap {
	return template.FuncMap{
		"utc":      fmtTime,
		"iso":      func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"dur":      fmtDuration,
		"symbol":   func(s string) string { return stateSymbol(model.State(s)) },
		"join":     strings.Join,
		"pathesc":  url.PathEscape,
		"provider": func(p, m string) string { return p + "/" + m },
	}
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// fmtDuration is coarse on purpose: readers want "3h 12m", not nanoseconds.
func fmtDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	d = d.Round(time.Minute)
	days := d / (24 * time.Hour)
	d -= days * 24 * time.Hour
	h := d / time.Hour
	m := (d - h*time.Hour) / time.Minute
	switch {
	case days > 0:
		return fmt.Sprintf("%dd %dh %dm", days, h, m)
	case h > 0:
		return fmt.Sprintf("%dh %dm", h, m)
	default:
		return fmt.Sprintf("%dm", m)
	}
}

// stateSymbol gives each state a shape as well as a colour, so the page reads without colour.
func stateSymbol(st model.State) string {
	switch st {
	case model.StateAvailable:
		return "✓"
	case model.StateDegraded:
		return "◐"
	case model.StateDown:
		return "▼"
	case model.StateRevoked:
		return "✕"
	default:
		return "?"
	}
}

// stateOrClass maps a state to a known CSS class, whatever the source sends.
func stateOrClass(st model.State) string {
	for _, k := range model.States() {
		if st == k {
			return string(k)
		}
	}
	return string(model.StateUnknown)
}

// sinceText says "09:12 UTC" for today and the full date otherwise.
func sinceText(t, now time.Time) string {
	t, now = t.UTC(), now.UTC()
	if t.Format("2006-01-02") == now.Format("2006-01-02") {
		return t.Format("15:04 UTC")
	}
	return t.Format("2006-01-02 15:04 UTC")
}
