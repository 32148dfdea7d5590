package providers

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/accesswatch/accesswatch/internal/model"
	"github.com/accesswatch/accesswatch/internal/vendors"
)

// openAI serves both the OpenAI API and OpenAI-compatible vendors (DeepSeek, Groq, xAI,
// OpenRouter, Together, …). The base URL includes the version (https://api.openai.com/v1,
// https://api.groq.com/openai/v1, https://api.deepseek.com). The token-limit field is
// Target.TokenParam (config token_param); when empty, vendors.DefaultTokenParam for the base URL:
// OpenAI itself wants max_completion_tokens (reasoning models reject max_tokens), compatible
// vendors take max_tokens. Reasoning models get the budget and effort of generate.go. There is
// no count_tokens check: no compatible token-count endpoint exists.
type openAI struct {
	kind        string
	defaultBase string
}

func (o openAI) spec() spec {
	return spec{kind: o.kind, defaultBase: o.defaultBase, auth: bearerAuth}
}

func (o openAI) Kind() string { return o.kind }

func (openAI) Supports(check string) bool {
	switch check {
	case model.CheckModels, model.CheckModel, model.CheckGenerate:
		return true
	}
	return false
}

func (o openAI) Request(ctx context.Context, t Target, check, modelID string) (*http.Request, error) {
	var e endpoint
	switch check {
	case model.CheckModels:
		return newRequest(ctx, o.spec(), t, endpoint{method: http.MethodGet, path: []segment{lit("models")}})
	case model.CheckModel:
		e = endpoint{method: http.MethodGet, path: []segment{lit("models"), modelSeg(modelID)}}
	case model.CheckGenerate:
		tp := t.TokenParam
		if tp == "" {
			tp = vendors.DefaultTokenParam(o.kind, t.BaseURL)
		}
		e = endpoint{method: http.MethodPost, path: []segment{lit("chat"), lit("completions")},
			body: chatCompletion(modelID, tp, true)}
	default:
		return nil, unsupported(o.kind, check)
	}
	if err := checkModelID(o.kind, modelID); err != nil {
		return nil, err
	}
	return newRequest(ctx, o.spec(), t, e)
}

func (o openAI) ParseModels(body []byte) ([]string, error) {
	// Together (and a few other compatible vendors) answer with a bare array.
	return parseDataIDs(o.kind, body, o.kind == KindOpenAICompatible)
}

// parseDataIDs reads {"data":[{"id":…}]} (and, when bareOK, a bare [{"id":…}]).
func parseDataIDs(kind string, body []byte, bareOK bool) ([]string, error) {
	type entry struct {
		ID string `json:"id"`
	}
	var list []entry
	trimmed := bytes.TrimSpace(body)
	if bareOK && len(trimmed) > 0 && trimmed[0] == '[' {
		if err := json.Unmarshal(trimmed, &list); err != nil {
			return nil, fmt.Errorf("providers: %s: models list: %w", kind, err)
		}
	} else {
		var doc struct {
			Data *[]entry `json:"data"`
		}
		if err := json.Unmarshal(trimmed, &doc); err != nil {
			return nil, fmt.Errorf("providers: %s: models list: %w", kind, err)
		}
		if doc.Data == nil {
			return nil, fmt.Errorf("providers: %s: models list: no \"data\" array", kind)
		}
		list = *doc.Data
	}
	ids := make([]string, 0, len(list))
	for _, e := range list {
		if e.ID != "" {
			ids = append(ids, e.ID)
		}
	}
	return ids, nil
}
