package classify

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Format is the shape of an answer's body.
type Format string

// Body formats. A Rule with an empty Format matches any.
const (
	FormatEmpty Format = "empty" // no body, or only white space
	FormatJSON  Format = "json"  // valid JSON (vendor API answer)
	FormatHTML  Format = "html"  // an HTML page (edge block page, proxy, captive portal)
	FormatText  Format = "text"  // anything else, including truncated JSON
)

const (
	maxTitle   = 200 // bytes of an HTML <title> kept
	maxSnippet = 300 // bytes of a text body kept as its message
)

// parsed is the flat reading of an answer body, made once per Classify call. All vendor error
// shapes land in the same few fields so rules can stay declarative.
type parsed struct {
	format   Format
	errorKey bool   // the body says so explicitly: an "error" key, or type/object "error"
	typ      string // error.type, mistral top-level type, Bedrock x-amzn-ErrorType
	code     string // error.code or flat code, as text (numbers too)
	numCode  int    // error.code when numeric (gemini, openrouter), else 0
	status   string // gemini error.status (gRPC status name)
	reason   string // gemini error.details[].reason, first non-empty
	message  string // error.message, detail, flat error text, HTML title or text snippet
	raw      string // openrouter error.metadata.raw: an upstream provider's body
	provider string // openrouter error.metadata.provider_name
}

// flexString decodes a JSON string, number or bool as text and ignores anything else, so one
// odd field never spoils the rest of the body.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	switch {
	case len(b) == 0:
	case len(b) >= 2 && b[0] == '"' && bytes.IndexByte(b, '\\') < 0: // no escapes: skip the decoder
		*f = flexString(b[1 : len(b)-1])
	case b[0] == '"':
		var s string
		if json.Unmarshal(b, &s) == nil {
			*f = flexString(s)
		}
	case b[0] == '-' || (b[0] >= '0' && b[0] <= '9') || b[0] == 't' || b[0] == 'f':
		*f = flexString(b)
	}
	return nil // never abort the outer decode
}

// errObject is the nested "error" object of anthropic, openai, gemini, openrouter and azure.
type errObject struct {
	Type     flexString `json:"type"`
	Code     flexString `json:"code"`
	Status   flexString `json:"status"`
	Message  flexString `json:"message"`
	Details  []detail   `json:"details"`
	Metadata struct {
		Raw          flexString `json:"raw"`
		ProviderName flexString `json:"provider_name"`
	} `json:"metadata"`
}

type detail struct {
	Reason flexString `json:"reason"`
}

// errField is "error": an object (most vendors) or a string (xAI's flat shape).
type errField struct {
	present bool
	isObj   bool
	text    string
	obj     errObject
}

func (e *errField) UnmarshalJSON(b []byte) error {
	if len(b) == 0 || bytes.Equal(b, []byte("null")) {
		return nil
	}
	e.present = true
	switch b[0] {
	case '"':
		_ = json.Unmarshal(b, &e.text)
	case '{':
		e.isObj = true
		_ = json.Unmarshal(b, &e.obj) // partial decodes are fine
	}
	return nil
}

// wireBody is the union of the top-level error shapes we know.
type wireBody struct {
	Type    flexString `json:"type"`    // anthropic "error"; mistral error type
	Object  flexString `json:"object"`  // mistral "error"
	Message flexString `json:"message"` // mistral, cohere, bedrock, old mistral
	Detail  flexString `json:"detail"`  // mistral / FastAPI
	Code    flexString `json:"code"`    // xAI flat, mistral numeric string
	Error   errField   `json:"error"`
}

// parseBody reads body once. header supplies Content-Type and Bedrock's x-amzn-ErrorType.
func parseBody(body []byte, header http.Header) parsed {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return parsed{format: FormatEmpty}
	}
	switch {
	case (trimmed[0] == '{' || trimmed[0] == '[') && json.Valid(trimmed):
		return parseJSON(trimmed, header)
	case isHTML(trimmed, header):
		return parsed{format: FormatHTML, message: htmlTitle(trimmed)}
	default:
		return parsed{format: FormatText, message: snippet(trimmed, maxSnippet)}
	}
}

