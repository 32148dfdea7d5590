package public

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/accesswatch/accesswatch/internal/httpjson"
)

const (
	mimeJSON = "application/json"
	mimeSVG  = "image/svg+xml"
	ccAPI    = "public, max-age=30"
	ccBadge  = "public, max-age=60"
)

// entry is one pre-rendered answer with its header values built once, so serving it
// allocates nothing of its own.
type entry struct {
	status  int
	body    []byte
	mod     time.Time
	ctype   []string
	cc      []string
	etag    []string
	lastMod []string
	length  []string
	// gz is the body gzip-compressed, for large bodies (the 1,000-target status is ~150 KB,
	// ~10x smaller compressed), with its own validator and length.
	gz       []byte
	gzEtag   []string
	gzLength []string
}

// gzipMin is the body size from which a compressed copy is kept.
const gzipMin = 2048

func newEntry(status int, mime, cc, etag string, mod time.Time, body []byte) *entry {
	mod = mod.UTC().Truncate(time.Second)
	e := &entry{status: status, body: body, mod: mod,
		ctype: []string{mime}, cc: []string{cc}, etag: []string{etag},
		lastMod: []string{mod.Format(http.TimeFormat)}, length: []string{strconv.Itoa(len(body))}}
	if len(body) >= gzipMin {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // once per rebuild, served many times
		_, _ = zw.Write(body)
		_ = zw.Close()
		e.gz = buf.Bytes()
		e.gzEtag = []string{strings.TrimSuffix(etag, `"`) + `-gz"`} // a strong tag per representation
		e.gzLength = []string{strconv.Itoa(len(e.gz))}
	}
	return e
}

var varyEncoding = []string{"Accept-Encoding"}

// acceptsGzip reports whether the client takes a gzip body.
func acceptsGzip(r *http.Request) bool {
	for _, v := range r.Header["Accept-Encoding"] {
		for _, part := range strings.Split(v, ",") {
			name, q, _ := strings.Cut(strings.TrimSpace(part), ";")
			if strings.EqualFold(strings.TrimSpace(name), "gzip") && strings.ReplaceAll(q, " ", "") != "q=0" {
				return true
			}
		}
	}
	return false
}

type badgeKey struct {
	provider, model, region, window string // window empty: the state badge
	json                            bool
}

type uptimeKey struct{ provider, model, region, window string } // region empty: every region

// snapshot is immutable once stored.
type snapshot struct {
	badges  map[badgeKey]*entry
	uptime  map[uptimeKey]*entry
	summary *entry
	status  *entry                     // GET /api/v1/status without filters, when rendered
	figures map[uptimeKey]uptimeFigure // for the next rebuild's fallbacks
}

// staticAnswers are the answers that never change: errors and not-found badges.
type staticAnswers struct {
	notFound, notFoundSVG, notFoundShields, unknownTarget, methodNotAllowed *entry
	needTarget, badWindow, badRegion                                        *entry
}

func newStaticAnswers() staticAnswers {
	var zero time.Time
	mk := func(status int, mime, cc, body string) *entry {
		return newEntry(status, mime, cc, etagOf([]byte(body)), zero, []byte(body))
	}
	errJSON := func(status int, msg string) *entry {
		return mk(status, mimeJSON, ccAPI, string(httpjson.ErrorBody(msg)))
	}
	return staticAnswers{
		notFound:         errJSON(http.StatusNotFound, "not found"),
		notFoundSVG:      mk(http.StatusNotFound, mimeSVG, ccBadge, string(renderBadge("accesswatch", "not found", colorGrey))),
		notFoundShields:  mk(http.StatusNotFound, mimeJSON, ccBadge, string(renderShields("accesswatch", "not found", "lightgrey"))),
		unknownTarget:    errJSON(http.StatusNotFound, "unknown provider, model or region"),
		methodNotAllowed: errJSON(http.StatusMethodNotAllowed, "method not allowed"),
		needTarget:       errJSON(http.StatusBadRequest, "provider and model are required"),
		badWindow:        errJSON(http.StatusBadRequest, "window must be one of 24h, 7d, 30d, 90d"),
		badRegion:        errJSON(http.StatusBadRequest, "unknown query parameter; use provider, model, region, window"),
	}
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
	case http.MethodOptions:
		s.preflight(w, r)
		return
	default:
		w.Header()["Allow"] = allowValue
		s.write(w, r, s.static.methodNotAllowed)
		return
	}
	snap := s.snap.Load()
	path := r.URL.Path
	var e *entry
	switch {
	case path == "/api/v2/summary.json":
		e = snap.summary
	case path == "/api/v1/uptime":
		e = s.uptimeAnswer(snap, r)
	case path == "/api/v1/status" && snap.status != nil:
		e = snap.status
	case strings.HasPrefix(path, "/badge/"):
		e = s.badgeAnswer(snap, path[len("/badge/"):])
	default:
		e = s.static.notFound
	}
	s.write(w, r, e)
}

