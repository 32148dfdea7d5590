package providers_test

import (
	"context"
	"encoding/json"
	"io"
	"reflect"
	"testing"

	"github.com/accesswatch/accesswatch/internal/model"
	"github.com/accesswatch/accesswatch/probes/providers"
)

// generateBody builds a generate request and returns its JSON body, decoded.
func generateBody(t *testing.T, target providers.Target, modelID string) map[string]any {
	t.Helper()
	a, err := providers.NewRegistry().Lookup(target.Kind)
	if err != nil {
		t.Fatal(err)
	}
	req, err := a.Request(context.Background(), target, model.CheckGenerate, modelID)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(req.Body)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("body %s: %v", b, err)
	}
	return got
}

func TestOpenAIGenerateBudgets(t *testing.T) {
	t.Parallel()
	openai := providers.Target{Kind: providers.KindOpenAI}
	compat := func(base, param string) providers.Target {
		return providers.Target{Kind: providers.KindOpenAICompatible, BaseURL: base, TokenParam: param}
	}
	tests := []struct {
		name   string
		target providers.Target
		model  string
		want   map[string]any // token fields and reasoning_effort; absent keys must be absent
	}{
		{"chat model", openai, "gpt-4o", map[string]any{"max_completion_tokens": 1.0}},
		{"gpt-5 minimal", openai, "gpt-5", map[string]any{"max_completion_tokens": 16.0, "reasoning_effort": "minimal"}},
		{"gpt-5 dated", openai, "gpt-5-mini-2025-08-07", map[string]any{"max_completion_tokens": 16.0, "reasoning_effort": "minimal"}},
		{"gpt-5-nano", openai, "gpt-5-nano", map[string]any{"max_completion_tokens": 16.0, "reasoning_effort": "minimal"}},
		{"gpt-5-chat is not reasoning", openai, "gpt-5-chat-latest", map[string]any{"max_completion_tokens": 1.0}},
		{"gpt-5.1 none", openai, "gpt-5.1", map[string]any{"max_completion_tokens": 16.0, "reasoning_effort": "none"}},
		{"gpt-5.2 mini none", openai, "gpt-5.2-mini", map[string]any{"max_completion_tokens": 16.0, "reasoning_effort": "none"}},
		{"gpt-5.1-codex low", openai, "gpt-5.1-codex", map[string]any{"max_completion_tokens": 16.0, "reasoning_effort": "low"}},
		{"gpt-5-pro default effort", openai, "gpt-5-pro", map[string]any{"max_completion_tokens": 16.0}},
		{"o1 low", openai, "o1", map[string]any{"max_completion_tokens": 16.0, "reasoning_effort": "low"}},
		{"o1-mini no effort", openai, "o1-mini-2024-09-12", map[string]any{"max_completion_tokens": 16.0}},
		{"o3-mini low", openai, "o3-mini", map[string]any{"max_completion_tokens": 16.0, "reasoning_effort": "low"}},
		{"o4-mini low", openai, "o4-mini-2025-04-16", map[string]any{"max_completion_tokens": 16.0, "reasoning_effort": "low"}},
		{"fine-tuned o4-mini", openai, "ft:o4-mini-2025-04-16:acme::AbC123", map[string]any{"max_completion_tokens": 16.0, "reasoning_effort": "low"}},
		{"not o-series", openai, "omni-moderation-latest", map[string]any{"max_completion_tokens": 1.0}},
		{"openai told max_tokens", providers.Target{Kind: providers.KindOpenAI, TokenParam: providers.TokenParamMaxTokens}, "gpt-4o", map[string]any{"max_tokens": 1.0}},
		{"groq default", compat("https://api.groq.com/openai/v1", ""), "llama-3.3-70b-versatile", map[string]any{"max_tokens": 1.0}},
		{"deepseek default", compat("https://api.deepseek.com", ""), "deepseek-chat", map[string]any{"max_tokens": 1.0}},
		{"unknown host default", compat("http://127.0.0.1:8000/v1", ""), "qwen3", map[string]any{"max_tokens": 1.0}},
		{"compatible at api.openai.com", compat("https://api.openai.com/v1", ""), "gpt-4o", map[string]any{"max_completion_tokens": 1.0}},
		{"compatible told max_completion_tokens", compat("https://api.together.xyz/v1", providers.TokenParamMaxCompletionTokens), "meta-llama/Llama-3-8b", map[string]any{"max_completion_tokens": 1.0}},
		{"openrouter reasoning model", compat("https://openrouter.ai/api/v1", ""), "openai/o3", map[string]any{"max_tokens": 16.0, "reasoning_effort": "low"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := generateBody(t, tc.target, tc.model)
			if got["model"] != tc.model {
				t.Errorf("model = %v, want %q", got["model"], tc.model)
			}
			for _, k := range []string{"max_tokens", "max_completion_tokens", "reasoning_effort"} {
				if !reflect.DeepEqual(got[k], tc.want[k]) {
					t.Errorf("%s = %v, want %v (body %v)", k, got[k], tc.want[k], got)
				}
			}
		})
	}
}

