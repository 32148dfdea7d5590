package classify

import (
	"net/netip"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxNormalised bounds Normalise's output, in bytes: long enough that what tells two failures
// apart late in a long message (a quota's "limit: 0") is still there for the signature's hash.
const maxNormalised = 600

// Replacements for volatile parts.
const (
	replModel    = "<model>"
	replKey      = "<key>"
	replID       = "<id>"
	replIP       = "<ip>"
	replTime     = "<time>"
	replNum      = "<n>"
	replDuration = "<duration>"
)

// tokenRule replaces a whole token (a run of token bytes, see isTokenByte) that matches.
// Evaluated in order; the first match wins.
type tokenRule struct {
	match func(tok string) bool
	repl  string
}

// tokenRules are read-only. Any match removes the whole token, so the order only decides the
// label, never whether a secret survives.
var tokenRules = []tokenRule{
	{isAccountID, replID},
	{isRequestID, replID},
	{isKeyLike, replKey},
	{isUUID, replID},
	{isIP, replIP},
	{isTimestamp, replTime},
	{isHexID, replID},
	{isOpaqueID, replID},
}

// Normalise returns s lower-cased, with white space collapsed, the given model id replaced by
// "<model>", and volatile parts replaced: request/user/team ids and long opaque ids ("<id>"), API
// keys and masked key fragments ("<key>"), IP addresses ("<ip>"), timestamps ("<time>") and
// numbers other than a lone 0 ("<n>") and durations ("<duration>"). The result is at most
// maxNormalised bytes.
func Normalise(s, model string) string {
	s = strings.ToLower(s)
	m := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(model), "models/"))
	if len(m) < 2 {
		m = ""
	}
	s = unspaceModel(s, m)
	var b strings.Builder
	b.Grow(min(len(s), maxNormalised) + 8)
	pendingSpace := false
	for i := 0; i < len(s) && b.Len() <= maxNormalised; {
		if n := tokenLen(s[i:]); n > 0 {
			if pendingSpace {
				b.WriteByte(' ')
				pendingSpace = false
			}
			writeToken(&b, s[i:i+n], m, 0)
			i += n
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case unicode.IsSpace(r) || unicode.IsControl(r):
			pendingSpace = b.Len() > 0
			continue
		case r == utf8.RuneError:
			r = '?'
		}
		if pendingSpace {
			b.WriteByte(' ')
			pendingSpace = false
		}
		b.WriteRune(r)
	}
	return truncate(b.String(), maxNormalised)
}

// writeToken writes tok or its replacement. Whole-token rules go first, so a key or id that
// happens to contain the model id is still removed whole. Then the model id (as a word within
// the token) becomes "<model>". An unmatched token is split at separators and each piece tried
// again, so "limit:15000" becomes "limit:<n>" and "4351." becomes "<n>.".
func writeToken(b *strings.Builder, tok, model string, depth int) {
	core := strings.TrimRight(tok, ".:")
	tail := tok[len(core):]
	if core != "" {
		if repl := replaceToken(core); repl != "" {
			b.WriteString(repl)
			b.WriteString(tail)
			return
		}
		if i := indexWord(tok, model); i >= 0 {
			if i > 0 {
				writeToken(b, tok[:i], model, depth)
			}
			b.WriteString(replModel)
			if rest := tok[i+len(model):]; rest != "" {
				writeToken(b, rest, model, depth)
			}
			return
		}
		if repl, ok := numberToken(core); ok {
			b.WriteString(repl)
			b.WriteString(tail)
			return
		}
	}
	seps := [...]string{":/+", "."}
	if depth >= len(seps) {
		b.WriteString(tok)
		return
	}
	for {
		j := strings.IndexAny(tok, seps[depth])
		if j < 0 {
			break
		}
		if j > 0 {
			writeToken(b, tok[:j], "", depth+1) // pieces cannot hold a model word tok did not
		}
		b.WriteByte(tok[j])
		tok = tok[j+1:]
	}
	if tok != "" {
		writeToken(b, tok, "", depth+1)
	}
}

