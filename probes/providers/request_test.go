package providers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/accesswatch/accesswatch/internal/model"
	"github.com/accesswatch/accesswatch/internal/testkit"
	"github.com/accesswatch/accesswatch/probes/providers"
)

// captured is what the fake vendor saw.
type captured struct {
	method, uri string
	header      http.Header
	body        []byte
}

// fakeVendor records each request and answers 200 {}.
func fakeVendor(t *testing.T) (*httptest.Server, <-chan captured) {
	t.Helper()
	ch := make(chan captured, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		ch <- captured{method: r.Method, uri: r.RequestURI, header: r.Header.Clone(), body: b}
		_, _ = io.WriteString(w, "{}")
	}))
	t.Cleanup(srv.Close)
	return srv, ch
}

type reqCase struct {
	kind, check, modelID string
	basePath             string // appended to the fake server's URL to form BaseURL
	wantMethod, wantURI  string
	authHeader, authVal  string // authVal has KEY where the key goes
	wantBody             string // JSON, "" for none
}

const chatBody = `{"model":"%s","max_tokens":1,"messages":[{"role":"user","content":"."}]}`

var reqCases = []reqCase{
	{providers.KindAnthropic, model.CheckModels, "", "", "GET", "/v1/models?limit=1000", "X-Api-Key", "KEY", ""},
	{providers.KindAnthropic, model.CheckModel, "claude-opus-4-1-20250805", "", "GET", "/v1/models/claude-opus-4-1-20250805", "X-Api-Key", "KEY", ""},
	{providers.KindAnthropic, model.CheckCountTokens, "claude-sonnet-4-5", "/v1/", "POST", "/v1/messages/count_tokens", "X-Api-Key", "KEY",
		`{"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"."}]}`},
	{providers.KindAnthropic, model.CheckGenerate, "claude-sonnet-4-5", "", "POST", "/v1/messages", "X-Api-Key", "KEY",
		fmt.Sprintf(chatBody, "claude-sonnet-4-5")},
	{providers.KindOpenAI, model.CheckModels, "", "/v1", "GET", "/v1/models", "Authorization", "Bearer KEY", ""},
	{providers.KindOpenAI, model.CheckModel, "gpt-4o", "/v1", "GET", "/v1/models/gpt-4o", "Authorization", "Bearer KEY", ""},
	{providers.KindOpenAI, model.CheckGenerate, "gpt-5", "/v1/", "POST", "/v1/chat/completions", "Authorization", "Bearer KEY",
		`{"model":"gpt-5","max_completion_tokens":16,"reasoning_effort":"minimal","messages":[{"role":"user","content":"."}]}`},
	{providers.KindOpenAICompatible, model.CheckModels, "", "/openai/v1", "GET", "/openai/v1/models", "Authorization", "Bearer KEY", ""},
	{providers.KindOpenAICompatible, model.CheckModel, "openai/gpt-4o", "/api/v1", "GET", "/api/v1/models/openai%2Fgpt-4o", "Authorization", "Bearer KEY", ""},
	{providers.KindOpenAICompatible, model.CheckGenerate, "deepseek-chat", "", "POST", "/chat/completions", "Authorization", "Bearer KEY",
		fmt.Sprintf(chatBody, "deepseek-chat")},
	{providers.KindGemini, model.CheckModels, "", "", "GET", "/v1beta/models?pageSize=1000", "X-Goog-Api-Key", "KEY", ""},
	{providers.KindGemini, model.CheckModel, "models/gemini-2.5-flash", "", "GET", "/v1beta/models/gemini-2.5-flash", "X-Goog-Api-Key", "KEY", ""},
	{providers.KindGemini, model.CheckCountTokens, "gemini-2.5-flash", "/v1beta", "POST", "/v1beta/models/gemini-2.5-flash:countTokens", "X-Goog-Api-Key", "KEY",
		`{"contents":[{"parts":[{"text":"."}]}]}`},
	{providers.KindGemini, model.CheckGenerate, "gemini-2.5-pro", "", "POST", "/v1beta/models/gemini-2.5-pro:generateContent", "X-Goog-Api-Key", "KEY",
		`{"contents":[{"parts":[{"text":"."}]}],"generationConfig":{"maxOutputTokens":1,"thinkingConfig":{"thinkingBudget":128}}}`},
	{providers.KindMistral, model.CheckModels, "", "", "GET", "/v1/models", "Authorization", "Bearer KEY", ""},
	{providers.KindMistral, model.CheckModel, "mistral-large-latest", "/v1", "GET", "/v1/models/mistral-large-latest", "Authorization", "Bearer KEY", ""},
	{providers.KindMistral, model.CheckGenerate, "mistral-small-latest", "", "POST", "/v1/chat/completions", "Authorization", "Bearer KEY",
		fmt.Sprintf(chatBody, "mistral-small-latest")},
}

