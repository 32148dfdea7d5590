package providers

import (
	"context"
	"net/http"

	"github.com/accesswatch/accesswatch/internal/model"
)

// mistral is La Plateforme (https://api.mistral.ai): Bearer auth, OpenAI-like paths under /v1,
// max_tokens. It has no token-count endpoint.
type mistral struct{}

var mistralSpec = spec{
	kind:        KindMistral,
	defaultBase: "https://api.mistral.ai",
	trimVersion: "/v1",
	auth:        bearerAuth,
}

func (mistral) Kind() string { return KindMistral }

func (mistral) Supports(check string) bool {
	switch check {
	case model.CheckModels, model.CheckModel, model.CheckGenerate:
		return true
	}
	return false
}

func (mistral) Request(ctx context.Context, t Target, check, modelID string) (*http.Request, error) {
	var e endpoint
	switch check {
	case model.CheckModels:
		return newRequest(ctx, mistralSpec, t, endpoint{method: http.MethodGet, path: []segment{lit("v1"), lit("models")}})
	case model.CheckModel:
		e = endpoint{method: http.MethodGet, path: []segment{lit("v1"), lit("models"), modelSeg(modelID)}}
	case model.CheckGenerate:
		e = endpoint{method: http.MethodPost, path: []segment{lit("v1"), lit("chat"), lit("completions")},
			body: chatCompletion(modelID, TokenParamMaxTokens, false)}
	default:
		return nil, unsupported(KindMistral, check)
	}
	if err := checkModelID(KindMistral, modelID); err != nil {
		return nil, err
	}
	return newRequest(ctx, mistralSpec, t, e)
}

func (mistral) ParseModels(body []byte) ([]string, error) {
	return parseDataIDs(KindMistral, body, false)
}
