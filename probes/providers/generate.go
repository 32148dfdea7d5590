package providers

import (
	"strings"

	"github.com/accesswatch/accesswatch/internal/vendors"
)

// The cheapest generation each model accepts.
//
// Every generate check asks for the smallest output the vendor accepts for that model, with
// reasoning ("thinking") turned down as far as the model allows, so a probe costs a handful of
// tokens and still proves the model ran. An answer cut short by our budget (OpenAI
// finish_reason "length" or its 400 "Could not finish the message because max_tokens or model
// output limit was reached", Anthropic stop_reason "max_tokens", Gemini finishReason
// "MAX_TOKENS") is the model answering; probes/classify reads it as ok.
//
// OpenAI reasoning models (o1, o3, o4-mini, the gpt-5 family):
//   - They reject max_tokens ("Unsupported parameter: 'max_tokens' is not supported with this
//     model. Use 'max_completion_tokens' instead."), so OpenAI always gets
//     max_completion_tokens. Sources: https://github.com/simonw/llm/issues/724 (the API
//     reference: "max_tokens … not compatible with o1 series models"),
//     https://github.com/softwaremill/sttp-ai/pull/494.
//   - Reasoning tokens come out of max_completion_tokens. With max_completion_tokens 1 they
//     answer 400 "Could not finish the message because max_tokens or model output limit was
//     reached. Please try again with higher max_tokens." (an o3-mini test of the llmgine
//     project asserts exactly this for max_completion_tokens=1; gpt-5.x through LiteLLM and
//     Azure: reports found by code search, 2026). A user who measured the gpt-5 models with
//     a one-token probe wrote "16 was enough for every gpt-5 model measured" (a project's
//     defect log, 2026-08-14, found by code search for the message above). With the lowest
//     reasoning effort the model thinks least, so our budget is vendors.OpenAIReasoningBudget = 16
//     with the lowest accepted effort: it usually yields a 200 (finish_reason "stop" or
//     "length"), and when a model still thinks past it, the 400 above is read as ok. The
//     cost is at most 16 output tokens a probe.
//   - The lowest reasoning_effort differs by family and an unsupported value is a 400
//     unsupported_value, so it is sent only where the value is known to be accepted:
//     gpt-5 / gpt-5-mini / gpt-5-nano: "minimal" (supported values 'minimal', 'low', 'medium',
//     'high': https://github.com/kaitranntt/ccs/issues/344; OpenAI's launch note quoted in
//     https://github.com/QuantumNous/new-api/pull/1525);
//     gpt-5.1 and later gpt-5.N: "none" ("Unsupported value: 'minimal' is not supported with
//     the 'gpt-5.1' model. Supported values are: 'none', 'low', 'medium', and 'high'.":
//     https://github.com/anomalyco/opencode/issues/4451,
//     https://github.com/livekit/agents/pull/3966);
//     o1, o3, o3-mini, o4-mini and the codex models: "low" (o3 "supported only low, medium,
//     and high": OpenAI's note quoted in https://github.com/davidmigloz/langchain_dart/pull/760);
//     o1-mini, o1-preview and the -pro models: not sent (the first two take no
//     reasoning_effort; -pro accepts only "high").
//   - gpt-5-chat-latest is not a reasoning model and keeps a 1-token budget.
//
// Gemini thinking models (thinkingConfig, generationConfig.maxOutputTokens 1):
//   - gemini-2.5-flash and -flash-lite: thinkingBudget 0 turns thinking off
//     ("The thinkingBudget must be an integer in the range 0 to 24576. Setting the thinking
//     budget to 0 disables thinking." https://ai.google.dev/gemini-api/docs/thinking#set-budget,
//     quoted in https://github.com/lobehub/lobehub/pull/8122).
//   - gemini-2.5-pro cannot turn thinking off; its smallest budget is 128 ("You cannot turn
//     thinking off when using Gemini 2.5 Pro, the lowest budget is 128", same page; a 0 is a 400
//     "The model does not support setting thinking_budget to 0":
//     https://github.com/earendil-works/pi/issues/3460,
//     https://github.com/saurabhav88/EnviousWispr/issues/1769 verified 128 live at HTTP 200).
//   - gemini-3: thinkingLevel replaces thinkingBudget (sending both is a 400); Gemini 3 Pro
//     takes "low" or "high", Gemini 3 Flash also "minimal" and "medium"
//     (https://github.com/enricoros/big-AGI/issues/893 quoting the thinking guide;
//     https://docs.litellm.ai/blog/gemini_3_flash). Flash models get MINIMAL, the others LOW,
//     spelt as the enum names google.golang.org/genai sends (ThinkingLevelMinimal = "MINIMAL").
//   - maxOutputTokens caps thinking and answer together (measured:
//     https://github.com/vectorize-io/hindsight/issues/3365,
//     https://github.com/googleapis/python-genai/issues/2062), so 1 bounds the cost whatever
//     the thinking setting; a model that spent the token thinking answers 200 with
//     finishReason "MAX_TOKENS" and no text (https://github.com/googleapis/python-genai/issues/811,
//     https://github.com/stanford-crfm/helm/pull/3804). The thinking setting is still sent so
//     the cost stays bounded should the two budgets ever be counted apart, as the docs say.
//   - Image, audio, TTS, live and embedding variants take no thinkingConfig; they and every
//     older model get maxOutputTokens 1 alone.
//
// Anthropic: max_tokens 1 works for every model. Extended thinking is off unless a request
// sets "thinking" (type "enabled" with budget_tokens ≥ 1024, or "adaptive" on Claude 4.7+):
// https://platform.claude.com/docs/en/build-with-claude/extended-thinking. We never set it.
//
// Mistral and openai_compatible vendors: max_tokens 1 (or max_completion_tokens 1 where the
// provider's token_param says so); reasoning models of OpenAI reached through a compatible
// gateway ("openai/o3" on OpenRouter) get the OpenAI treatment above.