func TestRequests(t *testing.T) {
	t.Parallel()
	reg := providers.NewRegistry()
	for _, tc := range reqCases {
		t.Run(tc.kind+"/"+tc.check, func(t *testing.T) {
			t.Parallel()
			srv, seen := fakeVendor(t)
			key := "sk-test-" + tc.kind + "-0123456789abcdef"
			a, err := reg.Lookup(tc.kind)
			if err != nil {
				t.Fatal(err)
			}
			if !a.Supports(tc.check) {
				t.Fatalf("%s does not support %s", tc.kind, tc.check)
			}
			target := providers.Target{Kind: tc.kind, BaseURL: srv.URL + tc.basePath, APIKey: key,
				Headers: map[string]string{"X-Extra": "yes"}, UserAgent: "accesswatch/test"}
			req, err := a.Request(context.Background(), target, tc.check, tc.modelID)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_ = resp.Body.Close()
			got := <-seen

			if got.method != tc.wantMethod || got.uri != tc.wantURI {
				t.Errorf("request %s %s, want %s %s", got.method, got.uri, tc.wantMethod, tc.wantURI)
			}
			if want := strings.ReplaceAll(tc.authVal, "KEY", key); got.header.Get(tc.authHeader) != want {
				t.Errorf("%s = %q, want %q", tc.authHeader, got.header.Get(tc.authHeader), want)
			}
			assertKeyOnlyIn(t, got, key, tc.authHeader)
			for h, want := range map[string]string{"Accept": "application/json", "User-Agent": "accesswatch/test", "X-Extra": "yes"} {
				if got.header.Get(h) != want {
					t.Errorf("header %s = %q, want %q", h, got.header.Get(h), want)
				}
			}
			if tc.kind == providers.KindAnthropic && got.header.Get("Anthropic-Version") != "2023-06-01" {
				t.Errorf("anthropic-version = %q", got.header.Get("Anthropic-Version"))
			}
			assertJSONBody(t, got, tc.wantBody)
		})
	}
}

func assertKeyOnlyIn(t *testing.T, got captured, key, authHeader string) {
	t.Helper()
	if strings.Contains(got.uri, key) || bytes.Contains(got.body, []byte(key)) {
		t.Errorf("key leaked into the URL or body: %s %s", got.uri, got.body)
	}
	for name, vs := range got.header {
		if name == authHeader {
			continue
		}
		for _, v := range vs {
			if strings.Contains(v, key) {
				t.Errorf("key leaked into header %s", name)
			}
		}
	}
}

func assertJSONBody(t *testing.T, got captured, want string) {
	t.Helper()
	if want == "" {
		if len(got.body) != 0 {
			t.Errorf("unexpected body %s", got.body)
		}
		return
	}
	if ct := got.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	var g, w any
	if err := json.Unmarshal(got.body, &g); err != nil {
		t.Fatalf("body %q: %v", got.body, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("body %s\nwant %s", got.body, want)
	}
}

// TestRequestsGolden pins the exact bytes of every request, for review in one place.
func TestRequestsGolden(t *testing.T) {
	t.Parallel()
	reg := providers.NewRegistry()
	var out bytes.Buffer
	for _, tc := range reqCases {
		a, _ := reg.Lookup(tc.kind)
		target := providers.Target{BaseURL: "https://vendor.example" + tc.basePath, APIKey: "KEY"}
		req, err := a.Request(context.Background(), target, tc.check, tc.modelID)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&out, "## %s %s\n%s %s\n", tc.kind, tc.check, req.Method, req.URL)
		names := make([]string, 0, len(req.Header))
		for k := range req.Header {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			fmt.Fprintf(&out, "%s: %s\n", k, strings.Join(req.Header[k], ", "))
		}
		if req.Body != nil {
			b, _ := io.ReadAll(req.Body)
			fmt.Fprintf(&out, "\n%s\n", b)
		}
		out.WriteString("\n")
	}
	golden := filepath.Join("testdata", "requests.golden")
	testkit.Golden(t, golden, out.Bytes())
}

func TestSupports(t *testing.T) {
	t.Parallel()
	want := map[string][]string{
		providers.KindAnthropic:        {model.CheckModels, model.CheckModel, model.CheckCountTokens, model.CheckGenerate},
		providers.KindOpenAI:           {model.CheckModels, model.CheckModel, model.CheckGenerate},
		providers.KindOpenAICompatible: {model.CheckModels, model.CheckModel, model.CheckGenerate},
		providers.KindGemini:           {model.CheckModels, model.CheckModel, model.CheckCountTokens, model.CheckGenerate},
		providers.KindMistral:          {model.CheckModels, model.CheckModel, model.CheckGenerate},
	}
	reg := providers.NewRegistry()
	all := []string{model.CheckModels, model.CheckModel, model.CheckCountTokens, model.CheckGenerate, model.CheckControl, model.CheckStatusPage, "bogus"}
	for kind, checks := range want {
		a, _ := reg.Lookup(kind)
		for _, c := range all {
			t.Run(kind+"/"+c, func(t *testing.T) {
				supported := slices.Contains(checks, c)
				if a.Supports(c) != supported {
					t.Fatalf("Supports(%q) = %v, want %v", c, !supported, supported)
				}
				_, err := a.Request(context.Background(), providers.Target{BaseURL: "https://vendor.example"}, c, "m")
				if supported && err != nil {
					t.Errorf("Request: %v", err)
				}
				if !supported && !errors.Is(err, providers.ErrUnsupportedCheck) {
					t.Errorf("Request err = %v, want ErrUnsupportedCheck", err)
				}
			})
		}
	}
}

