package providers_test

// The same calls through the vendors' official Go SDKs and through our adapters, to one
// httptest server: what the adapters send must match what the SDKs send where it matters
// (method, path, query, auth header, anthropic-version, content type, body fields). SDKs point
// only at loopback, with dummy keys and retries off.

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	anthropic "github.com/anthropics/anthropic-sdk-go"
	aoption "github.com/anthropics/anthropic-sdk-go/option"
	openai "github.com/openai/openai-go/v3"
	ooption "github.com/openai/openai-go/v3/option"
	"google.golang.org/genai"

	"github.com/accesswatch/accesswatch/internal/model"
	"github.com/accesswatch/accesswatch/probes/providers"
)

const sdkKey = "sk-dummy-0123456789abcdef"

// recorder answers every request with body (status 200) and keeps the last request seen.
type recorder struct {
	srv  *httptest.Server
	last chan captured
	body string
}

func newRecorder(t *testing.T, body string) *recorder {
	t.Helper()
	r := &recorder{last: make(chan captured, 1), body: body}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(io.LimitReader(req.Body, 1<<20))
		select {
		case r.last <- captured{method: req.Method, uri: req.RequestURI, header: req.Header.Clone(), body: b}:
		default: // a second request in one call: the test sees the first
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, r.body)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *recorder) take(t *testing.T) captured {
	t.Helper()
	select {
	case c := <-r.last:
		return c
	case <-time.After(5 * time.Second):
		t.Fatal("no request reached the server")
		return captured{}
	}
}

// ours sends our adapter's request for check to r and returns what the server saw.
func (r *recorder) ours(t *testing.T, target providers.Target, check, modelID string) captured {
	t.Helper()
	a, err := providers.NewRegistry().Lookup(target.Kind)
	if err != nil {
		t.Fatal(err)
	}
	req, err := a.Request(context.Background(), target, check, modelID)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := r.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	return r.take(t)
}

func sdkCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// compareRequests checks what must agree between the SDK's request and ours.
func compareRequests(t *testing.T, sdk, ours captured, headers []string) {
	t.Helper()
	su, _ := url.ParseRequestURI(sdk.uri)
	ou, _ := url.ParseRequestURI(ours.uri)
	if sdk.method != ours.method || su.Path != ou.Path {
		t.Errorf("request line: SDK %s %s, ours %s %s", sdk.method, su.Path, ours.method, ou.Path)
	}
	if !reflect.DeepEqual(su.Query(), ou.Query()) {
		t.Errorf("query: SDK %v, ours %v", su.Query(), ou.Query())
	}
	for _, h := range headers {
		if sdk.header.Get(h) == "" {
			t.Errorf("SDK sent no %s: the comparison is void", h)
		}
		if ours.header.Get(h) == "" {
			t.Errorf("header %s: SDK sends %q, we send none", h, sdk.header.Get(h))
		}
	}
	if len(sdk.body) > 0 && !strings.HasPrefix(ours.header.Get("Content-Type"), "application/json") {
		t.Errorf("Content-Type: SDK %q, ours %q", sdk.header.Get("Content-Type"), ours.header.Get("Content-Type"))
	}
}

func decodeJSON(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("body %q: %v", b, err)
	}
	return m
}

// sameFields compares the named top-level body fields.
func sameFields(t *testing.T, sdk, ours map[string]any, fields ...string) {
	t.Helper()
	for _, f := range fields {
		if !reflect.DeepEqual(sdk[f], ours[f]) {
			t.Errorf("body field %s: SDK %v, ours %v", f, sdk[f], ours[f])
		}
	}
}

// messageText reduces a chat message list to role:text pairs: a string content and a list of
// text blocks are the same message.
func messageText(t *testing.T, v any) []string {
	t.Helper()
	list, _ := v.([]any)
	var out []string
	for _, m := range list {
		mm, _ := m.(map[string]any)
		role, _ := mm["role"].(string)
		if role == "" {
			role = "user" // Gemini's default role
		}
		var text string
		switch c := mm["content"].(type) {
		case string:
			text = c
		case []any:
			for _, b := range c {
				bm, _ := b.(map[string]any)
				if bm["type"] == "text" {
					text += bm["text"].(string)
				}
			}
		}
		if parts, ok := mm["parts"].([]any); ok { // Gemini contents
			for _, p := range parts {
				pm, _ := p.(map[string]any)
				text += pm["text"].(string)
			}
		}
		out = append(out, role+":"+text)
	}
	if len(out) == 0 {
		t.Errorf("no messages in %v", v)
	}
	return out
}

