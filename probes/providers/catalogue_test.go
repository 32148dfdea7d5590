package providers_test

import (
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/accesswatch/accesswatch/probes/providers"
)

func listed(ids ...string) []providers.ListedModel {
	out := make([]providers.ListedModel, len(ids))
	for i, id := range ids {
		out[i] = providers.ListedModel{ID: id}
	}
	return out
}

func TestFindModel(t *testing.T) {
	t.Parallel()
	anthropicList := listed("claude-opus-4-1-20250805", "claude-sonnet-4-5-20250929", "claude-3-5-sonnet-20240620",
		"claude-3-5-sonnet-20241022", "claude-3-7-sonnet-20250219")
	openaiList := listed("gpt-4o-2024-05-13", "gpt-4o-2024-08-06", "gpt-4-0613", "gpt-4-turbo", "chatgpt-4o-latest", "o3-mini")
	mistralList := []providers.ListedModel{
		{ID: "mistral-large-2411", Aliases: []string{"mistral-large-latest"}},
		{ID: "mistral-small-2506"},
	}
	tests := []struct {
		kind, id string
		list     []providers.ListedModel
		want     string // "" = not found
	}{
		{providers.KindAnthropic, "claude-sonnet-4-5", anthropicList, "claude-sonnet-4-5-20250929"},
		{providers.KindAnthropic, "claude-sonnet-4-5-20250929", anthropicList, "claude-sonnet-4-5-20250929"},
		{providers.KindAnthropic, "claude-3-5-sonnet", anthropicList, "claude-3-5-sonnet-20241022"}, // the newest snapshot
		{providers.KindAnthropic, "claude-3-7-sonnet-latest", anthropicList, "claude-3-7-sonnet-20250219"},
		{providers.KindAnthropic, "claude-sonnet-4", anthropicList, ""}, // "5-20250929" is not a date: another model
		{providers.KindAnthropic, "claude-opus-4-1-20250101", anthropicList, ""},
		{providers.KindAnthropic, "claude-fable-5", anthropicList, ""},
		{providers.KindOpenAI, "gpt-4o", openaiList, "gpt-4o-2024-08-06"},
		{providers.KindOpenAI, "gpt-4", openaiList, ""}, // -0613 is not a YYYYMMDD date, gpt-4o/-turbo are other models
		{providers.KindOpenAI, "chatgpt-4o-latest", openaiList, "chatgpt-4o-latest"},
		{providers.KindOpenAI, "o3-mini", openaiList, "o3-mini"},
		{providers.KindGemini, "models/gemini-2.5-flash", listed("gemini-2.5-flash"), "gemini-2.5-flash"},
		{providers.KindGemini, "gemini-2.5-flash", listed("gemini-2.5-flash-001"), ""}, // a version, not a date
		{providers.KindMistral, "mistral-large-latest", mistralList, "mistral-large-2411"},
		{providers.KindMistral, "mistral-small-latest", mistralList, ""}, // no alias published, no date
		{providers.KindOpenAI, "", openaiList, ""},
		{providers.KindOpenAI, "gpt-4o", nil, ""},
	}
	for _, tc := range tests {
		got, ok := providers.FindModel(tc.kind, tc.list, tc.id)
		if ok != (tc.want != "") || got.ID != tc.want {
			t.Errorf("FindModel(%s, %q) = %q, %v; want %q", tc.kind, tc.id, got.ID, ok, tc.want)
		}
	}
}

