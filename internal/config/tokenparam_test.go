package config

import (
	"strings"
	"testing"
)

const oneVantage = "vantages: [{id: v1, region: eu, country: DE}]\n"

func TestTokenParamErrors(t *testing.T) {
	tests := []struct{ name, yaml, want string }{
		{"unknown value", oneVantage + `providers:
  - id: p1
    kind: openai
    models: [gpt-4o]
    token_param: max_output_tokens
`, `t.yml:6: providers[0].token_param: want max_tokens or max_completion_tokens, got "max_output_tokens"`},
		{"wrong kind", oneVantage + `providers:
  - id: p1
    kind: anthropic
    models: [claude-sonnet-4-5]
    token_param: max_tokens
`, `t.yml:6: providers[0].token_param: only openai and openai_compatible providers take token_param, not "anthropic"`},
		{"compatible unknown value", oneVantage + `providers:
  - {id: p1, kind: openai_compatible, base_url: "https://api.groq.com/openai/v1", models: [m], token_param: tokens}
`, `t.yml:3: providers[0].token_param: want max_tokens or max_completion_tokens, got "tokens"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml), "t.yml", nil)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("error:\n got %v\nwant %s", err, tc.want)
			}
		})
	}
}

func TestTokenParamDefaults(t *testing.T) {
	c, err := Parse([]byte(oneVantage+`providers:
  - {id: openai, kind: openai, models: [gpt-5]}
  - {id: openai-told, kind: openai, models: [gpt-4o], token_param: max_tokens}
  - {id: compat-openai, kind: openai_compatible, base_url: "https://api.openai.com/v1", models: [gpt-4o]}
  - {id: groq, kind: openai_compatible, base_url: "https://api.groq.com/openai/v1", models: [m]}
  - {id: deepseek, kind: openai_compatible, base_url: "https://api.deepseek.com", models: [deepseek-chat]}
  - {id: local, kind: openai_compatible, base_url: "http://127.0.0.1:8000/v1", models: [m]}
  - {id: local-told, kind: openai_compatible, base_url: "http://127.0.0.1:8000/v1", models: [m], token_param: max_completion_tokens}
  - {id: claude, kind: anthropic, models: [claude-sonnet-4-5]}
  - {id: gem, kind: gemini, models: [gemini-2.5-flash]}
`), "t.yml", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"openai": "max_completion_tokens", "openai-told": "max_tokens", "compat-openai": "max_completion_tokens",
		"groq": "max_tokens", "deepseek": "max_tokens", "local": "max_tokens", "local-told": "max_completion_tokens",
		"claude": "", "gem": "",
	}
	for _, p := range c.Providers {
		if p.TokenParam != want[p.ID] {
			t.Errorf("%s: token_param = %q, want %q", p.ID, p.TokenParam, want[p.ID])
		}
	}
	// Code-built configs get the same defaults.
	cc := &Config{Vantages: []Vantage{{ID: "v1", Region: "eu", Country: "DE"}},
		Providers: []Provider{{ID: "p", Kind: "openai_compatible", BaseURL: "https://api.openai.com/v1", Models: []string{"o3"}}}}
	cc.ApplyDefaults()
	if err := cc.Validate(); err != nil || cc.Providers[0].TokenParam != "max_completion_tokens" {
		t.Errorf("code-built: token_param %q, err %v", cc.Providers[0].TokenParam, err)
	}
}

func TestWarnings(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []string // full warning texts, in order
	}{
		{"none for a sound config", oneVantage + `providers:
  - id: openai
    kind: openai
    models: [gpt-5, gpt-4o]
    checks: [{kind: generate, schedule: "@hourly"}, {kind: model, schedule: "@every 60s"}]
  - {id: groq, kind: openai_compatible, base_url: "https://api.groq.com/openai/v1/", models: [m], checks: [{kind: model, schedule: "@hourly"}]}
  - {id: claude, kind: anthropic, base_url: "https://api.anthropic.com", models: [claude-sonnet-4-5], checks: [{kind: model, schedule: "@hourly"}]}
`, nil},
		{"model check without a retrieve endpoint", oneVantage + `providers:
  - id: deepseek
    kind: openai_compatible
    base_url: "https://api.deepseek.com"
    models: [deepseek-chat]
    checks:
      - {kind: models, schedule: "@every 60s"}
      - {kind: model, schedule: "@every 60s"}
`, []string{`t.yml:9: providers[0].checks[1].kind: DeepSeek has no GET /models/{id}: a model check cannot work there; use a models or generate check`}},
		{"openrouter model check", oneVantage + `providers:
  - {id: or, kind: openai_compatible, base_url: "https://openrouter.ai/api/v1", models: [openai/gpt-4o], checks: [{kind: model, schedule: "@hourly"}]}
`, []string{`t.yml:3: providers[0].checks[0].kind: OpenRouter has no GET /models/{id}: a model check cannot work there; use a models or generate check`}},
		{"openai base_url without /v1", oneVantage + `providers:
  - id: openai
    kind: openai
    base_url: "https://api.openai.com"
    models: [gpt-4o]
`, []string{`t.yml:5: providers[0].base_url: OpenAI serves its API under "/v1", so requests to "https://api.openai.com" reach the wrong URLs; want base_url "https://api.openai.com/v1"`}},
		{"groq base_url without /openai/v1", oneVantage + `providers:
  - id: groq
    kind: openai_compatible
    base_url: "https://api.groq.com/v1"
    models: [llama-3.3-70b-versatile]
`, []string{`t.yml:5: providers[0].base_url: Groq serves its API under "/openai/v1", so requests to "https://api.groq.com/v1" reach the wrong URLs; want base_url "https://api.groq.com/openai/v1"`}},
		{"max_tokens for a reasoning model", oneVantage + `providers:
  - id: openai
    kind: openai
    models: [gpt-4o, o3-mini]
    token_param: max_tokens
    checks: [{kind: generate, schedule: "@hourly"}]
`, []string{`t.yml:6: providers[0].token_param: o3-mini is an OpenAI reasoning model: it refuses max_tokens (400 "Use 'max_completion_tokens' instead"); set token_param: max_completion_tokens`}},
		{"max_tokens for a reasoning model behind an unknown gateway", oneVantage + `providers:
  - {id: gw, kind: openai_compatible, base_url: "https://llm.corp.example/v1", models: [gpt-5-mini], checks: [{kind: generate, schedule: "@hourly"}]}
`, []string{`t.yml:3: providers[0].token_param: gpt-5-mini is an OpenAI reasoning model: it refuses max_tokens (400 "Use 'max_completion_tokens' instead"); set token_param: max_completion_tokens`}},
		{"known gateway translates max_tokens", oneVantage + `providers:
  - {id: or, kind: openai_compatible, base_url: "https://openrouter.ai/api/v1", models: [openai/o3], checks: [{kind: generate, schedule: "@hourly"}]}
`, nil},
		{"responses-only model", oneVantage + `providers:
  - id: openai
    kind: openai
    models: [o3-pro]
    checks:
      - kind: generate
        schedule: "@hourly"
`, []string{`t.yml:7: providers[0].checks[0].models: o3-pro is served only by /v1/responses: a chat-completions generate is refused (400); probe it with a model check`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse([]byte(tc.yaml), "t.yml", nil)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, w := range c.Warnings() {
				got = append(got, w.String())
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("warnings:\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}
