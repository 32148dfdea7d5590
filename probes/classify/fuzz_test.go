package classify

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/accesswatch/accesswatch/internal/model"
)

// FuzzClassify feeds arbitrary answers, with one of testKeys inserted into the body, and checks
// Classify's invariants: no panic, a class of the closed set, a bounded non-empty signature in
// valid UTF-8, and never the key.
func FuzzClassify(f *testing.F) {
	for _, fx := range loadFixtures(f) {
		f.Add(fx.obs.Kind, fx.obs.Check, fx.obs.Model, fx.obs.Status, fx.obs.Header.Get("Content-Type"), fx.obs.Body, uint8(0), uint(0))
	}
	for _, c := range loadCorpus(f) {
		f.Add(c.obs.Kind, c.obs.Check, c.obs.Model, c.obs.Status, c.obs.Header.Get("Content-Type"), c.obs.Body, uint8(1), uint(7))
	}
	f.Add("openai", "models", "", 403, "application/json",
		[]byte(`{"error":{"message":"Incorrect API key provided: ","code":"invalid_api_key"}}`), uint8(1), uint(48))
	f.Add("gemini", "generate", "m", 400, "text/html", []byte("<title>key </title>"), uint8(3), uint(11))
	f.Add("", "", "", 0, "", []byte{}, uint8(2), uint(0))
	f.Fuzz(func(t *testing.T, kind, check, modelID string, status int, contentType string, body []byte, keyIdx uint8, pos uint) {
		key := testKeys[int(keyIdx)%len(testKeys)]
		at := int(pos % uint(len(body)+1))
		withKey := slices.Concat(body[:at], []byte(key), body[at:])
		o := Observation{Kind: kind, Check: check, Model: modelID, Status: status,
			Header: http.Header{"Content-Type": {contentType}}, Body: withKey}
		c := Classify(o)
		if !slices.Contains(model.Classes(), c.Class) {
			t.Fatalf("class %q not in model.Classes()", c.Class)
		}
		if c.Signature == "" || len(c.Signature) > MaxSignature || !utf8.ValidString(c.Signature) {
			t.Fatalf("bad signature %q", c.Signature)
		}
		if c.Rule == "" || c.Access == "" || (c.Layer != model.LayerAPI && c.Layer != model.LayerHTTP) {
			t.Fatalf("incomplete classification %+v", c)
		}
		// The kind label comes from config, not the body.
		if rest := strings.TrimPrefix(c.Signature, kindLabel(kind)+":"); leaksKey(rest, key) {
			t.Fatalf("signature %q leaks key %q", c.Signature, key)
		}
	})
}

func BenchmarkClassify(b *testing.B) {
	fixtures := loadFixtures(b)
	pick := func(name string) Observation {
		for _, f := range fixtures {
			if f.name == name {
				return f.obs
			}
		}
		b.Fatalf("no fixture %s", name)
		return Observation{}
	}
	cases := []struct {
		name string
		obs  Observation
	}{
		{"ok", obs("openai", "models", "", 200, `{"object":"list","data":[{"id":"gpt-4o","object":"model"}]}`)},
		{"anthropic_geo", pick("anthropic_403_geo_forbidden")},
		{"openai_model_gone", pick("openai_404_model_not_found")},
		{"gemini_api_key", pick("gemini_400_api_key_invalid")},
		{"openrouter_upstream", pick("openrouter_403_upstream_geo")},
		{"cloudflare_html", pick("groq_403_cloudflare_blocked")},
	}
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = Classify(bc.obs)
			}
		})
	}
}

func BenchmarkNormalise(b *testing.B) {
	msg := "Rate limit reached for model gemma2-9b-it in organization org_01hq2x3y4z5a6b7c8d9e0f1g2h service tier on_demand on tokens per minute (TPM): Limit 15000, Used 11972, Requested 4351. Please try again in 5.289s."
	b.ReportAllocs()
	for b.Loop() {
		_ = Normalise(msg, "gemma2-9b-it")
	}
}