// Token-limit parameters of a chat completion (config key token_param).
const (
	TokenParamMaxTokens           = vendors.TokenParamMaxTokens
	TokenParamMaxCompletionTokens = vendors.TokenParamMaxCompletionTokens
)

// chatRequest is a minimal chat completion (OpenAI, compatible vendors, Mistral).
type chatRequest struct {
	Model               string    `json:"model"`
	MaxCompletionTokens int       `json:"max_completion_tokens,omitempty"`
	MaxTokens           int       `json:"max_tokens,omitempty"`
	ReasoningEffort     string    `json:"reasoning_effort,omitempty"`
	Messages            []message `json:"messages"`
}

// chatCompletion is the cheapest chat completion modelID accepts; tokenParam picks the
// token-limit field (TokenParamMaxTokens when ""), and reasoning says whether OpenAI's
// reasoning models get their budget and effort (OpenAI and compatible gateways, not Mistral).
func chatCompletion(modelID, tokenParam string, reasoning bool) chatRequest {
	r := chatRequest{Model: modelID, Messages: userPrompt()}
	budget := 1
	if reasoning {
		if rm, ok := vendors.OpenAIReasoningModel(modelID); ok {
			budget, r.ReasoningEffort = rm.Budget, rm.Effort
		}
	}
	if tokenParam == TokenParamMaxCompletionTokens {
		r.MaxCompletionTokens = budget
	} else {
		r.MaxTokens = budget
	}
	return r
}

// GeminiThinking is the thinkingConfig a generate probe sends to a Gemini model.
type GeminiThinking struct {
	Budget *int   `json:"thinkingBudget,omitempty"` // Gemini 2.5
	Level  string `json:"thinkingLevel,omitempty"`  // Gemini 3
}

// GeminiThinkingFor returns the smallest thinking setting modelID accepts, or nil for models
// that take none (pre-2.5, image/audio/TTS/live/embedding variants, -latest aliases whose
// generation is not in the name).
func GeminiThinkingFor(modelID string) *GeminiThinking {
	id := strings.ToLower(strings.TrimPrefix(modelID, "models/"))
	for _, v := range []string{"-image", "-tts", "-audio", "-live", "embedding"} {
		if strings.Contains(id, v) {
			return nil
		}
	}
	budget := func(n int) *GeminiThinking { return &GeminiThinking{Budget: &n} }
	switch {
	case strings.HasPrefix(id, "gemini-2.5-pro"):
		return budget(128)
	case strings.HasPrefix(id, "gemini-2.5-flash"):
		return budget(0)
	case strings.HasPrefix(id, "gemini-3"):
		if strings.Contains(id, "-flash") {
			return &GeminiThinking{Level: "MINIMAL"}
		}
		return &GeminiThinking{Level: "LOW"}
	}
	return nil
}