// indexWord is the index of the first occurrence of word in s not glued to a letter or digit on
// either side, or -1 (always -1 for an empty word).
func indexWord(s, word string) int {
	if word == "" {
		return -1
	}
	for off := 0; off+len(word) <= len(s); {
		i := strings.Index(s[off:], word)
		if i < 0 {
			return -1
		}
		i += off
		end := i + len(word)
		if (i == 0 || !isAlnum(s[i-1])) && (end == len(s) || !isAlnum(s[end])) {
			return i
		}
		off = i + 1
	}
	return -1
}

func replaceToken(tok string) string {
	for _, r := range tokenRules {
		if r.match(tok) {
			return r.repl
		}
	}
	return ""
}

// tokenLen is the length in bytes of the token starting s (0 if s does not start one).
func tokenLen(s string) int {
	i := 0
	for i < len(s) {
		switch {
		case isTokenByte(s[i]):
			i++
		case strings.HasPrefix(s[i:], "…"): // masked keys: "sk-VKMIs***…wjh3"
			i += len("…")
		default:
			return i
		}
	}
	return i
}

func isTokenRune(r rune) bool { return r == '…' || (r < utf8.RuneSelf && isTokenByte(byte(r))) }

func isTokenByte(c byte) bool {
	return isAlnum(c) || strings.IndexByte("_-.:*/+@", c) >= 0
}

func isAlnum(c byte) bool { return isDigit(c) || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') }

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isHex(c byte) bool { return isDigit(c) || ('a' <= c && c <= 'f') }

// isAccountID matches user, organisation, team and project ids ("user_***", "org-AbC…").
func isAccountID(tok string) bool {
	for _, p := range [...]string{"user_", "user-", "org-", "org_", "team_", "acct_", "proj_"} {
		if rest, ok := strings.CutPrefix(tok, p); ok && (len(rest) >= 6 || strings.ContainsAny(rest, "*…")) {
			return true
		}
	}
	return false
}

// isRequestID matches vendor request/message ids ("req_011CYhr…", "msg_…", "chatcmpl-…").
func isRequestID(tok string) bool {
	for _, p := range [...]string{"req_", "msg_", "chatcmpl-", "resp_", "request-"} {
		if rest, ok := strings.CutPrefix(tok, p); ok && (len(rest) >= 6 || strings.Contains(rest, "…")) {
			return true
		}
	}
	return false
}

// keyMarkers start API keys: anthropic sk-ant-, openai sk-/sk-proj-, openrouter sk-or-,
// groq gsk_, google AIza, xai xai-.
var keyMarkers = [...]string{"sk-", "sk_", "gsk_", "aiza", "xai-"}

// isKeyLike matches API keys and masked key fragments. A marker at a token or word start needs
// 6 more key bytes; a marker glued to other text needs 16, so "task-list" is left alone.
func isKeyLike(tok string) bool {
	if strings.Contains(tok, "***") { // masked: "sk-vkmis***…wjh3", "sk***ga"
		return true
	}
	for _, m := range keyMarkers {
		for off := 0; ; {
			i := strings.Index(tok[off:], m)
			if i < 0 {
				break
			}
			i += off
			run := keyRun(tok[i+len(m):])
			if run >= 16 || (run >= 6 && (i == 0 || !isAlnum(tok[i-1]))) {
				return true
			}
			off = i + 1
		}
	}
	return false
}

func keyRun(s string) int {
	n := 0
	for n < len(s) && (isAlnum(s[n]) || s[n] == '-' || s[n] == '_') {
		n++
	}
	return n
}

func isUUID(tok string) bool {
	if len(tok) != 36 {
		return false
	}
	for i := 0; i < len(tok); i++ {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if tok[i] != '-' {
				return false
			}
		} else if !isHex(tok[i]) {
			return false
		}
	}
	return true
}

func isIP(tok string) bool {
	if strings.Count(tok, ".") != 3 && strings.Count(tok, ":") < 2 {
		return false
	}
	if _, err := netip.ParseAddr(tok); err == nil {
		return true
	}
	_, err := netip.ParseAddrPort(tok)
	return err == nil
}

