package providers

import (
	"context"
	"net/http"
	"net/url"

	"github.com/accesswatch/accesswatch/internal/model"
)

// AnthropicVersion is the anthropic-version header every request carries (the SDKs' default).
const AnthropicVersion = "2023-06-01"

// anthropic is the Claude API: x-api-key auth, base https://api.anthropic.com.
//
// The models list asks for limit=1000 (the API's maximum); when has_more is still set, the
// next page is asked with after_id=<last_id> (ParseModelPage, in catalogue.go).
type anthropic struct{}

var anthropicSpec = spec{
	kind:        KindAnthropic,
	defaultBase: "https://api.anthropic.com",
	trimVersion: "/v1",
	auth:        xAPIKey,
	headers:     map[string]string{"anthropic-version": AnthropicVersion},
}

func (anthropic) Kind() string { return KindAnthropic }

func (anthropic) Supports(check string) bool {
	switch check {
	case model.CheckModels, model.CheckModel, model.CheckCountTokens, model.CheckGenerate:
		return true
	}
	return false
}

type anthropicMessages struct {
	Model     string    `json:"model"`
	MaxTokens int       `json:"max_tokens,omitempty"` // absent for count_tokens
	Messages  []message `json:"messages"`
}

func (a anthropic) Request(ctx context.Context, t Target, check, modelID string) (*http.Request, error) {
	var e endpoint
	switch check {
	case model.CheckModels:
		return newRequest(ctx, anthropicSpec, t, endpoint{method: http.MethodGet,
			path: []segment{lit("v1"), lit("models")}, query: url.Values{"limit": {"1000"}}})
	case model.CheckModel:
		e = endpoint{method: http.MethodGet, path: []segment{lit("v1"), lit("models"), modelSeg(modelID)}}
	case model.CheckCountTokens:
		e = endpoint{method: http.MethodPost, path: []segment{lit("v1"), lit("messages"), lit("count_tokens")},
			body: anthropicMessages{Model: modelID, Messages: userPrompt()}}
	case model.CheckGenerate:
		e = endpoint{method: http.MethodPost, path: []segment{lit("v1"), lit("messages")},
			body: anthropicMessages{Model: modelID, MaxTokens: 1, Messages: userPrompt()}}
	default:
		return nil, unsupported(KindAnthropic, check)
	}
	if err := checkModelID(KindAnthropic, modelID); err != nil {
		return nil, err
	}
	return newRequest(ctx, anthropicSpec, t, e)
}

func (anthropic) ParseModels(body []byte) ([]string, error) {
	return parseDataIDs(KindAnthropic, body, false)
}
