// Package logredact wraps a slog.Handler so that no configured secret and nothing key-shaped
// reaches the log: messages, attribute keys, string values, errors and anything else whose
// text holds one are redacted (redact.String) before the wrapped handler sees them.
package logredact

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/accesswatch/accesswatch/internal/redact"
)

// Handler redacts records before passing them on.
type Handler struct {
	inner   slog.Handler
	secrets []string
}

// New wraps inner; secrets are removed case-insensitively (with their URL- and JSON-escaped forms).
func New(inner slog.Handler, secrets []string) *Handler {
	return &Handler{inner: inner, secrets: redact.WithEncodings(secrets)}
}

// Wrap returns a logger writing through a redacting handler around l's.
func Wrap(l *slog.Logger, secrets []string) *slog.Logger {
	if l == nil {
		return nil
	}
	return slog.New(New(l.Handler(), secrets))
}

// Enabled defers to the wrapped handler.
func (h *Handler) Enabled(ctx context.Context, l slog.Level) bool { return h.inner.Enabled(ctx, l) }

// Handle redacts r's message and attributes and passes a copy on.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, h.redact(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.inner.Handle(ctx, out)
}

// WithAttrs redacts as before the wrapped handler keeps them.
func (h *Handler) WithAttrs(as []slog.Attr) slog.Handler {
	red := make([]slog.Attr, len(as))
	for i, a := range as {
		red[i] = h.attr(a)
	}
	return &Handler{inner: h.inner.WithAttrs(red), secrets: h.secrets}
}

// WithGroup redacts the group name too.
func (h *Handler) WithGroup(name string) slog.Handler {
	return &Handler{inner: h.inner.WithGroup(h.redact(name)), secrets: h.secrets}
}

func (h *Handler) redact(s string) string { return redact.String(s, h.secrets...) }

func (h *Handler) attr(a slog.Attr) slog.Attr {
	a.Key = h.redact(a.Key)
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		a.Value = slog.StringValue(h.redact(v.String()))
	case slog.KindGroup:
		g := v.Group()
		red := make([]slog.Attr, len(g))
		for i, ga := range g {
			red[i] = h.attr(ga)
		}
		a.Value = slog.GroupValue(red...)
	case slog.KindAny:
		switch x := v.Any().(type) {
		case error:
			a.Value = slog.StringValue(h.redact(x.Error()))
		case []byte:
			a.Value = slog.StringValue(h.redact(string(x)))
		default:
			// Keep the value's structure unless its text carries something to remove.
			text := fmt.Sprintf("%+v", x)
			if red := h.redact(text); red != text {
				a.Value = slog.StringValue(red)
			} else {
				a.Value = v
			}
		}
	default:
		a.Value = v
	}
	return a
}
