package config

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
	"github.com/accesswatch/accesswatch/internal/vendors"
)

// Token estimates for a generate probe: a one-word prompt with its framing, one output token
// (OpenAI's reasoning models get their larger budget: outputTokens).
const (
	generateInputTokens  = 10
	generateOutputTokens = 1
)

// outputTokens is the most a generate of modelID can bill in output tokens.
func outputTokens(kind, modelID string) float64 {
	if kind == vendors.KindOpenAI || kind == vendors.KindOpenAICompatible {
		if r, ok := vendors.OpenAIReasoningModel(modelID); ok {
			return float64(r.Budget)
		}
	}
	return generateOutputTokens
}

// Plan is what a Config makes accesswatch do: every (provider, vantage, check) with its
// cost, and totals per provider. It holds no secrets.
type Plan struct {
	Entries   []PlanEntry     `json:"entries"`
	Providers []ProviderTotal `json:"providers"`
	Total     PlanTotal       `json:"total"`
}

// PlanEntry is one check of one provider run from one vantage.
type PlanEntry struct {
	Vantage      string   `json:"vantage"`
	Region       string   `json:"region"`
	Country      string   `json:"country"`
	Provider     string   `json:"provider"`
	ProviderKind string   `json:"provider_kind"`
	Check        string   `json:"check"`
	Models       []string `json:"models,omitempty"`
	Schedule     string   `json:"schedule"`
	// Interval is the mean time between runs (exact for @every).
	Interval        time.Duration `json:"-"`
	IntervalSeconds float64       `json:"interval_seconds"`
	RunsPerDay      float64       `json:"runs_per_day"`
	// RequestsPerRun is 1 for models and status_page checks (one request covers every
	// model) and the number of models for model, count_tokens and generate checks.
	RequestsPerRun     int     `json:"requests_per_run"`
	RequestsPerDay     float64 `json:"requests_per_day"`
	InputTokensPerDay  float64 `json:"input_tokens_per_day"`
	OutputTokensPerDay float64 `json:"output_tokens_per_day"`
	TimeoutSeconds     float64 `json:"timeout_seconds"`
}

// ProviderTotal sums a provider's entries. Tokens are billed estimates: only generate costs.
type ProviderTotal struct {
	Provider           string  `json:"provider"`
	Kind               string  `json:"kind"`
	RequestsPerDay     float64 `json:"requests_per_day"`
	InputTokensPerDay  float64 `json:"input_tokens_per_day"`
	OutputTokensPerDay float64 `json:"output_tokens_per_day"`
	TokensPerDay       float64 `json:"tokens_per_day"`
}

// PlanTotal sums every provider.
type PlanTotal struct {
	RequestsPerDay float64 `json:"requests_per_day"`
	TokensPerDay   float64 `json:"tokens_per_day"`
}

// BuildPlan resolves c (which should have passed Validate) into its plan, ordered by
// provider, vantage and check as written. An invalid schedule gives an entry that never runs.
func BuildPlan(c *Config) Plan {
	var plan Plan
	runs := map[string]float64{} // by schedule spec: counting cron runs is not free
	for _, pr := range c.Providers {
		total := ProviderTotal{Provider: pr.ID, Kind: pr.Kind}
		for _, vt := range c.VantagesFor(pr) {
			for _, ck := range pr.Checks {
				r, ok := runs[ck.Schedule]
				if !ok {
					if s, err := ParseSchedule(ck.Schedule); err == nil {
						r = runsPerDay(s)
					}
					runs[ck.Schedule] = r
				}
				e := planEntry(vt, pr, ck, r)
				total.RequestsPerDay += e.RequestsPerDay
				total.InputTokensPerDay += e.InputTokensPerDay
				total.OutputTokensPerDay += e.OutputTokensPerDay
				plan.Entries = append(plan.Entries, e)
			}
		}
		total.TokensPerDay = total.InputTokensPerDay + total.OutputTokensPerDay
		plan.Total.RequestsPerDay += total.RequestsPerDay
		plan.Total.TokensPerDay += total.TokensPerDay
		plan.Providers = append(plan.Providers, total)
	}
	return plan
}

func planEntry(vt Vantage, pr Provider, ck Check, runs float64) PlanEntry {
	e := PlanEntry{
		Vantage: vt.ID, Region: vt.Region, Country: vt.Country,
		Provider: pr.ID, ProviderKind: pr.Kind,
		Check: ck.Kind, Models: slices.Clone(ck.Models), Schedule: ck.Schedule,
		RunsPerDay:     runs,
		TimeoutSeconds: ck.Timeout.D().Seconds(),
	}
	if runs > 0 {
		e.Interval = time.Duration(float64(day) / runs).Round(time.Second)
		e.IntervalSeconds = e.Interval.Seconds()
	}
	e.RequestsPerRun = len(ck.Models)
	if ck.Kind == model.CheckModels || ck.Kind == model.CheckStatusPage {
		e.RequestsPerRun = 1
	}
	e.RequestsPerDay = runs * float64(e.RequestsPerRun)
	if ck.Kind == model.CheckGenerate {
		e.InputTokensPerDay = e.RequestsPerDay * generateInputTokens
		for _, m := range ck.Models {
			e.OutputTokensPerDay += runs * outputTokens(pr.Kind, m)
		}
	}
	return e
}

// WriteText renders the plan as aligned tables: one row per entry, then per-provider totals.
func (p Plan) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PROVIDER\tVANTAGE\tREGION\tCOUNTRY\tCHECK\tSCHEDULE\tINTERVAL\tREQ/RUN\tREQ/DAY\tMODELS")
	for _, e := range p.Entries {
		interval, models := "never", "-"
		if e.Interval > 0 {
			interval = Duration(e.Interval).String()
		}
		if len(e.Models) > 0 {
			models = strings.Join(e.Models, ",")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n",
			e.Provider, e.Vantage, e.Region, e.Country, e.Check, e.Schedule, interval,
			e.RequestsPerRun, number(e.RequestsPerDay), models)
	}
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "PROVIDER\tKIND\tREQ/DAY\tINPUT TOK/DAY\tOUTPUT TOK/DAY\tTOKENS/DAY")
	for _, t := range p.Providers {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.Provider, t.Kind, number(t.RequestsPerDay),
			number(t.InputTokensPerDay), number(t.OutputTokensPerDay), number(t.TokensPerDay))
	}
	fmt.Fprintf(tw, "total\t\t%s\t\t\t%s\n", number(p.Total.RequestsPerDay), number(p.Total.TokensPerDay))
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "models and status_page checks make one request a run for all models; model, count_tokens")
	fmt.Fprintf(tw, "and generate make one a model. generate bills ~%d input + %d output tokens a request\n",
		generateInputTokens, generateOutputTokens)
	fmt.Fprintf(tw, "(up to %d output for OpenAI reasoning models); count_tokens, models and model bill none.\n",
		vendors.OpenAIReasoningBudget)
	fmt.Fprintln(tw, "A models check also makes one GET a model missing from the list, to confirm it.")
	return tw.Flush()
}

// number prints whole numbers without decimals and others with two.
func number(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.2f", v)
}
