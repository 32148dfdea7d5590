package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// DayStat is one target's observations on one UTC day.
type DayStat struct {
	Provider, Model, Region string
	Day                     time.Time
	OK, Total               int64
	Worst                   model.State
}

// EventQuery selects events. Empty fields match everything.
type EventQuery struct {
	// ID selects the one event with this id (the incident page accepts an event id).
	ID string
	// Since keeps the events active at or after it: open, or ended at or after Since.
	Since      time.Time
	IncidentID string
	Limit      int
}

// Source is what the pages read. Status must be cheap: it runs on every request.
type Source interface {
	Status() []model.TargetStatus
	Events(ctx context.Context, f EventQuery) ([]model.Event, error)
	Daily(ctx context.Context, since time.Time) ([]DayStat, error)
	ResultsByID(ctx context.Context, ids []string) ([]model.Result, error)
	Claims(ctx context.Context) ([]model.Claim, error)
}

// Options configure New.
type Options struct {
	Source Source
	Title  string // default "accesswatch"
	// FrameAncestors are the CSP frame-ancestors sources for /embed; default 'self'.
	FrameAncestors []string
	Refresh        time.Duration // how often the script refreshes the sections; default 30s
	Now            func() time.Time
	Logger         *slog.Logger
}

const (
	historyDays    = 90
	timelineLimit  = 200 // events on the front page
	incidentLimit  = 500 // events of one incident
	maxEvidenceIDs = 500 // results looked up for one incident
)

type server struct {
	src       Source
	title     string
	ancestors string
	refresh   time.Duration
	now       func() time.Time
	log       *slog.Logger
	tmpl      *template.Template
	static    map[string]staticFile
}

type staticFile struct {
	body  []byte
	etag  string
	ctype string
}

// New returns the handler for GET /, /incidents/{id}, /embed/{provider}/{model},
// /fragment/matrix, /fragment/incidents, /fragment/embed/{provider}/{model} and /static/….
func New(o Options) http.Handler {
	s := &server{src: o.Source, title: o.Title, refresh: o.Refresh, now: o.Now, log: o.Logger}
	if s.title == "" {
		s.title = "accesswatch"
	}
	if s.refresh <= 0 {
		s.refresh = 30 * time.Second
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.ancestors = "'self'"
	if len(o.FrameAncestors) > 0 {
		s.ancestors = strings.Join(o.FrameAncestors, " ")
	}
	s.tmpl = template.Must(template.New("").Funcs(funcs()).ParseFS(templateFS, "templates/*.html"))
	s.static = loadStatic()

	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.index)
	mux.HandleFunc("GET /fragment/matrix", s.fragmentMatrix)
	mux.HandleFunc("GET /fragment/incidents", s.fragmentIncidents)
	mux.HandleFunc("GET /incidents/{id}", s.incident)
	mux.HandleFunc("GET /embed/{provider}/{model}", s.embed)
	mux.HandleFunc("GET /fragment/embed/{provider}/{model}", s.embedFragment)
	mux.HandleFunc("GET /static/{name}", s.staticFile)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		s.notFound(w, r, "There is no page at this address.")
	})
	return mux
}

func loadStatic() map[string]staticFile {
	m := map[string]staticFile{}
	ctypes := map[string]string{".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}
	entries, err := fs.ReadDir(staticFS, "static")
	if err != nil {
		panic(err) // embedded at build time
	}
	for _, e := range entries {
		b, err := staticFS.ReadFile("static/" + e.Name())
		if err != nil {
			panic(err)
		}
		m[e.Name()] = staticFile{body: b, etag: etagOf(b), ctype: ctypes[path.Ext(e.Name())]}
	}
	return m
}

func etagOf(b []byte) string {
	sum := sha256.Sum256(b)
	return `"` + hex.EncodeToString(sum[:12]) + `"`
}

func (s *server) staticFile(w http.ResponseWriter, r *http.Request) {
	f, ok := s.static[r.PathValue("name")]
	if !ok {
		s.notFound(w, r, "There is no such file.")
		return
	}
	w.Header().Set("Content-Type", f.ctype)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	writeCached(w, r, f.body, f.etag)
}

// csp is the policy of every page; only /embed relaxes frame-ancestors.
func csp(ancestors string) string {
	return "default-src 'none'; style-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self'; " +
		"base-uri 'none'; form-action 'none'; frame-ancestors " + ancestors
}

// render executes a template into a buffer so a template error never leaves half a page,
// and so the page gets an ETag.
func (s *server) render(w http.ResponseWriter, r *http.Request, status int, name string, data any, ancestors string) {
	var buf bytes.Buffer
	if err := s.tmpl.ExecuteTemplate(&buf, name, data); err != nil {
		s.log.Error("render page", "template", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", csp(ancestors))
	if status != http.StatusOK {
		h.Set("Cache-Control", "no-store")
		w.WriteHeader(status)
		_, _ = w.Write(buf.Bytes())
		return
	}
	writeCached(w, r, buf.Bytes(), etagOf(buf.Bytes()))
}

// writeCached answers 304 when the client already holds body; no-cache makes it ask each time.
func writeCached(w http.ResponseWriter, r *http.Request, body []byte, etag string) {
	h := w.Header()
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", etag)
	if inm := r.Header.Get("If-None-Match"); inm != "" && etagMatch(inm, etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(body)
}

func etagMatch(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}

type notFoundPage struct {
	pageMeta
	Message string
}

func (s *server) notFound(w http.ResponseWriter, r *http.Request, msg string) {
	s.render(w, r, http.StatusNotFound, "404.html", notFoundPage{pageMeta: s.meta("Not found"), Message: msg}, "'self'")
}

// pageMeta is what the layout needs on every page.
type pageMeta struct {
	Site      string
	Title     string
	Generated time.Time
	RefreshMs int64
}

func (s *server) meta(title string) pageMeta {
	return pageMeta{Site: s.title, Title: title, Generated: s.now().UTC(), RefreshMs: s.refresh.Milliseconds()}
}
