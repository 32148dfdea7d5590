package redact_test

import (
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/accesswatch/accesswatch/internal/redact"
)

func TestRedactKeyShapes(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"anthropic key", "key sk-ant-api03-AbCdEf012345_-xyz in text", "key [REDACTED] in text"},
		{"openai project key", `"sk-proj-abc123DEF456ghi789"`, `"[REDACTED]"`},
		{"openrouter key", "sk-or-v1-0123456789abcdef", "[REDACTED]"},
		{"openai masked echo", "Incorrect API key provided: sk-VKMIs***…wjh3. You can find", "Incorrect API key provided: [REDACTED]. You can find"},
		{"xai masked echo", "Incorrect API key provided: sk***gA. You can obtain", "Incorrect API key provided: [REDACTED]. You can obtain"},
		{"groq key", "gsk_abcdEFGH12345678ijkl", "[REDACTED]"},
		{"google key", "AIzaSyA-1234567890abcdefghijklmnopqrs", "[REDACTED]"},
		{"xai key", "xai-AbCdEfGh12345678", "[REDACTED]"},
		{"bearer header", "Authorization: Bearer abc.def-ghi_jkl", "Authorization: Bearer [REDACTED]"},
		{"bearer lower case", "authorization: bearer tok12345", "authorization: bearer [REDACTED]"},
		{"x-api-key header", "x-api-key: not-shaped-at-all", "x-api-key: [REDACTED]"},
		{"json api_key", `{"api_key":"plainvalue99"}`, `{"api_key":"[REDACTED]"}`},
		{"query key", "GET /v1beta/models?key=whatever123&pageSize=5", "GET /v1beta/models?key=[REDACTED]&pageSize=5"},
		{"innocent text", "model: claude-3-5-sonnet-20241022 not found; ask-me later", "model: claude-3-5-sonnet-20241022 not found; ask-me later"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := redact.String(tc.in); got != tc.want {
				t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestRedactSecrets(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		secrets  []string
		want     string
	}{
		{"given secret", "token=opaque-Zz9 rest", []string{"opaque-Zz9"}, "token=[REDACTED] rest"},
		{"several secrets", "a1 b2 a1", []string{"a1", "b2"}, "[REDACTED] [REDACTED] [REDACTED]"},
		{"overlapping occurrences", "xaaay", []string{"aa"}, "x[REDACTED]y"},
		{"empty secret ignored", "abc", []string{""}, "abc"},
		{"secret sharing marker bytes", "x[RED]y", []string{"[RED]"}, "x***y"},
		{"no safe marker: removal repeats", "aabb", []string{"ab", "[REDACTED]", "***", "#", "~", "^"}, ""},
		{"partial rune widened", "café", []string{"\xa9"}, "caf[REDACTED]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := redact.String(tc.in, tc.secrets...)
			if got != tc.want {
				t.Errorf("Redact(%q, %q) = %q, want %q", tc.in, tc.secrets, got, tc.want)
			}
		})
	}
}

func TestExcerpt(t *testing.T) {
	t.Parallel()
	const key = "sk-ant-api03-SECRETSECRET"
	tests := []struct {
		name  string
		body  string
		limit int
		want  string
	}{
		{"collapses whitespace", "{\n  \"error\":\t{\"type\": \"forbidden\"}\r\n}\n", 0, `{ "error": {"type": "forbidden"} }`},
		{"redacts the key", `{"message":"bad key ` + key + `"}`, 0, `{"message":"bad key [REDACTED]"}`},
		{"bounded", strings.Repeat("a", 1000), 0, strings.Repeat("a", redact.DefaultExcerptLen)},
		{"cut on a rune boundary", "ééé", 5, "éé"},
		{"invalid utf-8 replaced", "ok\xffok", 0, "ok\uFFFDok"},
		{"control characters become spaces", "a\x00\x1bb", 0, "a b"},
		{"key across the cut is still redacted", strings.Repeat("x", 10) + " " + key, 15, "xxxxxxxxxx [RED"},
		{"key after a long run of whitespace", strings.Repeat(" ", 5000) + key, 20, "[REDACTED]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := redact.Excerpt([]byte(tc.body), tc.limit, key); got != tc.want {
				t.Errorf("Excerpt = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSafeURL(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"https://generativelanguage.googleapis.com/v1beta/models?key=AIzaSyA1234567890abcdefgh&pageSize=1000", "https://generativelanguage.googleapis.com/v1beta/models?pageSize=1000"},
		{"https://user:pass@api.example.com/v1/models#frag", "https://api.example.com/v1/models"},
		{"https://api.anthropic.com/v1/models?limit=1000", "https://api.anthropic.com/v1/models?limit=1000"},
		{"https://openrouter.ai/api/v1/models/openai%2Fgpt-4o", "https://openrouter.ai/api/v1/models/openai%2Fgpt-4o"},
		{"https://x.example/keys/sk-proj-abcdef123456/info?Token=t", "https://x.example/keys/[REDACTED]/info"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			u, err := url.Parse(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := redact.URL(u); got != tc.want {
				t.Errorf("SafeURL = %q, want %q", got, tc.want)
			}
		})
	}
	if redact.URL(nil) != "" {
		t.Error("SafeURL(nil) not empty")
	}
}

func FuzzRedact(f *testing.F) {
	f.Add("Authorization: Bearer sk-ant-api03-abc", "sk-ant-api03-abc")
	f.Add("aabb", "ab")
	f.Add("café", "\xa9")
	f.Add("x[REDACTED]y", "D]y")
	f.Add("invalid KEY ZQ8T0MVX given", "zq8t0mvx")
	f.Add("sk\u212Aey", "skkey")
	f.Add("[REDACTED]", "d]")
	f.Fuzz(func(t *testing.T, s, secret string) {
		got := redact.String(s, secret)
		if secret != "" && strings.Contains(got, secret) {
			t.Errorf("Redact(%q, %q) = %q still holds the secret", s, secret, got)
		}
		// No configured secret survives, case-insensitively.
		if secret != "" && strings.Contains(asciiLower(got), asciiLower(secret)) {
			t.Errorf("Redact(%q, %q) = %q still holds the secret in another case", s, secret, got)
		}
		if secret != "" && utf8.ValidString(secret) && utf8.ValidString(got) && holdsFold(got, secret) {
			t.Errorf("Redact(%q, %q) = %q still holds the secret under case folding", s, secret, got)
		}
		if utf8.ValidString(s) && !utf8.ValidString(got) {
			t.Errorf("Redact(%q, %q) = %q is not valid UTF-8", s, secret, got)
		}
	})
}

func FuzzExcerpt(f *testing.F) {
	f.Add([]byte(`{"error":{"message":"Incorrect API key provided: sk-abc"}}`), 0, "sk-abc")
	f.Add([]byte("a  \n b"), 3, "a b")
	f.Add([]byte("é\xff"), 2, "\xbd")
	f.Fuzz(func(t *testing.T, body []byte, limit int, secret string) {
		got := redact.Excerpt(body, limit, secret)
		bound := limit
		if bound <= 0 {
			bound = redact.DefaultExcerptLen
		}
		if len(got) > bound {
			t.Errorf("len %d > %d", len(got), bound)
		}
		if !utf8.ValidString(got) {
			t.Errorf("invalid UTF-8: %q", got)
		}
		if secret != "" && strings.Contains(got, secret) {
			t.Errorf("Excerpt(%q, %d, %q) = %q leaks the secret", body, limit, secret, got)
		}
	})
}

// asciiLower lower-cases ASCII letters only (bytes of invalid UTF-8 are kept as they are).
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
