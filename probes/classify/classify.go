package classify

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"net/http"
	"strconv"
	"strings"

	"github.com/accesswatch/accesswatch/internal/model"
)

// MaxSignature bounds Classification.Signature, in bytes.
const MaxSignature = 160

// Observation is what a probe saw. Either Err is set (transport failure; Op says where) or
// Status/Header/Body are.
type Observation struct {
	Kind   string // provider kind: anthropic | openai | gemini | mistral | openai_compatible (others: generic rules)
	Check  string // model.CheckModels, CheckModel, CheckCountTokens, CheckGenerate, CheckControl
	Model  string // model id probed, if any (normalised out of signatures)
	Status int
	Header http.Header
	Body   []byte // possibly truncated
	Err    error
	Op     string // where a transport error happened: "resolve", "connect", "tls_handshake", "http_round_trip", "read", "proxy"
}

// Classify reads one observation. It never fails: every input maps to a class of model.Classes().
func Classify(o Observation) model.Classification {
	if o.Err != nil {
		return classifyNet(o)
	}
	kind := kindLabel(o.Kind)
	p := parseBody(o.Body, o.Header)
	in := input{
		status: effectiveStatus(o.Status, &p),
		check:  o.Check,
		p:      &p,
		msg:    strings.ToLower(strings.TrimSpace(p.message)),
		body:   o.Body,
		header: o.Header,
	}
	in.shaped = shaped(&p, o.Check, kind, o.Body)
	in.quotaOff = p.quota0 || zeroLimit(in.msg)
	if p.raw != "" {
		if c, ok := classifyUpstream(o, kind, &in); ok {
			return c
		}
	}
	r := firstMatch(&in, proxyRules, edgeRules, providerRules[kind], genericRules, fallbackRules)
	c := model.Classification{Class: r.Class, Access: accessOf(r), Rule: r.Name, Layer: model.LayerHTTP}
	if p.format == FormatJSON || r.Class == model.ClassOK {
		c.Layer = model.LayerAPI
	}
	if r.Class == model.ClassOK {
		c.Signature = kind + ":ok"
		return c
	}
	c.Signature = signature(kind, o.Status, bodyKey(&p, o.Model), Normalise(p.message, o.Model))
	return c
}

// classifyUpstream reads the upstream body an aggregator (OpenRouter) relays in
// error.metadata.raw, with the table of the upstream's kind. ok is false when no rule of the
// upstream tables matched; the outer body is then classified as usual.
func classifyUpstream(o Observation, kind string, outer *input) (model.Classification, bool) {
	q := parseBody([]byte(outer.p.raw), nil)
	status := outer.status
	if n := outer.p.numCode; n >= 400 && n <= 599 {
		status = n
	}
	in := input{status: status, check: o.Check, p: &q, msg: strings.ToLower(strings.TrimSpace(q.message)), body: []byte(outer.p.raw)}
	in.quotaOff = q.quota0 || zeroLimit(in.msg)
	r := firstMatch(&in, providerRules[upstreamKind(outer.p.provider)], genericRules)
	if r == nil {
		return model.Classification{}, false
	}
	return model.Classification{
		Layer:     model.LayerAPI,
		Class:     r.Class,
		Access:    accessOf(r),
		Rule:      "upstream." + r.Name,
		Signature: signature(kind, o.Status, "upstream:"+bodyKey(&q, o.Model), Normalise(q.message, o.Model)),
	}, true
}

// shaped reports whether a body has the success shape of its check: a models list has a "data"
// or "models" array (or is an array; Gemini answers {} to an account that sees no model), a
// model has an id or name, a token count has its count, a generation has choices, content or
// candidates. Checks outside the vendor API (control, status pages) need none.
func shaped(p *parsed, check, kind string, body []byte) bool {
	if p.format != FormatJSON {
		return false
	}
	switch check {
	case model.CheckModels:
		return p.hasData || p.hasModels || p.array || (kind == "gemini" && string(bytes.TrimSpace(body)) == "{}")
	case model.CheckModel:
		return p.id != "" || p.name != ""
	case model.CheckCountTokens:
		return p.tokens
	case model.CheckGenerate: // choices alone, with no id or usage, say nothing ran
		return p.choices > 0 && (p.id != "" || p.usage) || p.content || p.candidates
	}
	return true
}

