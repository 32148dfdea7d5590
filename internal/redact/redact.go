// Package redact removes secrets from text before it is kept, logged, exported, published or
// sent: every configured secret, in any letter case and in its URL- and JSON-escaped forms, and
// anything shaped like a vendor's key (Anthropic, OpenAI, OpenRouter, Google, Groq, xAI, …),
// while ordinary request ids survive. Secrets go first, before any other transformation, so a
// later lower-casing, normalising or cut never hides one from it. It is the ground floor's:
// probes, collector and logging all use it.
package redact

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// DefaultExcerptLen is the excerpt bound when Excerpt is given limit <= 0.
const DefaultExcerptLen = 512

const redacted = "[REDACTED]"

// keyShapes are credentials recognisable without being told: vendor key prefixes, bearer
// tokens, and key-ish parameters. ${1} keeps the label ("Bearer ", "x-api-key: "). need lists
// literals one of which every match contains (lower-case; compared case-insensitively), so a
// string without any skips the pattern. The patterns are compiled once and never changed.
//
// Formats, as the vendors issue them (and as secret scanners such as gitleaks match them):
// Anthropic sk-ant-api03-/sk-ant-admin01-/sk-ant-oat01-…; OpenAI sk-proj-/sk-svcacct-/sk-admin-
// and legacy sk-…T3BlbkFJ…; OpenRouter sk-or-v1-<64 hex>; DeepSeek sk-<32 hex>; Google
// AIza<35>, OAuth ya29.…; Groq gsk_<52>; xAI xai-<80>; Perplexity pplx-<48>; Hugging Face
// hf_<34>; Replicate r8_<37..40>; Fireworks fw_<20+>; Together tgp_v1_… and legacy 64 hex;
// Cerebras csk-…; AWS access key ids AKIA/ASIA<16>; Slack xoxb-/xoxp-/xoxe-/xoxa-/xoxr-/xoxs-,
// xapp-… and hooks.slack.com/services/… URLs; GitHub ghp_/gho_/ghu_/ghs_/ghr_<36>,
// github_pat_…; JWTs eyJ….eyJ….…
//
// Not masked, on purpose: request ids (req_011C…, chatcmpl-…, msg_…), UUIDs, our own 32-hex
// result ids and cf-ray values.
var keyShapes = []struct {
	need []string
	re   *regexp.Regexp
	repl string
}{
	{[]string{"bearer"}, regexp.MustCompile(`(?i)(\bbearer\s+)[A-Za-z0-9._~+/=\-]{4,}`), "${1}" + redacted},
	{[]string{"basic"}, regexp.MustCompile(`(?i)(\bbasic\s+)[A-Za-z0-9+/]{8,}={0,2}`), "${1}" + redacted},
	{[]string{"key", "token"}, regexp.MustCompile(`(?i)(\b(?:x-api-key|x-goog-api-key|api[-_]?key|access[-_]?token)["']?\s*[:=]\s*["']?)[^\s"'&,;]{4,}`), "${1}" + redacted},
	{[]string{"key=", "access_token="}, regexp.MustCompile(`([?&](?:key|api_key|apikey|access_token)=)[^&\s"'#]+`), "${1}" + redacted},
	// Credentials in a URL's userinfo: scheme://user:password@host.
	{[]string{"@"}, regexp.MustCompile(`(://[^/\s:@"']*:)[^@\s/"']+@`), "${1}" + redacted + "@"},
	// sk-…, sk-ant-…, sk-proj-…, sk-or-v1-…, and OpenAI's masked echo "sk-VKMIs***…wjh3".
	{[]string{"sk-"}, regexp.MustCompile(`\bsk-[A-Za-z0-9_\-]{4,}(?:\*+…?[A-Za-z0-9]*)?`), redacted},
	{[]string{"sk*"}, regexp.MustCompile(`\bsk\*{2,}[A-Za-z0-9]*`), redacted}, // xAI's masked echo "sk***gA"
	{[]string{"gsk_"}, regexp.MustCompile(`\bgsk_[A-Za-z0-9]{8,}`), redacted},
	{[]string{"xai-"}, regexp.MustCompile(`\bxai-[A-Za-z0-9_\-]{8,}`), redacted},
	{[]string{"aiza"}, regexp.MustCompile(`\bAIza[0-9A-Za-z_\-]{10,}`), redacted},
	{[]string{"ya29."}, regexp.MustCompile(`\bya29\.[0-9A-Za-z_\-]{20,}`), redacted},
	{[]string{"pplx-"}, regexp.MustCompile(`\bpplx-[A-Za-z0-9]{20,}`), redacted},
	{[]string{"hf_"}, regexp.MustCompile(`\bhf_[A-Za-z0-9]{30,}`), redacted},
	{[]string{"r8_"}, regexp.MustCompile(`\br8_[A-Za-z0-9]{30,}`), redacted},
	{[]string{"fw_"}, regexp.MustCompile(`\bfw_[A-Za-z0-9]{20,}`), redacted},
	{[]string{"tgp_"}, regexp.MustCompile(`\btgp_v\d+_[A-Za-z0-9_\-]{20,}`), redacted},
	{[]string{"csk-"}, regexp.MustCompile(`\bcsk-[A-Za-z0-9]{20,}`), redacted},
	{[]string{"akia", "asia"}, regexp.MustCompile(`\b(?:AKIA|ASIA)[0-9A-Z]{16}\b`), redacted},
	{[]string{"xox"}, regexp.MustCompile(`\bxox[abeoprs]-[0-9A-Za-z\-]{8,}`), redacted},
	{[]string{"xoxe."}, regexp.MustCompile(`\bxoxe\.xox[bp]-[0-9A-Za-z\-]{20,}`), redacted},
	{[]string{"xapp-"}, regexp.MustCompile(`\bxapp-\d+-[0-9A-Za-z\-]{8,}`), redacted},
	{[]string{"hooks.slack.com"}, regexp.MustCompile(`(?i)(hooks\.slack\.com(?:\\?/)(?:services|workflows|triggers)(?:\\?/))[A-Za-z0-9_+\-]+(?:\\?/[A-Za-z0-9_+\-]+)*`), "${1}" + redacted},
	{[]string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_"}, regexp.MustCompile(`\bgh[pousr]_[A-Za-z0-9]{30,}`), redacted},
	{[]string{"github_pat_"}, regexp.MustCompile(`\bgithub_pat_[A-Za-z0-9_]{20,}`), redacted},
	{[]string{"eyj"}, regexp.MustCompile(`\beyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*`), redacted},
}

// markers are tried in order: the first that no secret can overlap (see safeMarker) is used.
var markers = []string{redacted, "***", "#", "~", "^"}

// String removes every given secret and anything key-shaped from s. Secrets are matched
// case-insensitively (Unicode simple folding: a vendor that upper-cases our key still has it
// removed) and before anything else is done to s. Empty secrets are ignored. The result never
// contains a non-empty secret in any letter case; it is valid UTF-8 when s is.
func String(s string, secrets ...string) string {
	live := liveSecrets(secrets)
	s = redactSecrets(s, live)
	shaped := redactShapes(s)
	if shaped != s && len(live) > 0 {
		// A replacement may have formed a secret with its neighbours.
		shaped = redactSecrets(shaped, live)
	}
	return shaped
}

func redactShapes(s string) string {
	lower := asciiLower(s)
	for _, k := range keyShapes {
		if !containsAny(lower, k.need) {
			continue
		}
		if r := k.re.ReplaceAllString(s, k.repl); r != s {
			s, lower = r, asciiLower(r)
		}
	}
	return redactHex64(s)
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// redactHex64 masks every run of exactly 64 lower-case hex digits standing alone (between
// non-word characters): Together's legacy keys, and SHA-256 digests with them.
func redactHex64(s string) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); {
		if !isLowerHex(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && isLowerHex(s[j]) {
			j++
		}
		if j-i == 64 && (i == 0 || !isWordByte(s[i-1])) && (j == len(s) || !isWordByte(s[j])) {
			b.WriteString(s[last:i])
			b.WriteString(redacted)
			last = j
		}
		i = j
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

func isLowerHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' }

func isWordByte(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_'
}

func liveSecrets(secrets []string) []string {
	live := secrets[:0:0]
	for _, sec := range secrets {
		if sec != "" {
			live = append(live, sec)
		}
	}
	return live
}

func redactSecrets(s string, live []string) string {
	if len(live) == 0 || s == "" {
		return s
	}
	marker := pickMarker(live)
	// With a marker no secret can overlap, one pass is enough: what is left is original text
	// in which no occurrence was found, and no occurrence can touch a marker. Without one,
	// joining the pieces may form a new occurrence; every pass removes at least one byte, so
	// the loop ends.
	for range len(s) + 1 {
		covered := cover(s, live)
		if covered == nil {
			return s
		}
		s = rebuild(s, covered, marker)
		if marker != "" {
			return s
		}
	}
	return s
}

func pickMarker(secrets []string) string {
next:
	for _, m := range markers {
		for _, sec := range secrets {
			if !safeMarker(m, sec) {
				continue next
			}
		}
		return m
	}
	return ""
}

// safeMarker reports whether no occurrence of sec (in any case) can overlap m wherever m is
// put: an occurrence overlapping m either contains m's first or last rune or lies inside m.
func safeMarker(m, sec string) bool {
	first, _ := utf8.DecodeRuneInString(m)
	last, _ := utf8.DecodeLastRuneInString(m)
	for _, r := range sec {
		if foldEq(r, first) || foldEq(r, last) {
			return false
		}
	}
	return len(matchAll(m, asciiLower(m), true, sec)) == 0
}

// cover marks every byte of every (possibly overlapping) occurrence of a secret, widened to
// whole runes so cutting never leaves half a character. nil when nothing matched.
func cover(s string, secrets []string) []bool {
	var mask []bool
	ls, ascii := asciiLower(s), isASCII(s)
	for _, sec := range secrets {
		for _, m := range matchAll(s, ls, ascii, sec) {
			if mask == nil {
				mask = make([]bool, len(s))
			}
			start, end := m[0], m[1]
			for start > 0 && !utf8.RuneStart(s[start]) && start > m[0]-utf8.UTFMax {
				start--
			}
			for end < len(s) && !utf8.RuneStart(s[end]) && end < m[1]+utf8.UTFMax {
				end++
			}
			for k := start; k < end; k++ {
				mask[k] = true
			}
		}
	}
	return mask
}

// matchAll returns the [start, end) of every occurrence of sec in s, overlapping ones included,
// compared case-insensitively: valid runes by Unicode simple folding, bytes of invalid UTF-8
// exactly. ls is asciiLower(s); ascii says whether s is all ASCII.
func matchAll(s, ls string, ascii bool, sec string) [][2]int {
	var out [][2]int
	if sec == "" || len(s) == 0 {
		return nil
	}
	if isASCII(sec) && (ascii || !hasNonASCIIFolds(sec)) {
		// Only U+017F (ſ) and U+212A (K) fold to ASCII letters (s, k): without those in play,
		// ASCII case folding is Unicode folding, and a byte search is exact.
		lsec := asciiLower(sec)
		for i := 0; i <= len(ls)-len(lsec); {
			j := strings.Index(ls[i:], lsec)
			if j < 0 {
				break
			}
			out = append(out, [2]int{i + j, i + j + len(lsec)})
			i += j + 1
		}
		return out
	}
	for i := range len(s) {
		if n := matchAt(s[i:], sec); n > 0 {
			out = append(out, [2]int{i, i + n})
		}
	}
	return out
}

// matchAt returns the length of the prefix of s that matches sec, or 0.
func matchAt(s, sec string) int {
	i := 0
	for k := 0; k < len(sec); {
		if i >= len(s) {
			return 0
		}
		rk, nk := utf8.DecodeRuneInString(sec[k:])
		if rk == utf8.RuneError && nk == 1 { // a byte of invalid UTF-8 in sec: that byte
			if s[i] != sec[k] {
				return 0
			}
			i, k = i+1, k+1
			continue
		}
		rs, ns := utf8.DecodeRuneInString(s[i:])
		if rs == utf8.RuneError && ns == 1 || !foldEq(rs, rk) {
			return 0
		}
		i, k = i+ns, k+nk
	}
	return i
}

// foldEq reports whether a and b are equal under Unicode simple case folding.
func foldEq(a, b rune) bool {
	if a == b {
		return true
	}
	for f := unicode.SimpleFold(a); f != a; f = unicode.SimpleFold(f) {
		if f == b {
			return true
		}
	}
	return false
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func hasNonASCIIFolds(ascii string) bool {
	return strings.ContainsAny(ascii, "kKsS")
}

// asciiLower lower-cases ASCII letters only, so byte offsets are kept.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// rebuild replaces each run of covered bytes with marker.
func rebuild(s string, covered []bool, marker string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		if !covered[i] {
			b.WriteByte(s[i])
			i++
			continue
		}
		b.WriteString(marker)
		for i < len(s) && covered[i] {
			i++
		}
	}
	return b.String()
}

// WithEncodings returns secrets together with the forms a vendor may echo them in: URL query
// and path escaped, and JSON-escaped as some encoders write it ("/" as "\/").
func WithEncodings(secrets []string) []string {
	out := make([]string, 0, len(secrets))
	seen := map[string]bool{}
	add := func(s string) {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, s := range secrets {
		add(s)
		add(url.QueryEscape(s))
		add(url.PathEscape(s))
		if b, err := json.Marshal(s); err == nil && len(b) >= 2 {
			j := string(b[1 : len(b)-1])
			add(j)
			add(strings.ReplaceAll(j, "/", `\/`))
		}
	}
	return out
}

// Body removes every given secret and anything key-shaped from an answer body, before
// anything else reads it. A JSON body stays JSON: a secret inside a string is replaced by a
// marker, and one hidden behind JSON escapes ("\u0073k-…", "\/") is found in the decoded
// strings, which are then written back re-encoded.
func Body(body []byte, secrets ...string) []byte {
	if len(body) == 0 {
		return body
	}
	out := []byte(String(string(body), secrets...))
	if !json.Valid(body) {
		return out
	}
	src := out
	switch {
	case !json.Valid(out):
		src = body // a marker landed inside an escape sequence: redact the decoded strings
	case bytes.IndexByte(out, '\\') < 0 || !jsonHoldsSecret(out, secrets):
		return out
	}
	b, ok := redactJSON(src, secrets)
	live := liveSecrets(secrets)
	if ok && redactSecrets(string(b), live) == string(b) {
		return b
	}
	// Only an escape whose letter begins a secret ("\nKEY" for "nKEY"), or a secret made of
	// JSON's own syntax, gets here: the body cannot be both JSON and free of the secret's
	// bytes, so none of it is kept.
	for _, whole := range []string{`"` + redacted + `"`, "null", "0"} {
		if redactSecrets(whole, live) == whole {
			return []byte(whole)
		}
	}
	return nil
}

// jsonHoldsSecret reports whether a decoded string of doc still changes under Redact.
func jsonHoldsSecret(doc []byte, secrets []string) bool {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		if s, ok := tok.(string); ok && String(s, secrets...) != s {
			return true
		}
	}
}

// redactJSON decodes doc and writes it back with every string (keys too) redacted, keeping
// the order of members.
func redactJSON(doc []byte, secrets []string) ([]byte, bool) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var b bytes.Buffer
	if err := writeJSONValue(dec, &b, secrets, 0); err != nil {
		return nil, false
	}
	return b.Bytes(), true
}

func writeJSONValue(dec *json.Decoder, b *bytes.Buffer, secrets []string, depth int) error {
	if depth > 10000 {
		return errors.New("too deep")
	}
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch t := tok.(type) {
	case json.Delim:
		closer := byte(']')
		if t == '{' {
			closer = '}'
		}
		b.WriteByte(byte(t))
		for n := 0; dec.More(); n++ {
			if n > 0 {
				b.WriteByte(',')
			}
			if t == '{' {
				key, err := dec.Token()
				if err != nil {
					return err
				}
				k, _ := key.(string)
				writeJSONString(b, String(k, secrets...))
				b.WriteByte(':')
			}
			if err := writeJSONValue(dec, b, secrets, depth+1); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil { // the closing delimiter
			return err
		}
		b.WriteByte(closer)
	case string:
		writeJSONString(b, String(t, secrets...))
	case json.Number:
		b.WriteString(string(t))
	case bool:
		b.WriteString(strconv.FormatBool(t))
	case nil:
		b.WriteString("null")
	}
	return nil
}

func writeJSONString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)       // a string always encodes
	b.Truncate(b.Len() - 1) // Encode's newline
}

// Header returns a copy of h with secrets and key shapes removed from every name and value.
func Header(h http.Header, secrets ...string) http.Header {
	if h == nil {
		return nil
	}
	out := make(http.Header, len(h))
	for name, vs := range h {
		n := String(name, secrets...)
		for _, v := range vs {
			out[n] = append(out[n], String(v, secrets...))
		}
	}
	return out
}

// Excerpt is a bounded, redacted, single-line view of a body for storing with a result:
// valid UTF-8 (invalid bytes become U+FFFD), control characters and runs of whitespace become
// one space, secrets and key shapes are redacted, and the result is at most limit bytes
// (DefaultExcerptLen when limit <= 0), cut on a rune boundary.
func Excerpt(body []byte, limit int, secrets ...string) string {
	if limit <= 0 {
		limit = DefaultExcerptLen
	}
	// Secrets go first, before anything changes the text; again after whitespace and invalid
	// bytes are rewritten, which may join the pieces of one.
	s := strings.ToValidUTF8(String(string(body), secrets...), "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	// Redact a prefix long enough that no secret or key crossing the final cut is split
	// before it is seen; whitespace is already collapsed, so positions no longer move.
	longest := 0
	for _, sec := range secrets {
		longest = max(longest, len(sec))
	}
	s = cutUTF8(s, limit+longest+1024)
	return cutUTF8(String(s, secrets...), limit)
}

// credentialParams are query parameters SafeURL drops.
var credentialParams = []string{"key", "api_key", "apikey", "access_token", "token"}

// URL renders u without userinfo, fragment and credential query parameters (?key=…),
// with anything key-shaped redacted: the form of a URL that may be stored.
func URL(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	c.User = nil
	c.Fragment, c.RawFragment = "", ""
	if c.RawQuery != "" {
		q := c.Query()
		dropped := false
		for k := range q {
			for _, p := range credentialParams {
				if strings.EqualFold(k, p) {
					q.Del(k)
					dropped = true
				}
			}
		}
		if dropped {
			c.RawQuery = q.Encode()
		}
	}
	return String(c.String())
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
