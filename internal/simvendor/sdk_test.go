package simvendor_test

// The vendors' official Go SDKs read the simulated vendor's answers: success bodies decode into
// the SDKs' typed responses, error bodies into their error types with the right status and
// error type/code. So the demo and the end-to-end tests speak the real wire format.

import (
	"context"
	"errors"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	anthropic "github.com/anthropics/anthropic-sdk-go"
	aoption "github.com/anthropics/anthropic-sdk-go/option"
	openai "github.com/openai/openai-go/v3"
	ooption "github.com/openai/openai-go/v3/option"

	"github.com/accesswatch/accesswatch/internal/simvendor"
)

const (
	liveModel = "claude-sonnet-4-5"
	goneModel = "claude-fable-5"
)

func sdkVendor(t *testing.T) (*simvendor.Server, *httptest.Server) {
	t.Helper()
	v := simvendor.New(simvendor.Options{
		Country: func(netip.Addr) string { return "IN" },
		Models:  []string{liveModel, goneModel, "gpt-5-mini", "gpt-4o"},
	})
	srv := httptest.NewServer(v.Handler())
	t.Cleanup(srv.Close)
	return v, srv
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func anthropicClient(srv *httptest.Server, key string) anthropic.Client {
	return anthropic.NewClient(aoption.WithoutEnvironmentDefaults(), aoption.WithBaseURL(srv.URL+"/anthropic"),
		aoption.WithAPIKey(key), aoption.WithMaxRetries(0), aoption.WithHTTPClient(srv.Client()))
}

func userMessage() []anthropic.MessageParam {
	return []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("."))}
}

// wantAnthropicError checks err is the SDK's *Error with status and error type.
func wantAnthropicError(t *testing.T, what string, err error, status int, typ string) {
	t.Helper()
	var apiErr *anthropic.Error
	if !errors.As(err, &apiErr) {
		t.Fatalf("%s: error %v (%T) is not *anthropic.Error", what, err, err)
	}
	if apiErr.StatusCode != status {
		t.Errorf("%s: status %d, want %d", what, apiErr.StatusCode, status)
	}
	if got := apiErr.RawJSON(); typ != "" && !containsType(got, typ) {
		t.Errorf("%s: error body %s lacks type %q", what, got, typ)
	}
}

func containsType(raw, typ string) bool {
	return len(raw) > 0 && (contains(raw, `"type":"`+typ+`"`) || contains(raw, `"type": "`+typ+`"`))
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func TestAnthropicSDKReadsSimvendor(t *testing.T) {
	v, srv := sdkVendor(t)
	c := anthropicClient(srv, "sk-ant-dummy")

	list, err := c.Models.List(ctx(t), anthropic.ModelListParams{Limit: anthropic.Int(1000)})
	if err != nil || len(list.Data) == 0 || list.Data[0].ID == "" || list.Data[0].Type != "model" || list.Data[0].CreatedAt.IsZero() {
		t.Fatalf("models list: %+v, %v", list, err)
	}
	info, err := c.Models.Get(ctx(t), liveModel, anthropic.ModelGetParams{})
	if err != nil || info.ID == "" || info.DisplayName == "" {
		t.Fatalf("model get: %+v, %v", info, err)
	}
	msg, err := c.Messages.New(ctx(t), anthropic.MessageNewParams{Model: liveModel, MaxTokens: 1, Messages: userMessage()})
	if err != nil {
		t.Fatalf("messages: %v", err)
	}
	if msg.ID == "" || msg.Role != "assistant" || msg.StopReason != anthropic.StopReasonMaxTokens || len(msg.Content) != 1 ||
		msg.Content[0].Type != "text" || msg.Usage.OutputTokens != 1 || msg.Model == "" {
		t.Errorf("message decoded as %+v", msg)
	}
	count, err := c.Messages.CountTokens(ctx(t), anthropic.MessageCountTokensParams{Model: liveModel, Messages: userMessage()})
	if err != nil || count.InputTokens <= 0 {
		t.Errorf("count_tokens: %+v, %v", count, err)
	}

	// Errors.
	noKey := anthropicClient(srv, "")
	_, err = noKey.Messages.New(ctx(t), anthropic.MessageNewParams{Model: liveModel, MaxTokens: 1, Messages: userMessage()})
	if err == nil {
		t.Fatal("no key: no error")
	}
	var apiErr *anthropic.Error
	if errors.As(err, &apiErr) { // the SDK may refuse to send without a key at all
		wantAnthropicError(t, "no key", err, 401, "authentication_error")
		if apiErr.RequestID == "" {
			t.Errorf("no key: request id not read from request-id")
		}
	}
	_, err = c.Messages.New(ctx(t), anthropic.MessageNewParams{Model: "claude-nonexistent-9", MaxTokens: 1, Messages: userMessage()})
	wantAnthropicError(t, "unknown model", err, 404, "not_found_error")
	v.Withdraw(goneModel, simvendor.Everyone)
	_, err = c.Messages.New(ctx(t), anthropic.MessageNewParams{Model: goneModel, MaxTokens: 1, Messages: userMessage()})
	wantAnthropicError(t, "withdrawn model", err, 404, "not_found_error")
	_, err = c.Messages.CountTokens(ctx(t), anthropic.MessageCountTokensParams{Model: goneModel, Messages: userMessage()})
	wantAnthropicError(t, "withdrawn model count", err, 404, "not_found_error")
	v.SetOverloaded(true)
	_, err = c.Messages.New(ctx(t), anthropic.MessageNewParams{Model: liveModel, MaxTokens: 1, Messages: userMessage()})
	wantAnthropicError(t, "overloaded", err, 529, "overloaded_error")
	v.SetOverloaded(false)
	v.Block("IN")
	_, err = c.Messages.New(ctx(t), anthropic.MessageNewParams{Model: liveModel, MaxTokens: 1, Messages: userMessage()})
	wantAnthropicError(t, "geo-blocked", err, 403, "forbidden")
	if errors.As(err, &apiErr) && !contains(apiErr.RawJSON(), "Request not allowed") {
		t.Errorf("geo-blocked: body %s", apiErr.RawJSON())
	}
}

func openaiClient(srv *httptest.Server, key string) openai.Client {
	return openai.NewClient(ooption.WithBaseURL(srv.URL+"/openai/v1/"), ooption.WithAPIKey(key),
		ooption.WithMaxRetries(0), ooption.WithHTTPClient(srv.Client()))
}

func wantOpenAIError(t *testing.T, what string, err error, status int, typ, code string) {
	t.Helper()
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) {
		t.Fatalf("%s: error %v (%T) is not *openai.Error", what, err, err)
	}
	if apiErr.StatusCode != status || apiErr.Type != typ || apiErr.Code != code || apiErr.Message == "" {
		t.Errorf("%s: status %d type %q code %q message %q; want %d %q %q", what, apiErr.StatusCode, apiErr.Type, apiErr.Code, apiErr.Message, status, typ, code)
	}
}