// fromEdge reads Cloudflare's marks: a cf-ray with a cloudflare server, or its error page in
// lbody (the lower-cased head of the body).
func fromEdge(h http.Header, lbody string) bool {
	if h != nil && cfRay(h.Get("Cf-Ray")) && containsFold([]byte(h.Get("Server")), "cloudflare") {
		return true
	}
	if strings.HasPrefix(strings.TrimSpace(lbody), "error code: 1") { // the plain-text form Cloudflare gives API clients
		return true
	}
	for _, mark := range [...]string{"cloudflare ray id", "cf-error-details", "cf-wrapper", "cf-main-wrapper", "cf-error-title"} {
		if strings.Contains(lbody, mark) {
			return true
		}
	}
	return false
}

// cfRay matches "<16 hex>-<IATA>".
func cfRay(v string) bool {
	id, colo, ok := strings.Cut(strings.TrimSpace(v), "-")
	return ok && len(id) >= 16 && allFunc(strings.ToLower(id), isHex) && len(colo) == 3 && allFunc(colo, isAlpha)
}

func isAlpha(c byte) bool { return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') }

// zeroLimit finds "limit: 0" (Google's quota texts) in a lower-cased message.
func zeroLimit(msg string) bool {
	for off := 0; off < len(msg); {
		i := strings.Index(msg[off:], "limit: 0")
		if i < 0 {
			return false
		}
		end := off + i + len("limit: 0")
		if end == len(msg) || !isDigit(msg[end]) && msg[end] != '.' {
			return true
		}
		off = end
	}
	return false
}

// effectiveStatus is the HTTP status, except for a 2xx answer whose body is an error with a
// numeric HTTP-like code (OpenRouter reports mid-route failures that way).
func effectiveStatus(status int, p *parsed) int {
	if status/100 == 2 && p.errorKey && p.numCode >= 400 && p.numCode <= 599 {
		return p.numCode
	}
	return status
}

func accessOf(r *Rule) model.Access {
	if r.Access != "" {
		return r.Access
	}
	return model.AccessOf(r.Class)
}

// bodyKey is the most specific discriminator of a body: a textual error code, the gRPC status,
// the error type; "json" when a JSON body has none; the format otherwise.
func bodyKey(p *parsed, modelID string) string {
	if p.format != FormatJSON {
		return string(p.format)
	}
	key := "json"
	for _, k := range [...]string{p.code, p.status, p.typ, p.reason} {
		if k != "" && !allDigits(k) { // numeric codes repeat the status
			key = k
			break
		}
	}
	key = strings.ReplaceAll(Normalise(key, modelID), ":", ".")
	return truncate(key, 48)
}

// signature joins kind, status, key and the normalised message. One longer than MaxSignature
// is cut and ends in "~" and a hash of the whole, so failures that differ only past the cut (a
// per-minute quota and a quota of zero, both after a long preamble) keep distinct signatures.
func signature(kind string, status int, key, msg string) string {
	var b strings.Builder
	b.Grow(len(kind) + len(key) + len(msg) + 8)
	b.WriteString(kind)
	b.WriteByte(':')
	b.WriteString(strconv.Itoa(status))
	b.WriteByte(':')
	b.WriteString(key)
	if msg != "" {
		b.WriteByte(':')
		b.WriteString(msg)
	}
	s := strings.TrimSpace(b.String())
	if len(s) <= MaxSignature {
		return s
	}
	h := fnv.New32a()
	h.Write([]byte(s))
	tag := fmt.Sprintf("~%08x", h.Sum32())
	return strings.TrimSpace(truncate(s, MaxSignature-len(tag))) + tag
}

// kindLabel is kind lower-cased and reduced to [a-z0-9_.-], at most 24 bytes; "unknown" if empty.
func kindLabel(kind string) string {
	if isLabel(kind) {
		return kind
	}
	b := make([]byte, 0, min(len(kind), 24))
	for i := 0; i < len(kind) && len(b) < 24; i++ {
		c := kind[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if isLabelByte(c) {
			b = append(b, c)
		}
	}
	if len(b) == 0 {
		return "unknown"
	}
	return string(b)
}

func isLabel(s string) bool {
	return s != "" && len(s) <= 24 && allFunc(s, isLabelByte)
}

func isLabelByte(c byte) bool {
	return ('a' <= c && c <= 'z') || isDigit(c) || c == '_' || c == '-' || c == '.'
}
