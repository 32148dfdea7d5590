package providers

import (
	"net/url"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// DefaultExcerptLen is the excerpt bound when Excerpt is given limit <= 0.
const DefaultExcerptLen = 512

const redacted = "[REDACTED]"

// keyShapes are credentials recognisable without being told: vendor key prefixes, bearer
// tokens, and key-ish parameters. ${1} keeps the label ("Bearer ", "x-api-key: ").
// The patterns are compiled once and never changed.
var keyShapes = []struct {
	re   *regexp.Regexp
	repl string
}{
	{regexp.MustCompile(`(?i)(\bbearer\s+)[A-Za-z0-9._~+/=\-]{4,}`), "${1}" + redacted},
	{regexp.MustCompile(`(?i)(\b(?:x-api-key|x-goog-api-key|api[-_]?key|access[-_]?token)["']?\s*[:=]\s*["']?)[^\s"'&,;]{4,}`), "${1}" + redacted},
	{regexp.MustCompile(`([?&](?:key|api_key|apikey|access_token)=)[^&\s"'#]+`), "${1}" + redacted},
	// sk-…, sk-ant-…, sk-proj-…, sk-or-v1-…, and OpenAI's masked echo "sk-VKMIs***…wjh3".
	{regexp.MustCompile(`\bsk-[A-Za-z0-9_\-]{4,}(?:\*+…?[A-Za-z0-9]*)?`), redacted},
	{regexp.MustCompile(`\bsk\*{2,}[A-Za-z0-9]*`), redacted}, // xAI's masked echo "sk***gA"
	{regexp.MustCompile(`\bgsk_[A-Za-z0-9]{8,}`), redacted},
	{regexp.MustCompile(`\bxai-[A-Za-z0-9_\-]{8,}`), redacted},
	{regexp.MustCompile(`\bAIza[0-9A-Za-z_\-]{10,}`), redacted},
}

// markers are tried in order: the first that shares no byte with any secret is used, so a
// marker can never complete a secret with its neighbours.
var markers = []string{redacted, "***", "#", "~", "^"}

// Redact removes every given secret and anything key-shaped from s. Empty secrets are
// ignored. The result never contains a non-empty secret; it is valid UTF-8 when s is.
func Redact(s string, secrets ...string) string {
	for _, k := range keyShapes {
		s = k.re.ReplaceAllString(s, k.repl)
	}
	return redactSecrets(s, secrets)
}

func redactSecrets(s string, secrets []string) string {
	live := secrets[:0:0]
	for _, sec := range secrets {
		if sec != "" {
			live = append(live, sec)
		}
	}
	if len(live) == 0 {
		return s
	}
	marker := pickMarker(live)
	// With a marker disjoint from every secret one pass is enough: what is left is original
	// text in which no occurrence was found, and no occurrence can span a marker. Without a
	// marker, joining the pieces may form a new occurrence; every pass removes at least one
	// byte, so the loop ends.
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
			if strings.ContainsAny(sec, m) {
				continue next
			}
		}
		return m
	}
	return ""
}

// cover marks every byte of every (possibly overlapping) occurrence of a secret, widened to
// whole runes so cutting never leaves half a character. nil when nothing matched.
func cover(s string, secrets []string) []bool {
	var mask []bool
	for _, sec := range secrets {
		for i := 0; i <= len(s)-len(sec); {
			j := strings.Index(s[i:], sec)
			if j < 0 {
				break
			}
			if mask == nil {
				mask = make([]bool, len(s))
			}
			start, end := i+j, i+j+len(sec)
			for start > 0 && !utf8.RuneStart(s[start]) && start > i+j-utf8.UTFMax {
				start--
			}
			for end < len(s) && !utf8.RuneStart(s[end]) && end < i+j+len(sec)+utf8.UTFMax {
				end++
			}
			for k := start; k < end; k++ {
				mask[k] = true
			}
			i += j + 1
		}
	}
	return mask
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

// Excerpt is a bounded, redacted, single-line view of a body for storing with a result:
// valid UTF-8 (invalid bytes become U+FFFD), control characters and runs of whitespace become
// one space, secrets and key shapes are redacted, and the result is at most limit bytes
// (DefaultExcerptLen when limit <= 0), cut on a rune boundary.
func Excerpt(body []byte, limit int, secrets ...string) string {
	if limit <= 0 {
		limit = DefaultExcerptLen
	}
	s := strings.ToValidUTF8(string(body), "\uFFFD")
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
	return cutUTF8(Redact(s, secrets...), limit)
}

// credentialParams are query parameters SafeURL drops.
var credentialParams = []string{"key", "api_key", "apikey", "access_token", "token"}

// SafeURL renders u without userinfo, fragment and credential query parameters (?key=…),
// with anything key-shaped redacted: the form of a URL that may be stored.
func SafeURL(u *url.URL) string {
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
	return Redact(c.String())
}
