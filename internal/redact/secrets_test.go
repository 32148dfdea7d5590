package redact_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/accesswatch/accesswatch/internal/redact"
)

// fake builds a key-shaped test string at run time from a prefix and a filler, so no file of
// the repository holds anything a secret scanner would take for a real credential.
// hdr builds a header from name, value pairs.
func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

func fake(prefix string, n int, alphabet string) string {
	var b strings.Builder
	b.WriteString(prefix)
	for i := range n {
		b.WriteByte(alphabet[(i*7+3)%len(alphabet)])
	}
	return b.String()
}

const (
	alnum = "aB3dE5gH7jK9mN1pQ2rS4tU6vW8xY0z"
	hexes = "0123456789abcdef"
)

func TestRedactVendorKeyShapes(t *testing.T) {
	t.Parallel()
	shapes := map[string]string{
		"anthropic api key":    fake("sk-ant-api03-", 93, alnum+"_-") + "AA",
		"anthropic admin key":  fake("sk-ant-admin01-", 93, alnum) + "AA",
		"anthropic oauth":      fake("sk-ant-oat01-", 60, alnum),
		"openai project key":   fake("sk-proj-", 74, alnum) + "T3BlbkFJ" + fake("", 74, alnum),
		"openai service acct":  fake("sk-svcacct-", 58, alnum) + "T3BlbkFJ" + fake("", 58, alnum),
		"openai admin key":     fake("sk-admin-", 58, alnum) + "T3BlbkFJ" + fake("", 58, alnum),
		"openai legacy key":    fake("sk-", 20, alnum) + "T3BlbkFJ" + fake("", 20, alnum),
		"openrouter key":       fake("sk-or-v1-", 64, hexes),
		"deepseek key":         fake("sk-", 32, hexes),
		"gemini key":           fake("AIza", 35, alnum+"_-"),
		"google oauth token":   fake("ya29.", 100, alnum+"_-"),
		"groq key":             fake("gsk_", 52, alnum),
		"xai key":              fake("xai-", 80, alnum),
		"perplexity key":       fake("pplx-", 48, alnum),
		"hugging face token":   fake("hf_", 34, alnum),
		"replicate token":      fake("r8_", 37, alnum),
		"fireworks key":        fake("fw_", 24, alnum),
		"together key":         fake("tgp_v1_", 43, alnum+"_-"),
		"together legacy hex":  fake("", 64, hexes),
		"cerebras key":         fake("csk-", 48, alnum),
		"aws access key id":    "AKIA" + fake("", 16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"),
		"aws session key id":   "ASIA" + fake("", 16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"),
		"slack bot token":      fake("xoxb-", 0, "") + fake("", 12, "0123456789") + "-" + fake("", 13, "0123456789") + "-" + fake("", 24, alnum),
		"slack user token":     fake("xoxp-", 0, "") + fake("", 11, "0123456789") + "-" + fake("", 10, "0123456789") + "-" + fake("", 11, "0123456789") + "-" + fake("", 32, hexes),
		"slack app token":      "xapp-1-A" + fake("", 10, "0123456789ABCDEF") + "-" + fake("", 13, "0123456789") + "-" + fake("", 64, hexes),
		"github classic token": fake("ghp_", 36, alnum),
		"github app token":     fake("ghs_", 36, alnum),
		"github fine-grained":  fake("github_pat_", 82, alnum+"_"),
		"jwt":                  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9." + fake("eyJ", 40, alnum+"_-") + "." + fake("", 43, alnum+"_-"),
	}
	for name, key := range shapes {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for _, wrap := range []string{"%s", "key %s in text", `{"error":{"message":"bad key: %s"}}`, "request-id: %s;"} {
				in := strings.Replace(wrap, "%s", key, 1)
				got := redact.String(in)
				if strings.Contains(got, key) || strings.Contains(got, key[len(key)/2:]) {
					t.Errorf("Redact(%q) = %q keeps the key", in, got)
				}
				if !strings.Contains(got, "[REDACTED]") {
					t.Errorf("Redact(%q) = %q has no marker", in, got)
				}
			}
		})
	}
	hook := "https://hooks.slack.com/services/T" + fake("", 10, "ABCDEFGHJK0123") + "/B" + fake("", 10, "ABCDEFGHJK0123") + "/" + fake("", 24, alnum)
	for _, in := range []string{hook, strings.ReplaceAll(hook, "/", `\/`)} {
		got := redact.String("post to " + in + " failed")
		if strings.Contains(got, hook[len(hook)-24:]) || !strings.Contains(got, "[REDACTED]") {
			t.Errorf("slack hook URL %q → %q", in, got)
		}
	}
}