func TestAnthropicRequestsMatchSDK(t *testing.T) {
	const modelID = "claude-sonnet-4-5"
	calls := []struct {
		name, check, answer string
		sdk                 func(ctx context.Context, c anthropic.Client) error
		bodyFields          []string
	}{
		{"models list", model.CheckModels, `{"data":[],"has_more":false,"first_id":null,"last_id":null}`,
			func(ctx context.Context, c anthropic.Client) error {
				_, err := c.Models.List(ctx, anthropic.ModelListParams{Limit: anthropic.Int(1000)})
				return err
			}, nil},
		{"model get", model.CheckModel, `{"type":"model","id":"claude-sonnet-4-5-20250929","display_name":"Claude Sonnet 4.5","created_at":"2025-09-29T00:00:00Z"}`,
			func(ctx context.Context, c anthropic.Client) error {
				_, err := c.Models.Get(ctx, modelID, anthropic.ModelGetParams{})
				return err
			}, nil},
		{"count tokens", model.CheckCountTokens, `{"input_tokens":8}`,
			func(ctx context.Context, c anthropic.Client) error {
				_, err := c.Messages.CountTokens(ctx, anthropic.MessageCountTokensParams{Model: modelID,
					Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("."))}})
				return err
			}, []string{"model"}},
		{"generate", model.CheckGenerate, `{"id":"msg_01","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[{"type":"text","text":"."}],"stop_reason":"max_tokens","stop_sequence":null,"usage":{"input_tokens":8,"output_tokens":1}}`,
			func(ctx context.Context, c anthropic.Client) error {
				_, err := c.Messages.New(ctx, anthropic.MessageNewParams{Model: modelID, MaxTokens: 1,
					Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("."))}})
				return err
			}, []string{"model", "max_tokens", "thinking"}},
	}
	for _, tc := range calls {
		t.Run(tc.name, func(t *testing.T) {
			rec := newRecorder(t, tc.answer)
			c := anthropic.NewClient(aoption.WithoutEnvironmentDefaults(), aoption.WithBaseURL(rec.srv.URL),
				aoption.WithAPIKey(sdkKey), aoption.WithMaxRetries(0), aoption.WithHTTPClient(rec.srv.Client()))
			if err := tc.sdk(sdkCtx(t), c); err != nil {
				t.Fatalf("SDK call: %v", err)
			}
			sdk := rec.take(t)
			ours := rec.ours(t, providers.Target{Kind: providers.KindAnthropic, BaseURL: rec.srv.URL, APIKey: sdkKey}, tc.check, modelID)
			compareRequests(t, sdk, ours, []string{"X-Api-Key", "Anthropic-Version"})
			if sdk.header.Get("X-Api-Key") != ours.header.Get("X-Api-Key") {
				t.Errorf("x-api-key differs")
			}
			// anthropic-sdk-go v1 speaks API version 2023-06-01 like us. (v2, module path
			// …/anthropic-sdk-go/v2, speaks 2026-10-21 and sends the key as Authorization:
			// Bearer; we stay on 2023-06-01 and x-api-key.)
			if sdk.header.Get("Anthropic-Version") != ours.header.Get("Anthropic-Version") {
				t.Errorf("anthropic-version: SDK %q, ours %q", sdk.header.Get("Anthropic-Version"), ours.header.Get("Anthropic-Version"))
			}
			if len(sdk.body) > 0 {
				sb, ob := decodeJSON(t, sdk.body), decodeJSON(t, ours.body)
				sameFields(t, sb, ob, tc.bodyFields...)
				if !reflect.DeepEqual(messageText(t, sb["messages"]), messageText(t, ob["messages"])) {
					t.Errorf("messages: SDK %v, ours %v", sb["messages"], ob["messages"])
				}
			}
		})
	}
}