func TestRequestErrors(t *testing.T) {
	t.Parallel()
	const key = "sk-ant-api03-SECRETSECRETSECRET"
	tests := []struct {
		name, kind, check, modelID, base, want string
	}{
		{"no model id", providers.KindAnthropic, model.CheckGenerate, "", "", "a model id is required"},
		{"dot-dot model id", providers.KindOpenAI, model.CheckModel, "..", "", `invalid model id ".."`},
		{"model id with space", providers.KindMistral, model.CheckModel, "mistral large", "", "contains a space"},
		{"model id too long", providers.KindGemini, model.CheckModel, strings.Repeat("m", 300), "", "longer than 256"},
		{"compatible needs a base", providers.KindOpenAICompatible, model.CheckModels, "", "", "base_url is required"},
		{"bad scheme", providers.KindOpenAI, model.CheckModels, "", "ftp://vendor.example/v1", `scheme must be http or https`},
		{"no host", providers.KindOpenAI, model.CheckModels, "", "https:///v1", "missing host"},
		{"credentials in base", providers.KindGemini, model.CheckModels, "", "https://u:" + key + "@vendor.example", "credentials belong in api_key"},
		{"key in base query", providers.KindGemini, model.CheckModels, "", "https://vendor.example/?key=" + key, "?key= is not sent"},
		{"wrong target kind", providers.KindMistral, model.CheckModels, "", "", `given a "openai" target`},
	}
	reg := providers.NewRegistry()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a, _ := reg.Lookup(tc.kind)
			target := providers.Target{BaseURL: tc.base, APIKey: key}
			if tc.name == "wrong target kind" {
				target.Kind = providers.KindOpenAI
			}
			req, err := a.Request(context.Background(), target, tc.check, tc.modelID)
			if err == nil {
				t.Fatalf("Request = %v, want an error", req.URL)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
			if strings.Contains(err.Error(), key) {
				t.Errorf("error leaks the key: %q", err)
			}
		})
	}
}

func TestHeaderRules(t *testing.T) {
	t.Parallel()
	reg := providers.NewRegistry()
	a, _ := reg.Lookup(providers.KindAnthropic)
	tests := []struct {
		name    string
		target  providers.Target
		want    map[string]string // "" means absent
		wantErr string
	}{
		{"extra header overrides a default", providers.Target{APIKey: "k1", Headers: map[string]string{"anthropic-version": "2099-01-01", "anthropic-beta": "x"}},
			map[string]string{"Anthropic-Version": "2099-01-01", "Anthropic-Beta": "x", "X-Api-Key": "k1"}, ""},
		{"extra header cannot replace the key", providers.Target{APIKey: "k1", Headers: map[string]string{"x-api-key": "other"}},
			map[string]string{"X-Api-Key": "k1"}, ""},
		{"no key, no auth header", providers.Target{},
			map[string]string{"X-Api-Key": "", "User-Agent": providers.DefaultUserAgent}, ""},
		{"no key, header-supplied auth", providers.Target{Headers: map[string]string{"x-api-key": "proxy-key"}},
			map[string]string{"X-Api-Key": "proxy-key"}, ""},
		{"bad header name", providers.Target{Headers: map[string]string{"Bad Header": "v"}}, nil, `invalid header name "Bad Header"`},
		{"header injection", providers.Target{Headers: map[string]string{"X-A": "v\r\nX-B: w"}}, nil, "control character"},
		{"key injection", providers.Target{APIKey: "k\r\nX-B: w"}, nil, "control character"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req, err := a.Request(context.Background(), tc.target, model.CheckModels, "")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for h, v := range tc.want {
				if got := req.Header.Get(h); got != v {
					t.Errorf("%s = %q, want %q", h, got, v)
				}
			}
		})
	}
}

func TestBaseURLKeepsQuery(t *testing.T) {
	t.Parallel()
	a, _ := providers.NewRegistry().Lookup(providers.KindOpenAICompatible)
	req, err := a.Request(context.Background(), providers.Target{BaseURL: "https://x.example/openai/v1?api-version=2025-01-01"}, model.CheckModels, "")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := req.URL.String(), "https://x.example/openai/v1/models?api-version=2025-01-01"; got != want {
		t.Errorf("URL = %s, want %s", got, want)
	}
}