// badgeAnswer finds the badge for rest = "{provider}/{model}/{region}[/uptime/{w}].{svg|json}";
// the model may contain slashes.
func (s *Server) badgeAnswer(snap *snapshot, rest string) *entry {
	var k badgeKey
	notFound := s.static.notFoundSVG
	switch {
	case strings.HasSuffix(rest, ".svg"):
		rest = rest[:len(rest)-len(".svg")]
	case strings.HasSuffix(rest, ".json"):
		rest, k.json, notFound = rest[:len(rest)-len(".json")], true, s.static.notFoundShields
	default:
		return s.static.notFound
	}
	i := strings.IndexByte(rest, '/')
	if i <= 0 {
		return notFound
	}
	k.provider, rest = rest[:i], rest[i+1:]
	if j := strings.LastIndex(rest, "/uptime/"); j >= 0 && strings.IndexByte(rest[j+len("/uptime/"):], '/') < 0 {
		k.window, rest = rest[j+len("/uptime/"):], rest[:j]
	}
	j := strings.LastIndexByte(rest, '/')
	if j <= 0 || j == len(rest)-1 {
		return notFound
	}
	k.model, k.region = rest[:j], rest[j+1:]
	if e := snap.badges[k]; e != nil {
		return e
	}
	return notFound
}

func (s *Server) uptimeAnswer(snap *snapshot, r *http.Request) *entry {
	q := r.URL.Query()
	for name := range q {
		switch name {
		case "provider", "model", "region", "window":
		default:
			return s.static.badRegion
		}
	}
	k := uptimeKey{provider: q.Get("provider"), model: q.Get("model"), region: q.Get("region"), window: q.Get("window")}
	if k.provider == "" || k.model == "" {
		return s.static.needTarget
	}
	if k.window == "" {
		k.window = "24h"
	}
	if windowDuration(k.window) == 0 {
		return s.static.badWindow
	}
	if e := snap.uptime[k]; e != nil {
		return e
	}
	return s.static.unknownTarget
}

var (
	allowValue   = []string{"GET, HEAD, OPTIONS"}
	allowHeaders = []string{"If-None-Match, If-Modified-Since, Content-Type"}
	exposeValue  = []string{"ETag, Last-Modified, Cache-Control"}
	maxAgeValue  = []string{"86400"}
)

// write sends e, or 304 when the client's validator matches.
func (s *Server) write(w http.ResponseWriter, r *http.Request, e *entry) {
	h := w.Header()
	s.cors.apply(h, r)
	h["Cache-Control"] = e.cc
	body, etag, length := e.body, e.etag, e.length
	if e.gz != nil {
		h["Vary"] = append(h["Vary"], varyEncoding...)
		if acceptsGzip(r) {
			body, etag, length = e.gz, e.gzEtag, e.gzLength
			h["Content-Encoding"] = gzipEncoding
		}
	}
	h["Etag"] = etag
	if !e.mod.IsZero() {
		h["Last-Modified"] = e.lastMod
	}
	if e.status == http.StatusOK && notModified(r, e.mod, etag[0]) {
		delete(h, "Content-Encoding")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h["Content-Type"] = e.ctype
	h["Content-Length"] = length
	h["X-Content-Type-Options"] = nosniff
	w.WriteHeader(e.status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

var (
	nosniff      = []string{"nosniff"}
	gzipEncoding = []string{"gzip"}
)

// notModified evaluates If-None-Match (weak comparison, RFC 9110 §13.1.2), else If-Modified-Since.
func notModified(r *http.Request, mod time.Time, etag string) bool {
	if inm := r.Header["If-None-Match"]; len(inm) > 0 {
		for _, v := range inm {
			if etagListMatches(v, etag) {
				return true
			}
		}
		return false
	}
	if ims := r.Header.Get("If-Modified-Since"); ims != "" && !mod.IsZero() {
		t, err := http.ParseTime(ims)
		return err == nil && !mod.After(t)
	}
	return false
}

// etagListMatches reports whether the comma-separated list holds "*" or tag (ignoring W/).
func etagListMatches(list, tag string) bool {
	for list != "" {
		var item string
		if i := strings.IndexByte(list, ','); i >= 0 {
			item, list = list[:i], list[i+1:]
		} else {
			item, list = list, ""
		}
		item = strings.TrimSpace(item)
		item = strings.TrimPrefix(item, "W/")
		if item == "*" || item == tag {
			return true
		}
	}
	return false
}

func (s *Server) preflight(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	s.cors.apply(h, r)
	h["Allow"] = allowValue
	if r.Header.Get("Origin") != "" && r.Header.Get("Access-Control-Request-Method") != "" {
		h["Access-Control-Allow-Methods"] = allowValue
		h["Access-Control-Allow-Headers"] = allowHeaders
		h["Access-Control-Max-Age"] = maxAgeValue
	}
	w.WriteHeader(http.StatusNoContent)
}

// corsPolicy allows every origin ("*") or a fixed list, echoed back with Vary: Origin.
type corsPolicy struct {
	any     bool
	allowed map[string]bool
}

var (
	starValue = []string{"*"}
	varyValue = []string{"Origin"}
)

func newCORS(origins []string) corsPolicy {
	p := corsPolicy{allowed: map[string]bool{}}
	if len(origins) == 0 {
		p.any = true
	}
	for _, o := range origins {
		if o == "*" {
			p.any = true
		}
		p.allowed[strings.TrimRight(o, "/")] = true
	}
	return p
}

func (p corsPolicy) apply(h http.Header, r *http.Request) {
	h["Access-Control-Expose-Headers"] = exposeValue
	if p.any {
		h["Access-Control-Allow-Origin"] = starValue
		return
	}
	h["Vary"] = varyValue
	if o := r.Header.Get("Origin"); o != "" && p.allowed[o] {
		h["Access-Control-Allow-Origin"] = []string{o}
	}
}