func parseJSON(b []byte, header http.Header) parsed {
	var w wireBody
	if b[0] == '[' { // gemini streaming endpoints wrap the error in an array
		var arr [1]wireBody
		_ = json.Unmarshal(b, &arr)
		w = arr[0]
	} else {
		_ = json.Unmarshal(b, &w)
	}
	p := parsed{format: FormatJSON, errorKey: w.Error.present || w.Object == "error" || w.Type == "error"}
	switch {
	case w.Error.isObj:
		o := &w.Error.obj
		p.typ, p.code, p.status, p.message = string(o.Type), string(o.Code), string(o.Status), string(o.Message)
		for _, d := range o.Details {
			if d.Reason != "" {
				p.reason = string(d.Reason)
				break
			}
		}
		p.raw, p.provider = string(o.Metadata.Raw), string(o.Metadata.ProviderName)
		if p.code == "" { // azure/openrouter-like bodies sometimes carry only a top-level code
			p.code = string(w.Code)
		}
	case w.Error.present: // xAI: {"code":"<grpc description>","error":"<message>"}
		p.typ, p.code, p.message = string(w.Type), string(w.Code), w.Error.text
	default: // mistral {object,message,type,code}, {detail}, cohere/bedrock {message}
		p.typ, p.code = string(w.Type), string(w.Code)
		p.message = string(w.Message)
		if p.message == "" {
			p.message = string(w.Detail)
		}
	}
	if p.typ == "" || p.typ == "error" {
		p.typ = amznErrorType(header)
	}
	if allDigits(p.code) && len(p.code) <= 4 {
		p.numCode, _ = strconv.Atoi(p.code)
	}
	return p
}

// amznErrorType reads AWS's "x-amzn-ErrorType: ValidationException:http://internal…" header.
func amznErrorType(h http.Header) string {
	v := h.Get("X-Amzn-Errortype")
	if i := strings.IndexByte(v, ':'); i >= 0 {
		v = v[:i]
	}
	return v
}

func isHTML(b []byte, h http.Header) bool {
	if ct := h.Get("Content-Type"); ct != "" && containsFold([]byte(ct), "html") {
		return true
	}
	return b[0] == '<' && (hasPrefixFold(b, "<!doctype html") || containsFold(b[:min(len(b), 4096)], "<html") ||
		containsFold(b[:min(len(b), 4096)], "<title"))
}

// htmlTitle returns the trimmed text of the first <title> element, bounded.
func htmlTitle(b []byte) string {
	i := indexFold(b, "<title")
	if i < 0 {
		return ""
	}
	b = b[i:]
	j := bytes.IndexByte(b, '>')
	if j < 0 {
		return ""
	}
	b = b[j+1:]
	if k := indexFold(b, "</title"); k >= 0 {
		b = b[:k]
	}
	return snippet(bytes.TrimSpace(b), maxTitle)
}

// snippet returns at most n bytes of b as a string. It never ends inside a token: half an API
// key would not be recognised as one by Normalise.
func snippet(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(b[cut]) {
		cut--
	}
	if r, _ := utf8.DecodeRune(b[cut:]); isTokenRune(r) {
		for cut > 0 {
			r, size := utf8.DecodeLastRune(b[:cut])
			if !isTokenRune(r) {
				break
			}
			cut -= size
		}
	}
	return string(b[:cut])
}

// indexFold is bytes.Index for an ASCII lower-case needle, ignoring ASCII case in b.
func indexFold(b []byte, needle string) int {
	n := len(needle)
	for i := 0; i+n <= len(b); i++ {
		if equalFoldASCII(b[i:i+n], needle) {
			return i
		}
	}
	return -1
}

func containsFold(b []byte, needle string) bool { return indexFold(b, needle) >= 0 }

func hasPrefixFold(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && equalFoldASCII(b[:len(prefix)], prefix)
}

// equalFoldASCII reports whether b equals the lower-case ASCII string s, ignoring ASCII case.
func equalFoldASCII(b []byte, s string) bool {
	for i := 0; i < len(s); i++ {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}