// Request ids, model ids and our own ids look random too, but must survive: they are what a
// vendor's support asks for.
func TestRedactKeepsRequestIDs(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		"req_011CYhr1kdGzCrPHfrhibMen",                            // Anthropic
		"req_8b7f0c2a1d4e5f60718293a4b5c6d7e8",                    // OpenAI
		"req_01jngbvsctfy0bmjw87yea904b",                          // Groq
		"chatcmpl-AbCdEf0123456789GhIjKlMnOpQr",                   // OpenAI completion id
		"msg_01XFDUDYJgAACzvnptvVoYEL",                            // Anthropic message id
		"gen-1742151423-AbCdEfGhIjKlMnOpQrSt",                     // OpenRouter generation id
		"0199aa3b-4c5d-7e8f-9a0b-1c2d3e4f5a6b",                    // UUID (Mistral correlation id)
		"a1b2c3d4-5678-90ab-cdef-EXAMPLE11111",                    // AWS request id
		"933f233947ff6d346065bb297e4a4d56",                        // 32-hex id (older Mistral bodies)
		"0000018f2a3b4c5d9e8f7a6b5c4d3e2f",                        // our own result id
		"89cdc7d74e3e2512-SJC",                                    // cf-ray
		"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", // traceparent
		"claude-sonnet-4-5-20250929",
		"models/gemini-2.5-flash-preview-05-20",
		"accounts/fireworks/models/llama-v3p1-8b-instruct",
		"meta-llama/Llama-3.3-70B-Instruct-Turbo",
		"ask-me later; the desk-1234 is a task-force",
	} {
		if got := redact.String(s); got != s {
			t.Errorf("Redact(%q) = %q, want it unchanged", s, got)
		}
	}
}

func TestRedactEdgeCases(t *testing.T) {
	t.Parallel()
	canary := "Zq8T0mVx4LpR2sKd9NwY7cHb1JfG6uAe3XiO5nBt" // 40 alnum, no vendor shape
	tests := []struct {
		name, in string
		secrets  []string
		want     string
	}{
		// Decision: a vendor that upper-cases (or otherwise re-cases) our key still echoes it:
		// secrets are removed case-insensitively.
		{"upper-cased echo", "invalid key " + strings.ToUpper(canary) + ".", []string{canary}, "invalid key [REDACTED]."},
		{"lower-cased echo", "invalid key " + strings.ToLower(canary), []string{canary}, "invalid key [REDACTED]"},
		{"mixed-case echo", "KEY=zQ8t0MvX4lPr2SkD9nWy7ChB1jFg6UaE3xIo5NbT!", []string{canary}, "KEY=[REDACTED]!"},
		{"overlapping secrets merge", "xxabcdefyy", []string{"abcd", "cdef"}, "xx[REDACTED]yy"},
		{"secret inside another", "--outer-inner-outer--", []string{"inner", "outer-inner-outer"}, "--[REDACTED]--"},
		{"adjacent occurrences", "abab", []string{"ab"}, "[REDACTED]"},
		{"secret the marker holds", "k=rEdAcTeD;", []string{"redacted"}, "k=***;"},
		{"secret holding the marker's ends", "a[x]b", []string{"[x]"}, "a***b"},
		{"kelvin sign folds to k", "sk\u212Aey", []string{"skkey"}, "[REDACTED]"},
		{"non-ascii fold", "ÉCOLE", []string{"école"}, "[REDACTED]"},
		{"invalid bytes match exactly", "a\xffb a\xfeb", []string{"a\xffb"}, "[REDACTED] a\xfeb"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := redact.String(tc.in, tc.secrets...); got != tc.want {
				t.Errorf("Redact(%q, %q) = %q, want %q", tc.in, tc.secrets, got, tc.want)
			}
		})
	}
}

// A secret that straddles a cut must not leave its first half behind: it is removed before
// anything is cut.
func TestRedactSecretAcrossCut(t *testing.T) {
	t.Parallel()
	canary := "Zq8T0mVx4LpR2sKd9NwY7cHb1JfG6uAe3XiO5nBt"
	for limit := 1; limit < 80; limit++ {
		body := strings.Repeat("x", 20) + " " + canary + " tail"
		got := redact.Excerpt([]byte(body), limit, canary)
		if strings.Contains(got, canary[:8]) {
			t.Fatalf("Excerpt(limit %d) = %q keeps the key's head", limit, got)
		}
	}
	// And in a body: whitespace collapsing must not reassemble a key split by spaces.
	got := redact.Excerpt([]byte("a  b"), 0, "a b")
	if strings.Contains(got, "a b") {
		t.Errorf("Excerpt reassembled a secret: %q", got)
	}
}

