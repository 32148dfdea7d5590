package providers

import (
	"encoding/json"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/accesswatch/accesswatch/internal/redact"
)

// Meta is evidence pulled out of an answer: which request it was (for the vendor's support)
// and which edge served it.
type Meta struct {
	RequestID  string // the vendor's request id
	EdgeColo   string // Cloudflare colo (IATA code) from cf-ray, e.g. "SJC"
	EdgeRegion string // the serving region some vendors name (x-groq-region, x-ms-region)
}

// requestIDHeaders are tried in order; the first non-empty wins.
var requestIDHeaders = []string{
	"request-id",             // Anthropic
	"x-request-id",           // OpenAI, Groq, Azure
	"mistral-correlation-id", // Mistral
	"x-kong-request-id",      // Mistral's gateway
	"apim-request-id",        // Azure API Management
	"x-amzn-RequestId",       // AWS Bedrock
	"x-debug-trace-id",       // Cohere
}

var regionHeaders = []string{"x-groq-region", "x-ms-region"}

// Bounds on what an answer may make us store.
const (
	maxIDLen     = 128
	maxRegionLen = 64
)

// ExtractMeta reads request id, Cloudflare colo and region from an answer. Values are
// untrusted: the given secrets and anything key-shaped are removed first (a vendor or proxy
// may echo our key as a request id), then they are bounded and stripped of control
// characters.
func ExtractMeta(h http.Header, body []byte, secrets ...string) Meta {
	var m Meta
	for _, name := range requestIDHeaders {
		if v := clean(redact.String(h.Get(name), secrets...), maxIDLen); v != "" {
			m.RequestID = v
			break
		}
	}
	if m.RequestID == "" {
		m.RequestID = clean(redact.String(bodyRequestID(body), secrets...), maxIDLen)
	}
	m.EdgeColo = cfColo(h.Get("cf-ray"))
	for _, name := range regionHeaders {
		if v := clean(redact.String(h.Get(name), secrets...), maxRegionLen); v != "" {
			m.EdgeRegion = v
			break
		}
	}
	return m
}

// bodyRequestID reads a top-level "request_id" (Anthropic error bodies, older Mistral ones).
func bodyRequestID(body []byte) string {
	b := strings.TrimSpace(string(body))
	if !strings.HasPrefix(b, "{") {
		return ""
	}
	var doc struct {
		RequestID any `json:"request_id"`
	}
	if json.Unmarshal([]byte(b), &doc) != nil {
		return ""
	}
	s, _ := doc.RequestID.(string)
	return s
}

// cfColo returns the IATA code at the end of a cf-ray value ("89cdc7d74e3e2512-SJC").
func cfColo(ray string) string {
	ray = strings.TrimSpace(ray)
	i := strings.LastIndexByte(ray, '-')
	if i <= 0 {
		return ""
	}
	id, colo := ray[:i], ray[i+1:]
	if len(colo) != 3 || strings.IndexFunc(id, func(r rune) bool { return !isHex(r) }) >= 0 {
		return ""
	}
	for _, r := range colo {
		if !('A' <= r && r <= 'Z' || 'a' <= r && r <= 'z') {
			return ""
		}
	}
	return strings.ToUpper(colo)
}

func isHex(r rune) bool {
	return '0' <= r && r <= '9' || 'a' <= r && r <= 'f' || 'A' <= r && r <= 'F'
}

// clean trims s, drops control characters and invalid UTF-8, and cuts it to limit bytes.
func clean(s string, limit int) string {
	s = strings.Map(func(r rune) rune {
		if r == utf8.RuneError || unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(cutUTF8(strings.TrimSpace(s), limit))
}

// cutUTF8 cuts valid UTF-8 to at most limit bytes without splitting a rune.
func cutUTF8(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	i := limit
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}
