// Package vendors is what accesswatch knows of the model vendors' APIs beyond any one request:
// provider kinds, the OpenAI-compatible hosts we know (base path, token field, whether a model can
// be retrieved) and OpenAI's reasoning-model families. Config validation and the provider
// adapters both read it; it imports nothing of ours (probes/providers documents the budgets).
package vendors

import (
	"net/url"
	"strings"
)

// Provider kinds.
const (
	KindAnthropic        = "anthropic"
	KindOpenAI           = "openai"
	KindOpenAICompatible = "openai_compatible"
	KindGemini           = "gemini"
	KindMistral          = "mistral"
)

// Token-limit parameters of a chat completion (config key token_param).
const (
	TokenParamMaxTokens           = "max_tokens"
	TokenParamMaxCompletionTokens = "max_completion_tokens"
)

// OpenAIReasoningBudget is the max_completion_tokens of a generate to an OpenAI reasoning model.
const OpenAIReasoningBudget = 16

// OpenAIReasoning is how a generate probe asks an OpenAI reasoning model for its cheapest answer.
type OpenAIReasoning struct {
	Budget int    // max_completion_tokens
	Effort string // reasoning_effort; "" when the model takes none we can lower
}

// OpenAIReasoningModel reports whether modelID names an OpenAI reasoning model (o-series, the
// gpt-5 family) and, if so, the budget and effort a generate probe sends. Vendor prefixes of
// gateways ("openai/o3") and fine-tune ids ("ft:o4-mini-2025-04-16:org::id") are understood.
func OpenAIReasoningModel(modelID string) (OpenAIReasoning, bool) {
	id := strings.ToLower(modelID)
	if i := strings.LastIndexByte(id, '/'); i >= 0 {
		id = id[i+1:]
	}
	if rest, ok := strings.CutPrefix(id, "ft:"); ok {
		id, _, _ = strings.Cut(rest, ":")
	}
	family := func(names ...string) bool {
		for _, n := range names {
			if id == n || strings.HasPrefix(id, n+"-") {
				return true
			}
		}
		return false
	}
	r := OpenAIReasoning{Budget: OpenAIReasoningBudget}
	switch {
	case family("o1-mini", "o1-preview"):
		// No reasoning_effort parameter on these.
	case family("o1-pro", "o3-pro", "gpt-5-pro"):
		// Only "high" is accepted: leave the default.
	case family("o1", "o3", "o3-mini", "o4-mini", "gpt-5-codex", "codex-mini"):
		r.Effort = "low"
	case family("gpt-5-chat"):
		return OpenAIReasoning{}, false // a chat model, not a reasoning one
	case family("gpt-5", "gpt-5-mini", "gpt-5-nano"):
		r.Effort = "minimal"
	case strings.HasPrefix(id, "gpt-5."):
		switch {
		case strings.Contains(id, "-pro"), strings.Contains(id, "-chat"):
			// -pro takes only its default; -chat variants' efforts are not documented.
		case strings.Contains(id, "-codex"):
			r.Effort = "low"
		default:
			r.Effort = "none"
		}
	default:
		return OpenAIReasoning{}, false
	}
	return r, true
}

// Host is what we know of a vendor's OpenAI-compatible API at a base-URL host.
type Host struct {
	Vendor string
	// Path is the base path the API lives under ("/v1", "/openai/v1"); a base_url without it
	// reaches the wrong URLs.
	Path string
	// TokenParam is the token-limit field the vendor is probed with.
	TokenParam string
	// NoRetrieve is set when the vendor has no GET /models/{id}: a model check cannot work.
	NoRetrieve bool
}