func TestRedactBody(t *testing.T) {
	t.Parallel()
	canary := "Zq8T0mVx/4LpR2sKd9NwY7cHb1JfG6uAe3XiO5nBt"
	esc := strings.ReplaceAll(canary, "/", `\/`)
	uni := `\u005a` + canary[1:] // "Z" written as a JSON escape
	tests := []struct {
		name, body string
		json       bool
	}{
		{"plain json", `{"error":{"message":"Incorrect API key provided: ` + strings.ToUpper(canary) + `"},"request_id":"` + canary + `"}`, true},
		{"escaped slash", `{"error":{"message":"key ` + esc + ` is invalid"}}`, true},
		{"unicode escape", `{"error":{"message":"key ` + uni + ` is invalid"}}`, true},
		{"in a key", `{"` + canary + `":1}`, true},
		{"escape before the key", `{"m":"\n` + canary + `"}`, true},
		{"html", `<html><body>key ` + canary + `</body></html>`, false},
		{"truncated json", `{"error":{"message":"key ` + canary, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := redact.Body([]byte(tc.body), redact.WithEncodings([]string{canary})...)
			if tc.json {
				var v any
				if err := json.Unmarshal(got, &v); err != nil {
					t.Fatalf("scrubbed body %s is no longer JSON: %v", got, err)
				}
				flat, _ := json.Marshal(v)
				if strings.Contains(strings.ToLower(string(flat)), strings.ToLower(canary)) {
					t.Errorf("decoded body %s keeps the key", flat)
				}
			}
			if strings.Contains(strings.ToLower(string(got)), strings.ToLower(canary)) {
				t.Errorf("RedactBody = %s keeps the key", got)
			}
			if !strings.Contains(string(got), "[REDACTED]") {
				t.Errorf("RedactBody = %s has no marker", got)
			}
		})
	}
	// Nothing to remove: the body comes back byte for byte.
	plain := []byte("{\n  \"error\": {\"type\": \"forbidden\", \"message\": \"Request not allowed\"}\n}")
	if got := redact.Body(plain, canary); string(got) != string(plain) {
		t.Errorf("RedactBody changed a body without secrets: %s", got)
	}
}

func TestRedactHeader(t *testing.T) {
	t.Parallel()
	canary := "Zq8T0mVx4LpR2sKd9NwY7cHb1JfG6uAe3XiO5nBt"
	h := hdr("X-Echo-"+canary, "1", "X-Debug", "auth="+strings.ToUpper(canary), "Server", "cloudflare")
	got := redact.Header(h, canary)
	for name, vs := range got {
		if strings.Contains(strings.ToLower(name+strings.Join(vs, ",")), strings.ToLower(canary)) {
			t.Errorf("header %s: %v keeps the key", name, vs)
		}
	}
	if got.Get("Server") != "cloudflare" {
		t.Errorf("Server = %q", got.Get("Server"))
	}
	if h.Get("X-Debug") != "auth="+strings.ToUpper(canary) {
		t.Error("RedactHeader changed its argument")
	}
}

func TestWithEncodings(t *testing.T) {
	t.Parallel()
	got := redact.WithEncodings([]string{"a+b/c=", "", "a+b/c="})
	want := map[string]bool{"a+b/c=": true, "a%2Bb%2Fc%3D": true, "a+b%2Fc=": true, `a+b\/c=`: true}
	if len(got) != len(want) {
		t.Fatalf("WithEncodings = %q", got)
	}
	for _, g := range got {
		if !want[g] {
			t.Errorf("unexpected form %q", g)
		}
	}
}

// holdsFold reports whether s contains sec under Unicode simple case folding, comparing every
// window of sec's rune count (an oracle independent of Redact's matcher; valid UTF-8 only).
func holdsFold(s, sec string) bool {
	n := utf8.RuneCountInString(sec)
	for i := 0; i < len(s); i++ {
		j, k := i, 0
		for ; k < n && j < len(s); k++ {
			_, size := utf8.DecodeRuneInString(s[j:])
			j += size
		}
		if k == n && utf8.ValidString(s[i:j]) && strings.EqualFold(s[i:j], sec) {
			return true
		}
	}
	return false
}

func FuzzRedactBody(f *testing.F) {
	f.Add([]byte(`{"request_id":"KEY","error":{"message":"bad key\/KEY"}}`), "key/KEY")
	f.Add([]byte(`{"m":"\u004bEY"}`), "KEY")
	f.Add([]byte(`{"m":"\nKEY"}`), "nKEY")
	f.Fuzz(func(t *testing.T, body []byte, secret string) {
		got := redact.Body(body, secret)
		if json.Valid(body) && !json.Valid(got) && len(got) > 0 {
			t.Errorf("RedactBody(%q, %q) = %q is no longer JSON", body, secret, got)
		}
		if secret != "" && utf8.ValidString(secret) && utf8.Valid(got) && holdsFold(string(got), secret) {
			t.Errorf("RedactBody(%q, %q) = %q holds the secret", body, secret, got)
		}
	})
}
