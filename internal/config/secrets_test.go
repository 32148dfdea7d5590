package config

import (
	"slices"
	"testing"
)

func TestSecrets(t *testing.T) {
	t.Parallel()
	c := &Config{
		Store:   Store{Influx: Influx{URL: "http://influx:8086", Token: "influxuser:influxpass"}},
		Grafana: Grafana{URL: "https://admin:grafpass@grafana.example", Token: "glsa_grafana_token"},
		Agent:   Agent{Token: "agent-token-1", CollectorURL: "https://collector.example"},
		Collector: Collector{Agents: []AgentAuth{
			{ID: "a", Tokens: []Secret{"collector-token-old", "collector-token-new"}},
		}},
		Vantages: []Vantage{{ID: "v", Proxy: "http://proxyuser:proxypass@proxy.example:3128"}},
		Providers: []Provider{{
			ID: "p", APIKey: "0123456789abcdef0123456789abcdef",
			Headers: map[string]string{"OpenAI-Organization": "org-visible", "X-Relay-Token": "relaytok", "Authorization": "Bearer hdrbearer"},
		}},
		Alerting: Alerting{
			Webhooks: []Webhook{{URL: "https://hook.example/x", Secret: "hmac-secret"}},
			Slack:    []Slack{{WebhookURL: "https://hooks.slack.com/services/T000/B000/slacktoken"}, {Token: "xoxb-bot-token", Channel: "#c"}},
		},
	}
	got := c.Secrets()
	for _, want := range []string{
		"influxuser:influxpass", "influxpass", "grafpass", "glsa_grafana_token", "agent-token-1",
		"collector-token-old", "collector-token-new", "proxypass", "0123456789abcdef0123456789abcdef",
		"relaytok", "Bearer hdrbearer", "hdrbearer", "hmac-secret",
		"https://hooks.slack.com/services/T000/B000/slacktoken", "T000/B000/slacktoken", "slacktoken", "xoxb-bot-token",
	} {
		if !slices.Contains(got, want) {
			t.Errorf("Secrets() misses %q: %q", want, got)
		}
	}
	for _, not := range []string{"org-visible", "", "https://hook.example/x", "proxyuser"} {
		if slices.Contains(got, not) {
			t.Errorf("Secrets() holds %q, which is no secret", not)
		}
	}
	if !slices.IsSortedFunc(got, func(a, b string) int { return len(b) - len(a) }) {
		t.Errorf("Secrets() not longest first: %q", got)
	}
	if (*Config)(nil).Secrets() != nil {
		t.Error("nil config has secrets")
	}
}

// A local server's dummy key is no secret: scrubbing "EMPTY" or "none" from every answer in any
// case would change how answers read.
func TestSecretsSkipPlaceholders(t *testing.T) {
	t.Parallel()
	c := &Config{Providers: []Provider{
		{ID: "vllm", APIKey: "EMPTY"}, {ID: "ollama", APIKey: "ollama"}, {ID: "x", APIKey: "abc"},
		{ID: "real", APIKey: "Zq8T0mVx4LpR2sKd"},
	}}
	if got := c.Secrets(); len(got) != 1 || got[0] != "Zq8T0mVx4LpR2sKd" {
		t.Errorf("Secrets() = %q, want only the real key", got)
	}
}
