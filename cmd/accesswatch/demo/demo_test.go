package demo

import (
	"context"
	"github.com/accesswatch/accesswatch/internal/testkit"
	"strings"
	"testing"
	"time"
)

// TestDemoReplaysTimeline runs the demo end to end (simulated vendor, four vantages on
// 127.0.{1..4}.1, the store and API) and reads the matrix it prints after each step.
func TestDemoReplaysTimeline(t *testing.T) {
	var out testkit.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	err := Run(ctx, Options{Listen: "127.0.0.1:0", Step: 3 * time.Second, Every: time.Second, DataDir: t.TempDir(), Out: &out})
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	text := out.String()
	steps := strings.Split(text, "== TIMELINE ")
	if len(steps) != 5 {
		t.Fatalf("printed %d timeline steps, want 4:\n%s", len(steps)-1, text)
	}
	// Regions in the matrix are sorted: australia europe india us.
	want := []map[string]string{
		{"claude-fable-5": "available available available available", "claude-sonnet-4-5": "available available available available"},
		{"claude-fable-5": "revoked revoked revoked available", "claude-mythos-5": "revoked revoked revoked available", "claude-sonnet-4-5": "available available available available", "gpt-5.1": "available available available available"},
		{"claude-fable-5": "revoked revoked revoked revoked", "claude-mythos-5": "revoked revoked revoked revoked", "claude-sonnet-4-5": "available available available available"},
		{"claude-fable-5": "available available available available", "claude-mythos-5": "available available available available"},
	}
	for i, w := range want {
		got := matrixRows(steps[i+1])
		for m, row := range w {
			if got[m] != row {
				t.Errorf("step %d, %s: %q, want %q\n%s", i+1, m, got[m], row, steps[i+1])
			}
		}
	}
	// Detection announced the revocation and its restoration for both models, never for the
	// control models.
	for _, m := range []string{"claude-fable-5", "claude-mythos-5"} {
		var opened, global, closed bool
		for _, line := range strings.Split(text, "\n") {
			_, after, ok := strings.Cut(line, ">> ")
			f := strings.Fields(after)
			if !ok || len(f) < 4 || f[3] != "anthropic/"+m {
				continue
			}
			opened = opened || f[0] == "OPENED" && f[1] == "revoked" && f[2] == "regional"
			global = global || f[0] == "UPDATED" && f[2] == "global"
			closed = closed || f[0] == "CLOSED" && f[1] == "restored" && strings.Contains(line, " after ")
		}
		if !opened || !global || !closed {
			t.Errorf("%s: opened regional %v, widened to global %v, closed restored %v\n%s", m, opened, global, closed, text)
		}
	}
	for _, line := range strings.Split(text, "\n") {
		if strings.Contains(line, ">> ") && (strings.Contains(line, "claude-sonnet-4-5") || strings.Contains(line, "gpt-5.1")) {
			t.Errorf("a control model raised an event: %s", line)
		}
	}
	if !strings.Contains(text, "demo done:") {
		t.Errorf("no summary line:\n%s", text)
	}
}

// matrixRows reads "provider/model  cell cell …" rows of the matrix printed in one step.
func matrixRows(step string) map[string]string {
	rows := map[string]string{}
	in := false
	for _, line := range strings.Split(step, "\n") {
		f := strings.Fields(line)
		switch {
		case strings.Contains(line, "observed now:"):
			in = true
		case in && len(f) == 5 && strings.Contains(f[0], "/"):
			rows[f[0][strings.Index(f[0], "/")+1:]] = strings.Join(f[1:], " ")
		}
	}
	return rows
}