func TestOpenAIRequestsMatchSDK(t *testing.T) {
	calls := []struct {
		name, check, modelID, answer string
		sdk                          func(ctx context.Context, c openai.Client) error
	}{
		{"models list", model.CheckModels, "", `{"object":"list","data":[]}`,
			func(ctx context.Context, c openai.Client) error { _, err := c.Models.List(ctx); return err }},
		{"model get", model.CheckModel, "gpt-4o", `{"id":"gpt-4o","object":"model","created":1,"owned_by":"system"}`,
			func(ctx context.Context, c openai.Client) error { _, err := c.Models.Get(ctx, "gpt-4o"); return err }},
		{"generate chat model", model.CheckGenerate, "gpt-4o", chatAnswer,
			func(ctx context.Context, c openai.Client) error {
				_, err := c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "gpt-4o",
					Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(".")}, MaxCompletionTokens: openai.Int(1)})
				return err
			}},
		{"generate reasoning model", model.CheckGenerate, "gpt-5-mini", chatAnswer,
			func(ctx context.Context, c openai.Client) error {
				_, err := c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "gpt-5-mini",
					Messages:            []openai.ChatCompletionMessageParamUnion{openai.UserMessage(".")},
					MaxCompletionTokens: openai.Int(16), ReasoningEffort: "minimal"})
				return err
			}},
		{"generate o-series", model.CheckGenerate, "o4-mini", chatAnswer,
			func(ctx context.Context, c openai.Client) error {
				_, err := c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "o4-mini",
					Messages:            []openai.ChatCompletionMessageParamUnion{openai.UserMessage(".")},
					MaxCompletionTokens: openai.Int(16), ReasoningEffort: "low"})
				return err
			}},
	}
	for _, tc := range calls {
		t.Run(tc.name, func(t *testing.T) {
			rec := newRecorder(t, tc.answer)
			base := rec.srv.URL + "/v1"
			c := openai.NewClient(ooption.WithBaseURL(base+"/"), ooption.WithAPIKey(sdkKey),
				ooption.WithMaxRetries(0), ooption.WithHTTPClient(rec.srv.Client()))
			if err := tc.sdk(sdkCtx(t), c); err != nil {
				t.Fatalf("SDK call: %v", err)
			}
			sdk := rec.take(t)
			ours := rec.ours(t, providers.Target{Kind: providers.KindOpenAI, BaseURL: base, APIKey: sdkKey}, tc.check, tc.modelID)
			compareRequests(t, sdk, ours, []string{"Authorization"})
			if sdk.header.Get("Authorization") != ours.header.Get("Authorization") {
				t.Errorf("Authorization differs")
			}
			if len(sdk.body) > 0 {
				sb, ob := decodeJSON(t, sdk.body), decodeJSON(t, ours.body)
				sameFields(t, sb, ob, "model", "max_tokens", "max_completion_tokens", "reasoning_effort")
				if !reflect.DeepEqual(messageText(t, sb["messages"]), messageText(t, ob["messages"])) {
					t.Errorf("messages: SDK %v, ours %v", sb["messages"], ob["messages"])
				}
			}
		})
	}
}

const chatAnswer = `{"id":"chatcmpl-1","object":"chat.completion","created":1764300000,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"."},"finish_reason":"length"}],"usage":{"prompt_tokens":8,"completion_tokens":1,"total_tokens":9}}`