// isTimestamp matches ISO dates/times ("2024-07-25", "2026-06-01t10:00:00z"), slash dates
// ("04/30/2025") and clock times ("00:00:00", "10:42:25.123").
func isTimestamp(tok string) bool {
	if len(tok) >= 10 && tok[4] == '-' && tok[7] == '-' &&
		allDigits(tok[:4]) && allDigits(tok[5:7]) && allDigits(tok[8:10]) {
		return true
	}
	if a, rest, ok := strings.Cut(tok, "/"); ok && allDigits(a) {
		if b, c, ok := strings.Cut(rest, "/"); ok && allDigits(b) && allDigits(c) {
			return true
		}
	}
	if !strings.Contains(tok, ":") {
		return false
	}
	t := strings.TrimSuffix(tok, "z")
	for i := 0; i < len(t); i++ {
		if !isDigit(t[i]) && t[i] != ':' && t[i] != '.' {
			return false
		}
	}
	return isDigit(t[0]) && strings.IndexByte(t, ':') <= 2
}

// isHexID matches a token with a dash-separated part of 16 or more hex digits
// ("933f233947ff6d346065bb297e4a4d56", "89cdc7d74e3e2512-sjc").
func isHexID(tok string) bool {
	for part := range strings.SplitSeq(tok, "-") {
		if len(part) >= 16 && allFunc(part, isHex) {
			return true
		}
	}
	return false
}

// isOpaqueID matches a dash-separated part of 20+ letters, digits and underscores with at least
// three digits: base62 ids, not words or dated model names.
func isOpaqueID(tok string) bool {
	for part := range strings.SplitSeq(tok, "-") {
		if len(part) < 20 {
			continue
		}
		digits, ok := 0, true
		for i := 0; i < len(part) && ok; i++ {
			c := part[i]
			ok = isAlnum(c) || c == '_'
			if isDigit(c) {
				digits++
			}
		}
		if ok && digits >= 3 && digits < len(part) {
			return true
		}
	}
	return false
}

// numberToken returns the replacement for a number token: "<n>" for a plain number ("15000",
// "5.289"), "<n>" plus the suffix for "<n>k", "<n>x", "<n>%", and "<duration>" for a Go-style
// duration ("5.289s", "412ms", "1m2.5s"), so retry hints stay stable across runs.
func numberToken(tok string) (string, bool) {
	n := numberLen(tok)
	if n == 0 {
		return "", false
	}
	switch rest := tok[n:]; rest {
	case "":
		if tok == "0" { // none at all is another failure than some: "limit: 0" is no quota, not a used-up one
			return tok, true
		}
		return replNum, true
	case "k", "x", "%":
		return replNum + rest, true
	}
	for rest := tok; rest != ""; {
		n := numberLen(rest)
		if n == 0 {
			return "", false
		}
		rest = rest[n:]
		u := durationUnitLen(rest)
		if u == 0 {
			return "", false
		}
		rest = rest[u:]
	}
	return replDuration, true
}

// numberLen is the length of the decimal number ("12", "5.289") starting s, 0 if none.
func numberLen(s string) int {
	i, dot := 0, false
	for i < len(s) && (isDigit(s[i]) || (s[i] == '.' && i > 0 && !dot)) {
		dot = dot || s[i] == '.'
		i++
	}
	if i > 0 && s[i-1] == '.' {
		i--
	}
	return i
}

func durationUnitLen(s string) int {
	for _, u := range [...]string{"ns", "us", "µs", "ms", "s", "m", "h", "d"} { // longest first where it matters
		if strings.HasPrefix(s, u) {
			return len(u)
		}
	}
	return 0
}

func allDigits(s string) bool { return s != "" && allFunc(s, isDigit) }

func allFunc(s string, f func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !f(s[i]) {
			return false
		}
	}
	return true
}

// truncate cuts s to at most n bytes at a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// unspaceModel rewrites the display form of a model id ("Claude Fable 5" for claude-fable-5,
// already lower-cased) back to the id, so vendors that name the model in prose still give one
// signature for every model.
func unspaceModel(s, m string) string {
	if !strings.Contains(m, "-") {
		return s
	}
	spaced := strings.ReplaceAll(m, "-", " ")
	var b strings.Builder
	for {
		i := strings.Index(s, spaced)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		end := i + len(spaced)
		if (i > 0 && isWordByte(s[i-1])) || (end < len(s) && isWordByte(s[end])) {
			b.WriteString(s[:end])
		} else {
			b.WriteString(s[:i])
			b.WriteString(m)
		}
		s = s[end:]
	}
}

func isWordByte(c byte) bool {
	return c == '.' || c == '-' || c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z'
}
