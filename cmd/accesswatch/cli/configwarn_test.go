package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConfigCheckWarns(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "c.yml")
	data := `vantages: [{id: v1, region: eu, country: DE}]
providers:
  - id: deepseek
    kind: openai_compatible
    base_url: "https://api.deepseek.com"
    models: [deepseek-chat]
    checks: [{kind: model, schedule: "@hourly"}]
  - id: openai
    kind: openai
    base_url: "https://api.openai.com"
    models: [o4-mini]
    token_param: max_tokens
    checks: [{kind: generate, schedule: "@hourly"}]
`
	if err := os.WriteFile(cfg, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(t, "", nil, "config", "check", "--config", cfg)
	if code != 0 || !strings.Contains(out, ": ok") {
		t.Fatalf("exit %d, stdout %q, stderr %q: warnings must not fail the check", code, out, errOut)
	}
	for _, want := range []string{
		cfg + ":7: providers[0].checks[0].kind: DeepSeek has no GET /models/{id}",
		cfg + `:10: providers[1].base_url: OpenAI serves its API under "/v1"`,
		cfg + ":12: providers[1].token_param: o4-mini is an OpenAI reasoning model",
	} {
		if !strings.Contains(errOut, "warning: "+want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if n := strings.Count(errOut, "warning: "); n != 3 {
		t.Errorf("%d warnings, want 3:\n%s", n, errOut)
	}
	// --json keeps stdout one plan document; the warnings still reach stderr.
	code, out, errOut = run(t, "", nil, "config", "check", "--config", cfg, "--json")
	var plan map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &plan) != nil || strings.Count(errOut, "warning: ") != 3 {
		t.Fatalf("--json: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	// The example config has nothing to warn about.
	code, _, errOut = run(t, "", map[string]string{"ANTHROPIC_API_KEY": "k"},
		"config", "check", "--config", "../../../internal/config/testdata/example.yml")
	if code != 0 || strings.Contains(errOut, "warning:") {
		t.Errorf("example config: exit %d, stderr:\n%s", code, errOut)
	}
}
