package vendors

import "testing"

func TestDefaultTokenParam(t *testing.T) {
	t.Parallel()
	tests := []struct{ kind, base, want string }{
		{KindOpenAI, "", TokenParamMaxCompletionTokens},
		{KindOpenAI, "https://api.openai.com/v1", TokenParamMaxCompletionTokens},
		{KindOpenAI, "https://eu.api.openai.com/v1", TokenParamMaxCompletionTokens},
		{KindOpenAI, "https://gateway.corp.example/v1", TokenParamMaxCompletionTokens},
		{KindOpenAICompatible, "https://API.OpenAI.com/v1", TokenParamMaxCompletionTokens},
		{KindOpenAICompatible, "https://api.groq.com/openai/v1", TokenParamMaxTokens},
		{KindOpenAICompatible, "https://api.deepseek.com", TokenParamMaxTokens},
		{KindOpenAICompatible, "https://api.together.xyz/v1", TokenParamMaxTokens},
		{KindOpenAICompatible, "https://openrouter.ai/api/v1", TokenParamMaxTokens},
		{KindOpenAICompatible, "https://api.x.ai/v1", TokenParamMaxTokens},
		{KindOpenAICompatible, "https://api.fireworks.ai/inference/v1", TokenParamMaxTokens},
		{KindOpenAICompatible, "https://api.mistral.ai/v1", TokenParamMaxTokens},
		{KindOpenAICompatible, "http://localhost:11434/v1", TokenParamMaxTokens},
		{KindOpenAICompatible, "::not a url", TokenParamMaxTokens},
		{KindAnthropic, "", ""},
		{KindGemini, "", ""},
		{KindMistral, "", ""},
	}
	for _, tc := range tests {
		if got := DefaultTokenParam(tc.kind, tc.base); got != tc.want {
			t.Errorf("DefaultTokenParam(%s, %q) = %q, want %q", tc.kind, tc.base, got, tc.want)
		}
	}
}
