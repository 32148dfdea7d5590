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
	raw      string // an upstream provider's body a relay passes on (openrouter error.metadata.raw, embedded JSON)
	provider string // the upstream a relay names (openrouter error.metadata.provider_name, "AnthropicException")
	quota0   bool   // a Google QuotaFailure violation with quotaValue "0": no quota at all, not a busy one

	// What a success answer carries, to tell a real answer from an empty or garbled 2xx.
	array      bool   // the body is a JSON array
	hasData    bool   // "data" is an array (models lists)
	hasModels  bool   // "models" is an array (gemini lists)
	id         string // "id" (model get, completions)
	name       string // "name" (gemini model get)
	tokens     bool   // "input_tokens" or "totalTokens" (token counts)
	content    bool   // "content" is an array (anthropic messages)
	choices    int    // len("choices")
	usage      bool   // "usage" is an object
	candidates bool   // "candidates" or "promptFeedback" (gemini generate)
	finish     string // finish_reason / stop_reason / finishReason of the first choice or candidate
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
	Message  textOrJSON `json:"message"`
	Details  []detail   `json:"details"`
	Inner    rawObject  `json:"error"` // relays that wrap the upstream's error object once more
	Metadata struct {
		Raw          flexString `json:"raw"`
		ProviderName flexString `json:"provider_name"`
	} `json:"metadata"`
}

type detail struct {
	Reason     flexString `json:"reason"`
	Violations []struct {
		QuotaValue flexString `json:"quotaValue"`
	} `json:"violations"`
}

// textOrJSON is a message: a string, or an object some relays put there (kept raw, to be read as
// the upstream's body).
type textOrJSON struct {
	text string
	obj  []byte
}

func (t *textOrJSON) UnmarshalJSON(b []byte) error {
	switch {
	case len(b) > 0 && b[0] == '{':
		t.obj = bytes.Clone(b)
	default:
		var f flexString
		_ = f.UnmarshalJSON(b)
		t.text = string(f)
	}
	return nil
}

// rawObject keeps a JSON object verbatim, and nothing else.
type rawObject []byte

func (r *rawObject) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '{' {
		*r = bytes.Clone(b)
	}
	return nil
}

// kindOf records only the first byte of a value: whether it is an array, object, string, …,
// without copying it (a models list can be megabytes).
type kindOf byte

func (k *kindOf) UnmarshalJSON(b []byte) error {
	if len(b) > 0 {
		*k = kindOf(b[0])
	}
	return nil
}

// choice is an OpenAI-shaped choice or a Gemini candidate: only how it finished.
type choice struct {
	FinishReason flexString `json:"finish_reason"`
	FinishGemini flexString `json:"finishReason"`
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

	// success shapes
	Data        kindOf     `json:"data"`
	Models      kindOf     `json:"models"`
	ID          flexString `json:"id"`
	Name        flexString `json:"name"`
	InputTokens kindOf     `json:"input_tokens"`
	TotalTokens kindOf     `json:"totalTokens"`
	Content     kindOf     `json:"content"`
	StopReason  flexString `json:"stop_reason"`
	Choices     []choice   `json:"choices"`
	Candidates  []choice   `json:"candidates"`
	Feedback    kindOf     `json:"promptFeedback"`
	Usage       kindOf     `json:"usage"`
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
	array := b[0] == '['
	if array { // gemini streaming endpoints wrap the error in an array
		var arr [1]wireBody
		_ = json.Unmarshal(b, &arr)
		w = arr[0]
	} else {
		_ = json.Unmarshal(b, &w)
	}
	p := parsed{format: FormatJSON, errorKey: w.Error.present || w.Object == "error" || w.Type == "error"}
	switch {
	case w.Error.isObj:
		readErrObject(&p, &w.Error.obj, 0)
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
	if p.raw == "" && p.errorKey {
		p.raw, p.provider = embeddedUpstream(p.message)
	}
	readSuccess(&p, &w, array)
	return p
}

// maxNesting bounds how many error-in-error wrappings are followed.
const maxNesting = 3

// readErrObject fills p from an error object. Relays wrap the upstream's error object once more
// (as "error" inside "error", or as an object-valued "message"): that inner object is the cause,
// so it is followed while the outer level has no message or only names the relay.
func readErrObject(p *parsed, o *errObject, depth int) {
	p.typ, p.code, p.status, p.message = string(o.Type), string(o.Code), string(o.Status), o.Message.text
	for _, d := range o.Details {
		if d.Reason != "" && p.reason == "" {
			p.reason = string(d.Reason)
		}
		for _, v := range d.Violations {
			p.quota0 = p.quota0 || strings.TrimSpace(string(v.QuotaValue)) == "0"
		}
	}
	if p.raw == "" {
		p.raw, p.provider = string(o.Metadata.Raw), string(o.Metadata.ProviderName)
	}
	inner := []byte(o.Inner)
	if inner == nil {
		inner = o.Message.obj
	}
	if inner == nil || depth >= maxNesting || (p.message != "" && o.Message.obj == nil && !isRelayType(p.typ)) {
		return
	}
	outer := *p
	var next errObject
	_ = json.Unmarshal(inner, &next)
	readErrObject(p, &next, depth+1)
	// Keep what only the outer level says.
	if p.message == "" {
		p.message = outer.message
	}
	if p.code == "" {
		p.code = outer.code
	}
	if p.status == "" {
		p.status = outer.status
	}
	if p.typ == "" {
		p.typ = outer.typ
	}
}

// isRelayType is an error type that only says a relay was in the way.
func isRelayType(t string) bool {
	switch strings.ToLower(t) {
	case "upstream_error", "new_api_error", "one_api_error", "proxy_error", "error":
		return true
	}
	return false
}

// embeddedUpstream finds an upstream answer a relay quoted inside its message: LiteLLM's
// "litellm.BadRequestError: AnthropicException - {\"type\":\"error\",…}" or one-api's whole
// upstream body as the message. The provider is the "<Name>Exception" LiteLLM names, if any.
func embeddedUpstream(msg string) (raw, provider string) {
	i := strings.IndexByte(msg, '{')
	j := strings.LastIndexByte(msg, '}')
	if i < 0 || j <= i {
		return "", ""
	}
	cand := msg[i : j+1]
	if !json.Valid([]byte(cand)) || !strings.Contains(cand, `"error"`) {
		return "", ""
	}
	if k := strings.Index(msg[:i], "Exception"); k > 0 {
		start := strings.LastIndexAny(msg[:k], " :.") + 1
		provider = msg[start:k]
	}
	return cand, provider
}

// readSuccess records the success shapes of the body.
func readSuccess(p *parsed, w *wireBody, array bool) {
	p.array = array
	p.hasData = w.Data == '['
	p.hasModels = w.Models == '['
	p.id, p.name = string(w.ID), string(w.Name)
	p.tokens = isNumberStart(byte(w.InputTokens)) || isNumberStart(byte(w.TotalTokens))
	p.content = w.Content == '['
	p.choices = len(w.Choices)
	p.usage = w.Usage == '{'
	p.candidates = len(w.Candidates) > 0 || w.Feedback == '{'
	switch {
	case len(w.Choices) > 0:
		p.finish = string(w.Choices[0].FinishReason)
	case len(w.Candidates) > 0:
		p.finish = string(w.Candidates[0].FinishGemini)
	default:
		p.finish = string(w.StopReason)
	}
}

func isNumberStart(c byte) bool { return c == '-' || isDigit(c) }

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