// knownHosts: base paths and token fields from each vendor's API reference.
//   - api.openai.com: /v1, max_completion_tokens (max_tokens is deprecated and refused by
//     reasoning models; see above). Data-residency hosts us./eu. alike.
//   - api.groq.com: /openai/v1; takes max_tokens and max_completion_tokens
//     (https://github.com/groq/groq-python/pull/175 added the latter beside the former).
//   - api.deepseek.com: "" or /v1; max_tokens (api-docs.deepseek.com); GET /models only.
//   - api.together.xyz: /v1; max_tokens; no single-model retrieve.
//   - openrouter.ai: /api/v1; max_tokens; no /models/{id} (model pages are
//     /models/{author}/{slug}/endpoints).
//   - api.x.ai: /v1; max_tokens; GET /v1/models/{id} exists.
//   - api.fireworks.ai: /inference/v1; max_tokens.
//   - api.mistral.ai: /v1; max_tokens.
//   - api.cerebras.ai: /v1; max_tokens.
//   - api.perplexity.ai: "" (no version segment); max_tokens; no models endpoint.
//   - generativelanguage.googleapis.com (Gemini's OpenAI layer): /v1beta/openai; max_tokens.
//   - api.anthropic.com (Claude's OpenAI SDK layer): /v1; max_tokens.
var knownHosts = map[string]Host{
	"api.openai.com":                    {Vendor: "OpenAI", Path: "/v1", TokenParam: TokenParamMaxCompletionTokens},
	"us.api.openai.com":                 {Vendor: "OpenAI", Path: "/v1", TokenParam: TokenParamMaxCompletionTokens},
	"eu.api.openai.com":                 {Vendor: "OpenAI", Path: "/v1", TokenParam: TokenParamMaxCompletionTokens},
	"api.groq.com":                      {Vendor: "Groq", Path: "/openai/v1", TokenParam: TokenParamMaxTokens},
	"api.deepseek.com":                  {Vendor: "DeepSeek", TokenParam: TokenParamMaxTokens, NoRetrieve: true},
	"api.together.xyz":                  {Vendor: "Together", Path: "/v1", TokenParam: TokenParamMaxTokens, NoRetrieve: true},
	"openrouter.ai":                     {Vendor: "OpenRouter", Path: "/api/v1", TokenParam: TokenParamMaxTokens, NoRetrieve: true},
	"api.x.ai":                          {Vendor: "xAI", Path: "/v1", TokenParam: TokenParamMaxTokens},
	"api.fireworks.ai":                  {Vendor: "Fireworks", Path: "/inference/v1", TokenParam: TokenParamMaxTokens},
	"api.mistral.ai":                    {Vendor: "Mistral", Path: "/v1", TokenParam: TokenParamMaxTokens},
	"api.cerebras.ai":                   {Vendor: "Cerebras", Path: "/v1", TokenParam: TokenParamMaxTokens},
	"api.perplexity.ai":                 {Vendor: "Perplexity", TokenParam: TokenParamMaxTokens, NoRetrieve: true},
	"generativelanguage.googleapis.com": {Vendor: "Gemini", Path: "/v1beta/openai", TokenParam: TokenParamMaxTokens},
	"api.anthropic.com":                 {Vendor: "Anthropic", Path: "/v1", TokenParam: TokenParamMaxTokens},
}

// KnownHost returns what is known of the OpenAI-compatible API at baseURL's host.
func KnownHost(baseURL string) (Host, bool) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return Host{}, false
	}
	h, ok := knownHosts[strings.ToLower(u.Hostname())]
	return h, ok
}

// DefaultTokenParam is the token-limit field a chat completion of kind (openai or
// openai_compatible) at baseURL sends when the config does not say: OpenAI's own API takes
// max_completion_tokens, every other compatible vendor we know max_tokens, and so do unknown
// ones (self-hosted servers and older gateways know only max_tokens). Other kinds: "".
func DefaultTokenParam(kind, baseURL string) string {
	h, known := KnownHost(baseURL)
	switch {
	case kind != KindOpenAI && kind != KindOpenAICompatible:
		return ""
	case known:
		return h.TokenParam
	case kind == KindOpenAI:
		return TokenParamMaxCompletionTokens
	}
	return TokenParamMaxTokens
}
