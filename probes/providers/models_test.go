package providers_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/accesswatch/accesswatch/probes/providers"
)

func TestParseModels(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kind, file string
		want       []string
	}{
		{providers.KindAnthropic, "anthropic.json", []string{"claude-opus-4-1-20250805", "claude-sonnet-4-5-20250929", "claude-3-5-haiku-20241022"}},
		{providers.KindOpenAI, "openai.json", []string{"gpt-4o", "gpt-5", "o3-mini"}},
		{providers.KindOpenAICompatible, "groq.json", []string{"llama-3.3-70b-versatile", "openai/gpt-oss-120b"}},
		{providers.KindOpenAICompatible, "together.json", []string{"meta-llama/Llama-3.3-70B-Instruct-Turbo", "deepseek-ai/DeepSeek-V3"}},
		{providers.KindGemini, "gemini.json", []string{"gemini-2.5-flash", "gemini-2.5-pro", "text-embedding-004"}},
		{providers.KindMistral, "mistral.json", []string{"mistral-large-latest", "mistral-small-latest"}},
	}
	reg := providers.NewRegistry()
	for _, tc := range tests {
		t.Run(tc.kind+"/"+tc.file, func(t *testing.T) {
			t.Parallel()
			body, err := os.ReadFile(filepath.Join("testdata", "models", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			a, _ := reg.Lookup(tc.kind)
			got, err := a.ParseModels(body)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("ParseModels = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestParseModelsRejects(t *testing.T) {
	t.Parallel()
	blockPage := `<!DOCTYPE html><html><head><title>Attention Required! | Cloudflare</title></head><body>Sorry, you have been blocked</body></html>`
	tests := []struct {
		name, kind, body, want string
		wantIDs                []string // when no error is expected
	}{
		{name: "html block page", kind: providers.KindOpenAI, body: blockPage, want: "invalid character"},
		{name: "error body", kind: providers.KindAnthropic, body: `{"error":{"type":"forbidden","message":"Request not allowed"}}`, want: `no "data" array`},
		{name: "gemini error body", kind: providers.KindGemini, body: `{"error":{"code":400,"message":"User location is not supported for the API use.","status":"FAILED_PRECONDITION"}}`, want: `no "models" array`},
		{name: "data not a list", kind: providers.KindMistral, body: `{"data":{"id":"x"}}`, want: "cannot unmarshal"},
		{name: "bare array only for compatible", kind: providers.KindOpenAI, body: `[{"id":"gpt-4o"}]`, want: "cannot unmarshal"},
		{name: "empty list", kind: providers.KindOpenAI, body: `{"object":"list","data":[]}`, wantIDs: []string{}},
		{name: "gemini empty object", kind: providers.KindGemini, body: ` {} `, wantIDs: []string{}},
		{name: "entries without id skipped", kind: providers.KindAnthropic, body: `{"data":[{"id":""},{"type":"model"},{"id":"claude-x"}]}`, wantIDs: []string{"claude-x"}},
	}
	reg := providers.NewRegistry()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a, _ := reg.Lookup(tc.kind)
			got, err := a.ParseModels([]byte(tc.body))
			if tc.wantIDs != nil {
				if err != nil || !slices.Equal(got, tc.wantIDs) {
					t.Errorf("ParseModels = %q, %v; want %q", got, err, tc.wantIDs)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ParseModels = %q, %v; want error containing %q", got, err, tc.want)
			}
		})
	}
}

func FuzzParseModels(f *testing.F) {
	for _, name := range []string{"anthropic.json", "gemini.json", "together.json", "mistral.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", "models", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"data":null}`))
	f.Add([]byte(`<html>`))
	reg := providers.NewRegistry()
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, k := range providers.Kinds() {
			a, _ := reg.Lookup(k)
			ids, err := a.ParseModels(body)
			if err != nil && ids != nil {
				t.Errorf("%s: ids %q with error %v", k, ids, err)
			}
			for _, id := range ids {
				if id == "" {
					t.Errorf("%s: empty id", k)
				}
			}
		}
	})
}
