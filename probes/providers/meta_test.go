package providers_test

import (
	"net/http"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/accesswatch/accesswatch/probes/providers"
)

func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

// The header sets are the captures quoted in providers.md.
func TestExtractMeta(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		h    http.Header
		body string
		want providers.Meta
	}{
		{"anthropic geo block: edge only, no request id",
			hdr("cf-ray", "89cdc7d74e3e2512-SJC", "server", "cloudflare", "content-type", "application/json"),
			`{"error":{"type":"forbidden","message":"Request not allowed"}}`,
			providers.Meta{EdgeColo: "SJC"}},
		{"anthropic 200",
			hdr("request-id", "req_018EeWyXxfu5pfWkrYcMdjWG", "cf-ray", "972a33bb3977d246-FRA", "via", "1.1 google"), "",
			providers.Meta{RequestID: "req_018EeWyXxfu5pfWkrYcMdjWG", EdgeColo: "FRA"}},
		{"anthropic body request_id fallback", hdr(),
			`{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"},"request_id":"req_011CYhr1kdGzCrPHfrhibMen"}`,
			providers.Meta{RequestID: "req_011CYhr1kdGzCrPHfrhibMen"}},
		{"header wins over body", hdr("request-id", "req_header"), `{"request_id":"req_body"}`,
			providers.Meta{RequestID: "req_header"}},
		{"groq",
			hdr("x-request-id", "req_01jngbvsctfy0bmjw87yea904b", "x-groq-region", "us-west-1", "via", "1.1 google", "server", "cloudflare", "cf-ray", "91b0c10e4a051b5a-NBO"), "",
			providers.Meta{RequestID: "req_01jngbvsctfy0bmjw87yea904b", EdgeColo: "NBO", EdgeRegion: "us-west-1"}},
		{"openai", hdr("x-request-id", "req_8b7f0c2a1d", "openai-processing-ms", "41", "cf-ray", "8f1e2d3c4b5a6978-AMS"), "",
			providers.Meta{RequestID: "req_8b7f0c2a1d", EdgeColo: "AMS"}},
		{"mistral correlation id before kong", hdr("x-kong-request-id", "kong-1", "mistral-correlation-id", "0199aa-corr"), "",
			providers.Meta{RequestID: "0199aa-corr"}},
		{"mistral kong only", hdr("x-kong-request-id", "2c3d4e5f"), "", providers.Meta{RequestID: "2c3d4e5f"}},
		{"mistral old body", hdr(), `{"message":"Unauthorized","request_id":"933f233947ff6d346065bb297e4a4d56"}`,
			providers.Meta{RequestID: "933f233947ff6d346065bb297e4a4d56"}},
		{"azure", hdr("apim-request-id", "6f1c-apim", "x-ms-region", "East US 2"), "",
			providers.Meta{RequestID: "6f1c-apim", EdgeRegion: "East US 2"}},
		{"bedrock", hdr("x-amzn-RequestId", "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"), "",
			providers.Meta{RequestID: "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"}},
		{"cohere", hdr("x-debug-trace-id", "7c8d9e0f1a2b"), "", providers.Meta{RequestID: "7c8d9e0f1a2b"}},
		{"gemini: nothing", hdr("server", "scaffolding on HTTPServer2", "server-timing", "gfet4t7; dur=662"),
			`{"error":{"code":404,"status":"NOT_FOUND"}}`, providers.Meta{}},
		{"lower-case colo", hdr("cf-ray", "89cdc7d74e3e2512-sjc"), "", providers.Meta{EdgeColo: "SJC"}},
		{"cf-ray without colo", hdr("cf-ray", "89cdc7d74e3e2512"), "", providers.Meta{}},
		{"cf-ray 4-letter colo", hdr("cf-ray", "89cdc7d74e3e2512-SJCX"), "", providers.Meta{}},
		{"cf-ray non-hex id", hdr("cf-ray", "zz-SJC"), "", providers.Meta{}},
		{"cf-ray empty id", hdr("cf-ray", "-SJC"), "", providers.Meta{}},
		{"control characters dropped", hdr("x-request-id", "req_1\x00\x1b[31m"), "", providers.Meta{RequestID: "req_1[31m"}},
		{"non-string body id ignored", hdr(), `{"request_id":42}`, providers.Meta{}},
		{"body not json", hdr(), `<html>request_id</html>`, providers.Meta{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := providers.ExtractMeta(tc.h, []byte(tc.body)); got != tc.want {
				t.Errorf("ExtractMeta = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestExtractMetaBounds(t *testing.T) {
	t.Parallel()
	m := providers.ExtractMeta(hdr("x-request-id", strings.Repeat("é", 200), "x-groq-region", strings.Repeat("r", 500)), nil)
	if len(m.RequestID) > 128 || !utf8.ValidString(m.RequestID) || m.RequestID == "" {
		t.Errorf("RequestID not bounded to valid UTF-8: %d bytes", len(m.RequestID))
	}
	if len(m.EdgeRegion) != 64 {
		t.Errorf("EdgeRegion is %d bytes, want 64", len(m.EdgeRegion))
	}
}

func FuzzExtractMeta(f *testing.F) {
	f.Add("req_1", "89cdc7d74e3e2512-SJC", "us-west-1", []byte(`{"request_id":"req_2"}`))
	f.Add("", "-", "\xff", []byte(`{"request_id":"\u0000"}`))
	f.Fuzz(func(t *testing.T, id, ray, region string, body []byte) {
		m := providers.ExtractMeta(hdr("request-id", id, "cf-ray", ray, "x-ms-region", region), body)
		for _, v := range []string{m.RequestID, m.EdgeColo, m.EdgeRegion} {
			if !utf8.ValidString(v) || len(v) > 128 || strings.IndexFunc(v, unicode.IsControl) >= 0 {
				t.Errorf("unsafe value %q", v)
			}
		}
		if m.EdgeColo != "" && len(m.EdgeColo) != 3 {
			t.Errorf("colo %q", m.EdgeColo)
		}
	})
}
