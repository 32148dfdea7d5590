package logredact_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/accesswatch/accesswatch/internal/logredact"
)

const canary = "Zq8T0mVx4LpR2sKd9NwY7cHb1JfG6uAe3XiO5nBt"

type stringer struct{}

func (stringer) String() string { return "conn to proxy with " + canary }

func TestHandlerRedacts(t *testing.T) {
	t.Parallel()
	for _, json := range []bool{false, true} {
		var buf bytes.Buffer
		var inner slog.Handler = slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})
		if json {
			inner = slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})
		}
		log := slog.New(logredact.New(inner, []string{canary}))
		log = log.With("key", strings.ToUpper(canary)).WithGroup("g-" + canary)
		log.Info("failed with key "+canary,
			"err", fmt.Errorf("post: %w", errors.New("401 for "+strings.ToLower(canary))),
			"header", "Authorization: Bearer "+canary,
			"raw", []byte("body "+canary),
			"stringer", stringer{},
			"shape", "sk-ant-api03-abcdefghijklmnopqrstuvwxyz",
			slog.Group("nested", "v", "x"+canary+"x", canary, 1),
			"count", 42, "plain", "req_011CYhr1kdGzCrPHfrhibMen")
		out := buf.String()
		if strings.Contains(strings.ToLower(out), strings.ToLower(canary)) || strings.Contains(out, "sk-ant-api03") {
			t.Errorf("json=%v: log holds a secret:\n%s", json, out)
		}
		for _, keep := range []string{"42", "req_011CYhr1kdGzCrPHfrhibMen", "[REDACTED]"} {
			if !strings.Contains(out, keep) {
				t.Errorf("json=%v: log lost %q:\n%s", json, keep, out)
			}
		}
	}
}

func TestWrapNil(t *testing.T) {
	t.Parallel()
	if logredact.Wrap(nil, nil) != nil {
		t.Error("Wrap(nil) not nil")
	}
}
