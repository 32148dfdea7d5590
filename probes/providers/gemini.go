package providers

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/accesswatch/accesswatch/internal/model"
)

// gemini is the Gemini API (generativelanguage.googleapis.com, v1beta). The key travels in
// the x-goog-api-key header, never as ?key= in the URL, so URLs can be stored as they are.
// The list asks for pageSize=1000; a nextPageToken is followed with pageToken=<token>
// (ParseModelPage, in catalogue.go).
type gemini struct{}

var geminiSpec = spec{
	kind:        KindGemini,
	defaultBase: "https://generativelanguage.googleapis.com",
	trimVersion: "/v1beta",
	auth:        googAPIKey,
}

func (gemini) Kind() string { return KindGemini }

func (gemini) Supports(check string) bool {
	switch check {
	case model.CheckModels, model.CheckModel, model.CheckCountTokens, model.CheckGenerate:
		return true
	}
	return false
}

type geminiPart struct {
	Text string `json:"text"`
}

type geminiContent struct {
	Parts []geminiPart `json:"parts"`
}

type geminiGenerationConfig struct {
	MaxOutputTokens int             `json:"maxOutputTokens"`
	ThinkingConfig  *GeminiThinking `json:"thinkingConfig,omitempty"` // see generate.go
}

type geminiRequest struct {
	Contents         []geminiContent         `json:"contents"`
	GenerationConfig *geminiGenerationConfig `json:"generationConfig,omitempty"`
}

func geminiPrompt() []geminiContent {
	return []geminiContent{{Parts: []geminiPart{{Text: prompt}}}}
}

func (g gemini) Request(ctx context.Context, t Target, check, modelID string) (*http.Request, error) {
	// Users copy ids from the list answer, which names them "models/gemini-…".
	modelID = strings.TrimPrefix(modelID, "models/")
	var e endpoint
	switch check {
	case model.CheckModels:
		return newRequest(ctx, geminiSpec, t, endpoint{method: http.MethodGet,
			path: []segment{lit("v1beta"), lit("models")}, query: url.Values{"pageSize": {"1000"}}})
	case model.CheckModel:
		e = endpoint{method: http.MethodGet, path: []segment{lit("v1beta"), lit("models"), modelSeg(modelID)}}
	case model.CheckCountTokens:
		e = endpoint{method: http.MethodPost, path: []segment{lit("v1beta"), lit("models"), modelSegSuffix(modelID, ":countTokens")},
			body: geminiRequest{Contents: geminiPrompt()}}
	case model.CheckGenerate:
		e = endpoint{method: http.MethodPost, path: []segment{lit("v1beta"), lit("models"), modelSegSuffix(modelID, ":generateContent")},
			body: geminiRequest{Contents: geminiPrompt(), GenerationConfig: &geminiGenerationConfig{
				MaxOutputTokens: 1, ThinkingConfig: GeminiThinkingFor(modelID)}}}
	default:
		return nil, unsupported(KindGemini, check)
	}
	if err := checkModelID(KindGemini, modelID); err != nil {
		return nil, err
	}
	return newRequest(ctx, geminiSpec, t, e)
}

// ParseModels reads {"models":[{"name":"models/gemini-…"}]} and strips "models/".
func (gemini) ParseModels(body []byte) ([]string, error) {
	var doc struct {
		Models *[]struct {
			Name string `json:"name"`
		} `json:"models"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("providers: gemini: models list: %w", err)
	}
	if doc.Models == nil {
		// An account that sees no model gets {} rather than {"models":[]}.
		if strings.TrimSpace(string(body)) == "{}" {
			return []string{}, nil
		}
		return nil, fmt.Errorf("providers: gemini: models list: no \"models\" array")
	}
	ids := make([]string, 0, len(*doc.Models))
	for _, m := range *doc.Models {
		if id := strings.TrimPrefix(m.Name, "models/"); id != "" {
			ids = append(ids, id)
		}
	}
	return ids, nil
}