func TestMistralAndAnthropicGenerateStayAtOneToken(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ kind, model string }{
		{providers.KindMistral, "magistral-medium-latest"},
		{providers.KindAnthropic, "claude-opus-4-1-20250805"},
		{providers.KindAnthropic, "claude-sonnet-4-5"},
	} {
		got := generateBody(t, providers.Target{Kind: tc.kind}, tc.model)
		if got["max_tokens"] != 1.0 || got["thinking"] != nil || got["reasoning_effort"] != nil || got["max_completion_tokens"] != nil {
			t.Errorf("%s %s: body %v, want max_tokens 1 and no thinking or effort", tc.kind, tc.model, got)
		}
	}
}

func TestGeminiThinking(t *testing.T) {
	t.Parallel()
	tests := []struct {
		model    string
		thinking map[string]any // nil: no thinkingConfig
	}{
		{"gemini-2.5-flash", map[string]any{"thinkingBudget": 0.0}},
		{"models/gemini-2.5-flash-lite", map[string]any{"thinkingBudget": 0.0}},
		{"gemini-2.5-flash-preview-09-2025", map[string]any{"thinkingBudget": 0.0}},
		{"gemini-2.5-pro", map[string]any{"thinkingBudget": 128.0}},
		{"gemini-2.5-pro-preview-06-05", map[string]any{"thinkingBudget": 128.0}},
		{"gemini-3-pro-preview", map[string]any{"thinkingLevel": "LOW"}},
		{"gemini-3.1-pro-preview", map[string]any{"thinkingLevel": "LOW"}},
		{"gemini-3-flash-preview", map[string]any{"thinkingLevel": "MINIMAL"}},
		{"gemini-2.5-flash-image", nil},
		{"gemini-2.5-flash-preview-tts", nil},
		{"gemini-3-pro-image-preview", nil},
		{"gemini-2.0-flash", nil},
		{"gemini-flash-latest", nil},
		{"gemma-3-27b-it", nil},
	}
	for _, tc := range tests {
		got := generateBody(t, providers.Target{Kind: providers.KindGemini}, tc.model)
		gc, _ := got["generationConfig"].(map[string]any)
		if gc["maxOutputTokens"] != 1.0 {
			t.Errorf("%s: maxOutputTokens = %v, want 1", tc.model, gc["maxOutputTokens"])
		}
		var th map[string]any
		if v, ok := gc["thinkingConfig"]; ok {
			th, _ = v.(map[string]any)
			if th == nil {
				t.Errorf("%s: thinkingConfig %v is not an object", tc.model, v)
			}
		}
		if !reflect.DeepEqual(th, tc.thinking) {
			t.Errorf("%s: thinkingConfig = %v, want %v", tc.model, th, tc.thinking)
		}
	}
}
