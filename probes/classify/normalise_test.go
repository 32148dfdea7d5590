package classify

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestNormalise(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, model, want string
	}{
		{"lower and collapse", "  Request \t not\nAllowed  ", "", "request not allowed"},
		{"model id", "model: claude-3-5-sonnet-20241022 ", "claude-3-5-sonnet-20241022", "model: <model>"},
		{"model id case", "The model `GPT-4o` does not exist", "gpt-4o", "the model `<model>` does not exist"},
		{"gemini models/ prefix", "models/gemini-1.5-flash is not found", "models/gemini-1.5-flash", "models/<model> is not found"},
		{"model inside a key", "key sk-proj-Qm3vo1X9tLw2Rz8Kp4Hn6Yc1 for o1", "o1", "key <key> for <model>"},
		{"model inside an id", "req_011CYo1hr1kdGz", "o1", "<id>"},
		{"model glued to a word", "iso1234 and o1-mini and o1", "o1", "iso1234 and <model>-mini and <model>"},
		{"vertex model with @", "model claude-3-5-sonnet@20240620 not found", "claude-3-5-sonnet@20240620", "model <model> not found"},
		{"azure model in list", "'format:openai,name:gpt-35-turbo-16k,version:0613'", "gpt-35-turbo-16k", "'format:openai,name:<model>,version:<n>'"},
		{"other model names kept", "Please use Opus 4.8 or claude-sonnet-4-5-20250929", "", "please use opus <n> or claude-sonnet-4-5-20250929"},
		{"anthropic request id", "failed req_011CYhr1kdGzCrPHfrhibMen", "", "failed <id>"},
		{"placeholder request id", `"request_id":"req_…"`, "", `"request_id":"<id>"`},
		{"uuid", "team bdc397fa-17fc-468e-9180-d0870ca1e10a has", "", "team <id> has"},
		{"hex id", `"request_id":"933f233947ff6d346065bb297e4a4d56"`, "", `"request_id":"<id>"`},
		{"cf-ray", "ray 89cdc7d74e3e2512-SJC", "", "ray <id>"},
		{"base62 id", "id Zq8Xw7Vu6Ts5Rq4Po3Nm2Lk1", "", "id <id>"},
		{"long digit id", "(request id: 2024072510422562564674066306279)", "", "(request id: <id>)"},
		{"user id", `"user_id":"user_2abcDEF345ghiJKL678mno" user_***`, "", `"user_id":"<id>" <id>`},
		{"org id", "in organization org-AbCdEf123456 service", "", "in organization <id> service"},
		{"masked openai key", "Incorrect API key provided: sk-VKMIs***…wjh3. You can", "", "incorrect api key provided: <key>. you can"},
		{"masked xai key", "provided: sk***gA. You", "", "provided: <key>. you"},
		{"anthropic key", "key sk-ant-api03-AbCdEfGhIjKlMnOp-QrStUv_WxYz01", "", "key <key>"},
		{"project key", "sk-proj-Qm3vX9tLw2Rz8Kp4Hn6Yc1", "", "<key>"},
		{"groq key", "gsk_Vq7Wm3Xp9Lr2Tk8Yn4Hz6", "", "<key>"},
		{"google key in query", "models?key=AIzaSyD4x7Qp9Lm2Rk8Vn3Tz6Wc1Hb5Jf0Gs7Yd&alt=json", "", "models?key=<key>&alt=json"},
		{"key glued after colon", "key:sk-proj-Qm3vX9tLw2Rz8Kp4", "", "<key>"},
		{"words with sk- kept", "task-list and risk-based desk-top", "", "task-list and risk-based desk-top"},
		{"ipv4", "IP 127.0.0.1 not authorized", "", "ip <ip> not authorized"},
		{"ipv4 port", "dial 127.0.0.1:8443 failed", "", "dial <ip> failed"},
		{"ipv6", "from ::1 and fe80::1:2", "", "from <ip> and <ip>"},
		{"rfc3339", "resets at 2026-06-01T10:00:00Z.", "", "resets at <time>."},
		{"date and clock", "deprecated since 04/30/2025 00:00:00.", "", "deprecated since <time> <time>."},
		{"rate numbers", "Limit 15000, Used 11972, Requested 4351. Please try again in 5.289s.", "",
			"limit <n>, used <n>, requested <n>. please try again in <duration>."},
		{"durations", "in 412ms or 1m2.5s or 20s", "", "in <duration> or <duration> or <duration>"},
		{"number with colon", "limit:15000/min", "", "limit:<n>/min"},
		{"words with digits kept", "API version v1beta, gpt-4o, gemma2-9b-it", "", "api version v1beta, gpt-4o, gemma2-9b-it"},
		{"grpc status", `grpc_status:9, grpc_message:"x"`, "", `grpc_status:<n>, grpc_message:"x"`},
		{"url kept", "see https://console.groq.com/docs/rate-limits.", "", "see https://console.groq.com/docs/rate-limits."},
		{"control chars", "a\x00b\x1bc", "", "a b c"},
		{"invalid utf8", "bad \xff byte", "", "bad ? byte"},
		{"unicode lower", "Zugriff VERWEIGERT für Ärger", "", "zugriff verweigert für ärger"},
		{"empty", "", "m", ""},
		{"one-letter model ignored", "a b c", "a", "a b c"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := Normalise(tc.in, tc.model); got != tc.want {
				t.Errorf("Normalise(%q, %q)\n got %q\nwant %q", tc.in, tc.model, got, tc.want)
			}
		})
	}
}

func TestNormaliseBounded(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		strings.Repeat("word ", 500),
		strings.Repeat("é", 500),
		strings.Repeat(" ", 5000) + "tail",
		strings.Repeat("x", 10000),
	} {
		got := Normalise(in, "")
		if len(got) > maxNormalised || !utf8.ValidString(got) {
			t.Errorf("Normalise of %d bytes gave %d bytes (valid UTF-8: %v)", len(in), len(got), utf8.ValidString(got))
		}
	}
	if got := Normalise(strings.Repeat(" ", 5000)+"tail", ""); got != "tail" {
		t.Errorf("leading white space: got %q", got)
	}
}

func TestNormaliseIdempotent(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		"Incorrect API key provided: sk-VKMIs***…wjh3.",
		"Limit 15000, Used 11972 at 2026-06-01T10:00:00Z from 127.0.0.1",
		"model: <model> req_<id>",
	} {
		once := Normalise(in, "")
		if twice := Normalise(once, ""); twice != once {
			t.Errorf("not idempotent: %q -> %q -> %q", in, once, twice)
		}
	}
}

func TestNormaliseDisplayName(t *testing.T) {
	tests := []struct{ in, model, want string }{
		{"Claude Fable 5 is not available. Please use Opus 4.8.", "claude-fable-5", "<model> is not available. please use opus <n>."},
		{"Claude Mythos 5 is not available. Please use Opus 4.8.", "claude-mythos-5", "<model> is not available. please use opus <n>."},
		{"Claude Fable 50 is not available.", "claude-fable-5", "claude fable <n> is not available."},
		{"xClaude Fable 5 is here", "claude-fable-5", "xclaude fable <n> is here"},
	}
	for _, tc := range tests {
		if got := Normalise(tc.in, tc.model); got != tc.want {
			t.Errorf("Normalise(%q, %q) = %q, want %q", tc.in, tc.model, got, tc.want)
		}
	}
}
