package config

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/accesswatch/accesswatch/internal/testkit"
)

func planEnv() func(string) (string, bool) {
	return testEnv(map[string]string{
		"ANTHROPIC_API_KEY": testKey, "OPENAI_API_KEY": testKey, "GEMINI_API_KEY": testKey,
	})
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := "testdata/" + name
	testkit.Golden(t, path, got)
}

func TestPlanGolden(t *testing.T) {
	c, err := Load("testdata/plan.yml", planEnv())
	if err != nil {
		t.Fatal(err)
	}
	plan := BuildPlan(c)
	var text bytes.Buffer
	if err := plan.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	golden(t, "plan.golden", text.Bytes())
	js, err := json.MarshalIndent(plan, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "plan.json.golden", append(js, '\n'))
	if bytes.Contains(text.Bytes(), []byte("TESTSECRET")) || bytes.Contains(js, []byte("TESTSECRET")) {
		t.Error("plan shows an api key")
	}
}

func TestBuildPlan(t *testing.T) {
	c, err := Load("testdata/plan.yml", planEnv())
	if err != nil {
		t.Fatal(err)
	}
	plan := BuildPlan(c)
	find := func(provider, vantage, check string) PlanEntry {
		t.Helper()
		for _, e := range plan.Entries {
			if e.Provider == provider && e.Vantage == vantage && e.Check == check {
				return e
			}
		}
		t.Fatalf("no entry %s/%s/%s", provider, vantage, check)
		return PlanEntry{}
	}
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
	tests := []struct {
		name                  string
		e                     PlanEntry
		perRun                int
		perDay, input, output float64
		interval              string
	}{
		{"models: one request for all models", find("anthropic", "in-mumbai-1", "models"), 1, 1440, 0, 0, "1m"},
		{"count_tokens: one a model, no tokens billed", find("anthropic", "de-frankfurt-1", "count_tokens"), 2, 2 * 2880, 0, 0, "30s"},
		{"generate: check models subset", find("anthropic", "us-virginia-1", "generate"), 1, 96, 960, 96, "15m"},
		{"model: one a model", find("openai", "us-virginia-1", "model"), 3, 72, 0, 0, "1h"},
		// gpt-5 and gpt-5-mini are reasoning models: 16 output tokens each; o4 is not one.
		{"weekday cron averaged over a week", find("openai", "in-mumbai-1", "generate"), 3, 3 * 45.0 / 7, 10 * 3 * 45.0 / 7,
			(16 + 16 + 1) * 45.0 / 7, "3h44m"},
		{"status page: one request", find("openai", "in-mumbai-1", "status_page"), 1, 288, 0, 0, "5m"},
		{"default check", find("gemini", "in-mumbai-1", "models"), 1, 1440, 0, 0, "1m"},
		{"weekly", find("deepseek", "de-frankfurt-1", "models"), 1, 1.0 / 7, 0, 0, "7d"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := tc.e
			if e.RequestsPerRun != tc.perRun || !near(e.RequestsPerDay, tc.perDay) || !near(e.InputTokensPerDay, tc.input) ||
				!near(e.OutputTokensPerDay, tc.output) || Duration(e.Interval).String() != tc.interval {
				t.Errorf("entry %+v: want %d/run, %v/day, %v input and %v output tokens, interval %s", e, tc.perRun, tc.perDay,
					tc.input, tc.output, tc.interval)
			}
		})
	}
	// openai is restricted to two vantages, deepseek to one.
	count := map[string]int{}
	for _, e := range plan.Entries {
		count[e.Provider]++
	}
	if want := map[string]int{"anthropic": 9, "openai": 6, "gemini": 3, "deepseek": 1}; !equalCounts(count, want) {
		t.Errorf("entries per provider = %v, want %v", count, want)
	}
	var sum float64
	for _, p := range plan.Providers {
		sum += p.RequestsPerDay
	}
	if !near(sum, plan.Total.RequestsPerDay) {
		t.Errorf("total %v != sum of providers %v", plan.Total.RequestsPerDay, sum)
	}
}

func equalCounts(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestPlanExampleTotals(t *testing.T) {
	c, err := Load("testdata/example.yml", testEnv(map[string]string{"ANTHROPIC_API_KEY": testKey}))
	if err != nil {
		t.Fatal(err)
	}
	p := BuildPlan(c).Providers[0]
	// 2 vantages × (1440 models + 288 × 3 generate) requests; generate bills 10 in + 1 out.
	want := ProviderTotal{Provider: "anthropic", Kind: "anthropic", RequestsPerDay: 4608,
		InputTokensPerDay: 17280, OutputTokensPerDay: 1728, TokensPerDay: 19008}
	if p != want {
		t.Errorf("totals = %+v, want %+v", p, want)
	}
	var text strings.Builder
	if err := BuildPlan(c).WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "anthropic  anthropic  4608     17280          1728            19008") {
		t.Errorf("totals row missing from:\n%s", text.String())
	}
}