func TestParseModelPage(t *testing.T) {
	t.Parallel()
	date := func(s string) *time.Time {
		d, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return &d
	}
	tests := []struct {
		name, kind, body string
		want             providers.ModelPage
	}{
		{name: "anthropic last page", kind: providers.KindAnthropic,
			body: `{"data":[{"type":"model","id":"claude-a-20250101"}],"has_more":false,"first_id":"claude-a-20250101","last_id":"claude-a-20250101"}`,
			want: providers.ModelPage{Models: listed("claude-a-20250101")}},
		{name: "anthropic has_more", kind: providers.KindAnthropic,
			body: `{"data":[{"type":"model","id":"claude-a-20250101"},{"type":"model","id":"claude-b-20250101"}],"has_more":true,"first_id":"claude-a-20250101","last_id":"claude-b-20250101"}`,
			want: providers.ModelPage{Models: listed("claude-a-20250101", "claude-b-20250101"), Next: url.Values{"after_id": {"claude-b-20250101"}}}},
		{name: "anthropic has_more without last_id uses the last entry", kind: providers.KindAnthropic,
			body: `{"data":[{"id":"claude-a-20250101"}],"has_more":true}`,
			want: providers.ModelPage{Models: listed("claude-a-20250101"), Next: url.Values{"after_id": {"claude-a-20250101"}}}},
		{name: "anthropic has_more with nothing to continue from", kind: providers.KindAnthropic,
			body: `{"data":[],"has_more":true}`,
			want: providers.ModelPage{Models: listed(), More: true}},
		{name: "openai list", kind: providers.KindOpenAI,
			body: `{"object":"list","data":[{"id":"gpt-4o","object":"model","created":1715367049,"owned_by":"system"}]}`,
			want: providers.ModelPage{Models: listed("gpt-4o")}},
		{name: "openai-style pagination", kind: providers.KindOpenAICompatible,
			body: `{"object":"list","data":[{"id":"m-1"}],"has_more":true,"first_id":"m-1","last_id":"m-1"}`,
			want: providers.ModelPage{Models: listed("m-1"), Next: url.Values{"after": {"m-1"}}}},
		{name: "openrouter expiration_date", kind: providers.KindOpenAICompatible,
			body: `{"data":[{"id":"z-ai/glm-4.7","expiration_date":"2026-12-31"},{"id":"openai/gpt-4o","expiration_date":null}]}`,
			want: providers.ModelPage{Models: []providers.ListedModel{{ID: "z-ai/glm-4.7", RetiresAt: date("2026-12-31T00:00:00Z")}, {ID: "openai/gpt-4o"}}}},
		{name: "openai own list: expiration_date not read", kind: providers.KindOpenAI,
			body: `{"data":[{"id":"gpt-4o","expiration_date":"2026-12-31"}]}`,
			want: providers.ModelPage{Models: listed("gpt-4o")}},
		{name: "mistral deprecation and aliases", kind: providers.KindMistral,
			body: `{"object":"list","data":[{"id":"magistral-medium-2509","object":"model","aliases":["magistral-medium-latest","magistral-medium-2509"],"deprecation":"2026-07-31T12:00:00Z","deprecation_replacement_model":"mistral-medium-latest","type":"base"},{"id":"mistral-small-2506","aliases":[],"deprecation":null,"deprecation_replacement_model":null},{"id":"odd","deprecation":"soon"}]}`,
			want: providers.ModelPage{Models: []providers.ListedModel{
				{ID: "magistral-medium-2509", Aliases: []string{"magistral-medium-latest"}, RetiresAt: date("2026-07-31T12:00:00Z"), Replacement: "mistral-medium-latest"},
				{ID: "mistral-small-2506"}, {ID: "odd"}}}},
		{name: "gemini next page", kind: providers.KindGemini,
			body: `{"models":[{"name":"models/gemini-2.5-flash"}],"nextPageToken":"Chltb2RlbHMvZ2VtaW5pLTIuNS1wcm8="}`,
			want: providers.ModelPage{Models: listed("gemini-2.5-flash"), Next: url.Values{"pageToken": {"Chltb2RlbHMvZ2VtaW5pLTIuNS1wcm8="}}}},
		{name: "gemini empty object", kind: providers.KindGemini, body: `{}`, want: providers.ModelPage{Models: listed()}},
	}
	reg := providers.NewRegistry()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a, _ := reg.Lookup(tc.kind)
			got, err := providers.ParseModelPage(a, []byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if !samePage(got, tc.want) {
				t.Errorf("ParseModelPage =\n %+v\nwant\n %+v", got, tc.want)
			}
		})
	}
}

func samePage(a, b providers.ModelPage) bool {
	if a.More != b.More || a.Next.Encode() != b.Next.Encode() || (a.Next == nil) != (b.Next == nil) || len(a.Models) != len(b.Models) {
		return false
	}
	for i := range a.Models {
		x, y := a.Models[i], b.Models[i]
		if x.ID != y.ID || !slices.Equal(x.Aliases, y.Aliases) || x.Replacement != y.Replacement ||
			(x.RetiresAt == nil) != (y.RetiresAt == nil) || x.RetiresAt != nil && !x.RetiresAt.Equal(*y.RetiresAt) {
			return false
		}
	}
	return true
}

// ParseModels and ParseModelPage read the same ids from every fixture and refuse the same bodies.
func TestParseModelsMatchesPages(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("testdata", "models", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatal("no fixtures", err)
	}
	bodies := [][]byte{[]byte(`{}`), []byte(`{"data":null}`), []byte(`<html>`), []byte(`[{"id":"x"}]`),
		[]byte(`{"error":{"type":"forbidden","message":"Request not allowed"}}`)}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		bodies = append(bodies, b)
	}
	reg := providers.NewRegistry()
	for _, k := range providers.Kinds() {
		a, _ := reg.Lookup(k)
		for _, body := range bodies {
			ids, err1 := a.ParseModels(body)
			page, err2 := providers.ParseModelPage(a, body)
			var pids []string
			for _, m := range page.Models {
				pids = append(pids, m.ID)
			}
			if (err1 == nil) != (err2 == nil) || err1 == nil && !slices.Equal(ids, pids) && len(ids)+len(pids) > 0 {
				t.Errorf("%s %.40q: ParseModels %q, %v; ParseModelPage %q, %v", k, body, ids, err1, pids, err2)
			}
		}
	}
}

func TestWithQuery(t *testing.T) {
	t.Parallel()
	u, _ := url.Parse("https://api.anthropic.com/v1/models?limit=1000")
	got := providers.WithQuery(u, url.Values{"after_id": {"claude-b-20250101"}})
	if got.String() != "https://api.anthropic.com/v1/models?after_id=claude-b-20250101&limit=1000" {
		t.Errorf("WithQuery = %s", got)
	}
	if u.RawQuery != "limit=1000" {
		t.Errorf("WithQuery changed its argument: %s", u)
	}
}