func TestGeminiRequestsMatchSDK(t *testing.T) {
	i32 := func(n int32) *int32 { return &n }
	calls := []struct {
		name, check, modelID, answer string
		sdk                          func(ctx context.Context, c *genai.Client) error
	}{
		{"models list", model.CheckModels, "", `{"models":[]}`,
			func(ctx context.Context, c *genai.Client) error {
				_, err := c.Models.List(ctx, &genai.ListModelsConfig{PageSize: 1000})
				return err
			}},
		{"model get", model.CheckModel, "gemini-2.5-flash", `{"name":"models/gemini-2.5-flash","version":"001","displayName":"Gemini 2.5 Flash"}`,
			func(ctx context.Context, c *genai.Client) error {
				_, err := c.Models.Get(ctx, "gemini-2.5-flash", nil)
				return err
			}},
		{"count tokens", model.CheckCountTokens, "gemini-2.5-flash", `{"totalTokens":1}`,
			func(ctx context.Context, c *genai.Client) error {
				_, err := c.Models.CountTokens(ctx, "gemini-2.5-flash", genai.Text("."), nil)
				return err
			}},
		{"generate flash", model.CheckGenerate, "gemini-2.5-flash", geminiAnswer,
			func(ctx context.Context, c *genai.Client) error {
				_, err := c.Models.GenerateContent(ctx, "gemini-2.5-flash", genai.Text("."), &genai.GenerateContentConfig{
					MaxOutputTokens: 1, ThinkingConfig: &genai.ThinkingConfig{ThinkingBudget: i32(0)}})
				return err
			}},
		{"generate pro", model.CheckGenerate, "gemini-2.5-pro", geminiAnswer,
			func(ctx context.Context, c *genai.Client) error {
				_, err := c.Models.GenerateContent(ctx, "gemini-2.5-pro", genai.Text("."), &genai.GenerateContentConfig{
					MaxOutputTokens: 1, ThinkingConfig: &genai.ThinkingConfig{ThinkingBudget: i32(128)}})
				return err
			}},
		{"generate gemini 3", model.CheckGenerate, "gemini-3-pro-preview", geminiAnswer,
			func(ctx context.Context, c *genai.Client) error {
				_, err := c.Models.GenerateContent(ctx, "gemini-3-pro-preview", genai.Text("."), &genai.GenerateContentConfig{
					MaxOutputTokens: 1, ThinkingConfig: &genai.ThinkingConfig{ThinkingLevel: genai.ThinkingLevelLow}})
				return err
			}},
		{"generate gemini 3 flash", model.CheckGenerate, "gemini-3-flash-preview", geminiAnswer,
			func(ctx context.Context, c *genai.Client) error {
				_, err := c.Models.GenerateContent(ctx, "gemini-3-flash-preview", genai.Text("."), &genai.GenerateContentConfig{
					MaxOutputTokens: 1, ThinkingConfig: &genai.ThinkingConfig{ThinkingLevel: genai.ThinkingLevelMinimal}})
				return err
			}},
	}
	for _, tc := range calls {
		t.Run(tc.name, func(t *testing.T) {
			rec := newRecorder(t, tc.answer)
			c, err := genai.NewClient(sdkCtx(t), &genai.ClientConfig{APIKey: sdkKey, Backend: genai.BackendGeminiAPI,
				HTTPClient: rec.srv.Client(), HTTPOptions: genai.HTTPOptions{BaseURL: rec.srv.URL, APIVersion: "v1beta"}})
			if err != nil {
				t.Fatal(err)
			}
			if err := tc.sdk(sdkCtx(t), c); err != nil {
				t.Fatalf("SDK call: %v", err)
			}
			sdk := rec.take(t)
			ours := rec.ours(t, providers.Target{Kind: providers.KindGemini, BaseURL: rec.srv.URL, APIKey: sdkKey}, tc.check, tc.modelID)
			compareRequests(t, sdk, ours, []string{"X-Goog-Api-Key"})
			if sdk.header.Get("X-Goog-Api-Key") != ours.header.Get("X-Goog-Api-Key") {
				t.Errorf("x-goog-api-key differs")
			}
			if len(sdk.body) > 0 {
				sb, ob := decodeJSON(t, sdk.body), decodeJSON(t, ours.body)
				sameFields(t, sb, ob, "generationConfig")
				if !reflect.DeepEqual(messageText(t, sb["contents"]), messageText(t, ob["contents"])) {
					t.Errorf("contents: SDK %v, ours %v", sb["contents"], ob["contents"])
				}
			}
		})
	}
}

const geminiAnswer = `{"candidates":[{"content":{"parts":[{"text":"."}],"role":"model"},"finishReason":"MAX_TOKENS","index":0}],"usageMetadata":{"promptTokenCount":1,"candidatesTokenCount":1,"totalTokenCount":2},"modelVersion":"gemini-2.5-flash","responseId":"abc"}`