func TestOpenAISDKReadsSimvendor(t *testing.T) {
	v, srv := sdkVendor(t)
	c := openaiClient(srv, "sk-dummy")
	chat := func(c openai.Client, m string) (*openai.ChatCompletion, error) {
		return c.Chat.Completions.New(ctx(t), openai.ChatCompletionNewParams{Model: m,
			Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(".")}, MaxCompletionTokens: openai.Int(1)})
	}

	list, err := c.Models.List(ctx(t))
	if err != nil || len(list.Data) == 0 || list.Data[0].ID == "" || list.Data[0].OwnedBy == "" || list.Data[0].Created == 0 {
		t.Fatalf("models list: %+v, %v", list, err)
	}
	m, err := c.Models.Get(ctx(t), liveModel)
	if err != nil || m.ID != liveModel {
		t.Fatalf("model get: %+v, %v", m, err)
	}
	cc, err := chat(c, "gpt-4o")
	if err != nil {
		t.Fatalf("chat: %v", err)
	}
	if cc.ID == "" || len(cc.Choices) != 1 || cc.Choices[0].FinishReason != "length" || cc.Choices[0].Message.Role != "assistant" ||
		cc.Usage.CompletionTokens != 1 || cc.Model == "" {
		t.Errorf("chat completion decoded as %+v", cc)
	}

	// A reasoning model thinks before it answers: one token is a 400, as OpenAI says it; a budget
	// with the lowest effort is a length-limited answer.
	_, err = chat(c, "gpt-5-mini")
	wantOpenAIError(t, "reasoning model, 1 token", err, 400, "invalid_request_error", "")
	rc, err := c.Chat.Completions.New(ctx(t), openai.ChatCompletionNewParams{Model: "gpt-5-mini",
		Messages:            []openai.ChatCompletionMessageParamUnion{openai.UserMessage(".")},
		MaxCompletionTokens: openai.Int(16), ReasoningEffort: openai.ReasoningEffortMinimal})
	if err != nil || rc.Choices[0].FinishReason != "length" || rc.Usage.CompletionTokensDetails.ReasoningTokens != 16 {
		t.Errorf("reasoning model, 16 tokens: %+v, %v", rc, err)
	}

	_, err = chat(openaiClient(srv, ""), liveModel)
	if err == nil {
		t.Fatal("no key: no error")
	}
	var apiErr *openai.Error
	if errors.As(err, &apiErr) {
		wantOpenAIError(t, "no key", err, 401, "invalid_request_error", "")
	}
	_, err = chat(c, "gpt-nonexistent")
	wantOpenAIError(t, "unknown model", err, 404, "invalid_request_error", "model_not_found")
	v.Withdraw(goneModel, "IN")
	_, err = chat(c, goneModel)
	wantOpenAIError(t, "withdrawn model", err, 404, "invalid_request_error", "model_not_found")
	_, err = c.Models.Get(ctx(t), goneModel)
	wantOpenAIError(t, "withdrawn model get", err, 404, "invalid_request_error", "model_not_found")
	v.SetOverloaded(true)
	_, err = chat(c, liveModel)
	wantOpenAIError(t, "overloaded", err, 503, "server_error", "")
	v.SetOverloaded(false)
	v.Block("IN")
	_, err = chat(c, liveModel)
	wantOpenAIError(t, "geo-blocked", err, 403, "request_forbidden", "unsupported_country_region_territory")
}
