package providers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"unicode"

	"github.com/accesswatch/accesswatch/internal/redact"
)

// DefaultUserAgent is sent when Target.UserAgent is empty.
const DefaultUserAgent = "accesswatch"

// prompt is the whole input of every token-count and generation request: one character is
// the cheapest input every vendor accepts.
const prompt = "."

// maxModelIDLen bounds model ids; real ones are well under 100 bytes.
const maxModelIDLen = 256

// endpoint is one request an adapter wants, relative to the target's base URL.
type endpoint struct {
	method string
	path   []segment
	query  url.Values
	body   any // marshalled to JSON when non-nil
}

// segment is one path segment: a model id, which is escaped, and/or a literal (":countTokens").
type segment struct{ id, literal string }

func lit(s string) segment       { return segment{literal: s} }
func modelSeg(id string) segment { return segment{id: id} }
func modelSegSuffix(id, suffix string) segment {
	return segment{id: id, literal: suffix}
}

// auth sets the credential on a request; name is the header it uses.
type auth struct {
	name   string
	bearer bool
}

var (
	bearerAuth = auth{name: "Authorization", bearer: true}
	xAPIKey    = auth{name: "X-Api-Key"}
	googAPIKey = auth{name: "X-Goog-Api-Key"}
)

// spec is what differs between adapters when building a request.
type spec struct {
	kind        string
	defaultBase string // "" means the target must give one
	trimVersion string // a version suffix users often add to the base ("/v1"); dropped
	auth        auth
	headers     map[string]string // defaults, overridable by Target.Headers
}

// newRequest builds the request for e against t.
func newRequest(ctx context.Context, s spec, t Target, e endpoint) (*http.Request, error) {
	if t.Kind != "" && t.Kind != s.kind {
		return nil, fmt.Errorf("providers: %s adapter given a %q target", s.kind, t.Kind)
	}
	base, err := parseBase(s, t.BaseURL)
	if err != nil {
		return nil, err
	}
	u := *base
	u.Path, u.RawPath = joinPath(base, e.path)
	q := base.Query()
	for k, vs := range e.query {
		q[k] = vs
	}
	u.RawQuery = q.Encode()

	var body io.Reader
	if e.body != nil {
		b, err := json.Marshal(e.body)
		if err != nil {
			return nil, fmt.Errorf("providers: %s: encoding body: %w", s.kind, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, e.method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("providers: %s: %w", s.kind, err)
	}
	return req, setHeaders(req.Header, s, t, e.body != nil)
}

func setHeaders(h http.Header, s spec, t Target, hasBody bool) error {
	h.Set("Accept", "application/json")
	ua := t.UserAgent
	if ua == "" {
		ua = DefaultUserAgent
	}
	h.Set("User-Agent", ua)
	if hasBody {
		h.Set("Content-Type", "application/json")
	}
	for k, v := range s.headers {
		h.Set(k, v)
	}
	for k, v := range t.Headers {
		if err := checkHeader(k, v); err != nil {
			return fmt.Errorf("providers: %s: %w", s.kind, err)
		}
		if http.CanonicalHeaderKey(k) == s.auth.name && t.APIKey != "" {
			continue // the configured key wins; a header cannot smuggle another one in
		}
		h.Set(k, v)
	}
	if t.APIKey != "" {
		if strings.ContainsAny(t.APIKey, "\r\n\x00") {
			return fmt.Errorf("providers: %s: api key contains a control character", s.kind)
		}
		v := t.APIKey
		if s.auth.bearer {
			v = "Bearer " + v
		}
		h.Set(s.auth.name, v)
	}
	return nil
}

// checkHeader rejects what net/http would refuse at send time; the value is never quoted,
// it may be a credential.
func checkHeader(name, value string) error {
	if name == "" {
		return errors.New("empty header name")
	}
	for _, r := range name {
		if r > unicode.MaxASCII || r <= ' ' || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r) || r == 0x7f {
			return fmt.Errorf("invalid header name %q", name)
		}
	}
	if strings.ContainsAny(value, "\r\n\x00") {
		return fmt.Errorf("header %q: value contains a control character", name)
	}
	return nil
}

// parseBase checks the base URL and drops a trailing version segment the adapter adds itself.
func parseBase(s spec, raw string) (*url.URL, error) {
	if raw == "" {
		if s.defaultBase == "" {
			return nil, fmt.Errorf("providers: %s: base_url is required", s.kind)
		}
		raw = s.defaultBase
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("providers: %s: invalid base_url: not a URL", s.kind)
	}
	shown := redact.URL(u)
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("providers: %s: invalid base_url %q: scheme must be http or https", s.kind, shown)
	case u.Host == "":
		return nil, fmt.Errorf("providers: %s: invalid base_url %q: missing host", s.kind, shown)
	case u.User != nil:
		return nil, fmt.Errorf("providers: %s: invalid base_url %q: credentials belong in api_key", s.kind, shown)
	case u.Query().Has("key"):
		return nil, fmt.Errorf("providers: %s: invalid base_url %q: ?key= is not sent; credentials belong in api_key", s.kind, shown)
	case u.Fragment != "":
		return nil, fmt.Errorf("providers: %s: invalid base_url %q: fragment not allowed", s.kind, shown)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = strings.TrimRight(u.RawPath, "/")
	if s.trimVersion != "" && strings.HasSuffix(u.Path, s.trimVersion) {
		u.Path = strings.TrimSuffix(u.Path, s.trimVersion)
		u.RawPath = strings.TrimSuffix(u.RawPath, s.trimVersion)
	}
	return u, nil
}

// joinPath appends segments to the base path, escaping model ids (a "/" in an OpenRouter id
// stays inside its segment as %2F).
func joinPath(base *url.URL, segs []segment) (path, rawPath string) {
	var p, rp strings.Builder
	p.WriteString(base.Path)
	rp.WriteString(base.EscapedPath())
	for _, s := range segs {
		p.WriteString("/" + s.id + s.literal)
		rp.WriteString("/" + url.PathEscape(s.id) + s.literal)
	}
	if p.String() == rp.String() {
		return p.String(), ""
	}
	return p.String(), rp.String()
}

// checkModelID rejects ids that cannot be a model: empty, dot segments, control characters.
func checkModelID(kind, id string) error {
	switch {
	case id == "":
		return fmt.Errorf("providers: %s: a model id is required", kind)
	case id == "." || id == "..":
		return fmt.Errorf("providers: %s: invalid model id %q", kind, id)
	case len(id) > maxModelIDLen:
		return fmt.Errorf("providers: %s: model id longer than %d bytes", kind, maxModelIDLen)
	case strings.IndexFunc(id, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) }) >= 0:
		return fmt.Errorf("providers: %s: invalid model id %q: contains a space or control character", kind, id)
	}
	return nil
}

// unsupported is the error for a check an adapter has no request for.
func unsupported(kind, check string) error {
	return fmt.Errorf("providers: %s: %w: %q", kind, ErrUnsupportedCheck, check)
}

// message is a chat message in the OpenAI, Anthropic and Mistral shapes.
type message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

func userPrompt() []message { return []message{{Role: "user", Content: prompt}} }
