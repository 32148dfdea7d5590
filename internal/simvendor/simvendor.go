// Package simvendor is a simulated model vendor for the demo, end-to-end tests and benchmarks.
// It answers Anthropic- and OpenAI-shaped API calls with the vendors' real bodies and decides, like
// a real vendor's edge, by the caller's source address and a GeoIP country: a model can be
// withdrawn for some countries or for everyone, a country can be geo-blocked or stalled (calls
// held unanswered until the stall ends), the vendor can be overloaded. It never reaches the
// network.
package simvendor

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// Everyone stands for all countries in Withdraw and Restore.
const Everyone = "*"

// Options configure a Server.
type Options struct {
	// Country maps a caller's address to an ISO country code ("" when unknown).
	Country func(netip.Addr) string
	// Models the vendor serves, under both API shapes, by their undated aliases.
	Models []string
	// Snapshot is the date (YYYYMMDD) of every model's dated id, "<model>-<Snapshot>": the
	// Anthropic list names models only by it, the OpenAI list beside the alias, and both
	// answer under either name. Default DefaultSnapshot; a model already ending in a date
	// keeps its id.
	Snapshot string
	// PageLimit is the largest Anthropic list page served, whatever limit asks (the real
	// API's maximum, 1000, by default); a smaller one makes every client paginate.
	PageLimit int
	Logger    *slog.Logger
}

// DefaultSnapshot is the date of the dated ids when Options.Snapshot is empty.
const DefaultSnapshot = "20260501"

// ListFault is how the models lists answer: correctly, or broken in a way real lists are.
type ListFault int

// List faults.
const (
	ListServed     ListFault = iota // the whole list, as the vendor serves it
	ListEmpty                       // a 200 with an empty JSON object, {}
	ListCut                         // a 200 whose body stops half-way (a cut connection, a truncating proxy)
	ListIncomplete                  // a well-formed list, said to be complete, that leaves out the last model
)

// Server is the simulated vendor. Its policy may change at any time from another goroutine.
type Server struct {
	country   func(netip.Addr) string
	models    []string
	snapshot  string
	pageLimit int
	log       *slog.Logger
	seq       atomic.Uint64

	mu         sync.RWMutex
	withdrawn  map[string]map[string]bool // model → country (or Everyone) → withdrawn
	blocked    map[string]bool            // country → whole API geo-blocked
	overloaded bool
	listFault  ListFault
	stalled    map[string]chan struct{} // country → closed when its stall ends
}

// New returns a vendor serving o.Models to everyone.
func New(o Options) *Server {
	if o.Country == nil {
		o.Country = func(netip.Addr) string { return "" }
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Snapshot == "" {
		o.Snapshot = DefaultSnapshot
	}
	if o.PageLimit <= 0 || o.PageLimit > maxPage {
		o.PageLimit = maxPage
	}
	return &Server{
		country:   o.Country,
		models:    slices.Clone(o.Models),
		snapshot:  o.Snapshot,
		pageLimit: o.PageLimit,
		log:       o.Logger,
		withdrawn: map[string]map[string]bool{},
		blocked:   map[string]bool{},
		stalled:   map[string]chan struct{}{},
	}
}

// Withdraw stops serving model to callers from countries (Everyone for all).
func (s *Server) Withdraw(model string, countries ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.withdrawn[model] == nil {
		s.withdrawn[model] = map[string]bool{}
	}
	for _, c := range countries {
		s.withdrawn[model][c] = true
	}
}

// Restore serves model again to countries; Restore(m, Everyone) lifts every withdrawal of m.
func (s *Server) Restore(model string, countries ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range countries {
		if c == Everyone {
			delete(s.withdrawn, model)
			return
		}
		delete(s.withdrawn[model], c)
	}
}

// Block geo-blocks the whole API for countries; Unblock lifts it.
func (s *Server) Block(countries ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range countries {
		s.blocked[c] = true
	}
}

// Unblock lifts a geo-block.
func (s *Server) Unblock(countries ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range countries {
		delete(s.blocked, c)
	}
}

// Stall holds every call from countries unanswered (a stalled region: the edge accepts the
// connection and then says nothing) until Unstall lifts it, or the caller gives up. Calls held
// when the stall ends are then answered as usual.
func (s *Server) Stall(countries ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range countries {
		if s.stalled[c] == nil {
			s.stalled[c] = make(chan struct{})
		}
	}
}

// Unstall ends a stall: held calls are answered, new ones at once.
func (s *Server) Unstall(countries ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range countries {
		if ch := s.stalled[c]; ch != nil {
			close(ch)
			delete(s.stalled, c)
		}
	}
}

// hold waits out a stall of country; false when the caller gave up first.
func (s *Server) hold(r *http.Request, country string) bool {
	s.mu.RLock()
	ch := s.stalled[country]
	s.mu.RUnlock()
	if ch == nil {
		return true
	}
	select {
	case <-ch:
		return true
	case <-r.Context().Done():
		return false
	}
}

// SetListFault makes the models lists answer with f (ListServed: correctly again).
func (s *Server) SetListFault(f ListFault) {
	s.mu.Lock()
	s.listFault = f
	s.mu.Unlock()
}

func (s *Server) fault() ListFault {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.listFault
}

// SetOverloaded makes every call answer the vendor's overload error.
func (s *Server) SetOverloaded(v bool) {
	s.mu.Lock()
	s.overloaded = v
	s.mu.Unlock()
}

// decision is what the vendor does with one caller and model.
type decision int

const (
	serve decision = iota
	geoBlock
	withdraw
	overload
	unknownModel
)

func (s *Server) decide(country, model string) decision {
	s.mu.RLock()
	defer s.mu.RUnlock()
	switch {
	case s.blocked[country]:
		return geoBlock
	case s.overloaded:
		return overload
	case model == "":
		return serve
	}
	model = s.alias(model)
	switch {
	case !slices.Contains(s.models, model):
		return unknownModel
	case s.withdrawn[model][Everyone] || s.withdrawn[model][country]:
		return withdraw
	}
	return serve
}

// available lists the models a caller from country sees.
func (s *Server) available(country string) []string {
	var out []string
	for _, m := range s.models {
		if s.decide(country, m) == serve {
			out = append(out, m)
		}
	}
	return out
}

// dated is a model's dated id; a model whose name already ends in a date keeps it.
func (s *Server) dated(model string) string {
	if i := strings.LastIndexByte(model, '-'); i >= 0 && isDate(model[i+1:]) {
		return model
	}
	return model + "-" + s.snapshot
}

// alias is the model a dated id names (the id itself when it names none).
func (s *Server) alias(id string) string {
	for _, suffix := range []string{"-" + s.snapshot, "-" + dashed(s.snapshot)} {
		if a, ok := strings.CutSuffix(id, suffix); ok && slices.Contains(s.models, a) {
			return a
		}
	}
	return id
}

// datedOpenAI is a model's OpenAI-style snapshot id, "<model>-YYYY-MM-DD".
func (s *Server) datedOpenAI(model string) string {
	if d := s.dated(model); d != model {
		return model + "-" + dashed(s.snapshot)
	}
	return model
}

// dashed writes YYYYMMDD as YYYY-MM-DD.
func dashed(d string) string {
	if len(d) != 8 {
		return d
	}
	return d[:4] + "-" + d[4:6] + "-" + d[6:]
}

func isDate(s string) bool {
	if len(s) != 8 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func (s *Server) callerCountry(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return ""
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return ""
	}
	return s.country(a.Unmap())
}

// colos are Cloudflare-style edge names by country, for cf-ray.
var colos = map[string]string{"IN": "BOM", "AU": "SYD", "DE": "FRA", "FR": "CDG", "GB": "LHR", "US": "IAD"}

func (s *Server) requestID() string {
	return fmt.Sprintf("req_011Sim%017d", s.seq.Add(1))
}

func (s *Server) edgeHeaders(w http.ResponseWriter, country string) {
	colo := colos[country]
	if colo == "" {
		colo = "SJC"
	}
	w.Header().Set("server", "cloudflare")
	w.Header().Set("cf-ray", fmt.Sprintf("%016x-%s", s.seq.Load()*2654435761, colo))
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("content-type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// Handler serves the Anthropic API under /anthropic and the OpenAI API under /openai.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /anthropic/v1/models", s.anthropic(s.anthropicList))
	mux.HandleFunc("GET /anthropic/v1/models/{model}", s.anthropic(s.anthropicGet))
	mux.HandleFunc("POST /anthropic/v1/messages", s.anthropic(s.anthropicMessages))
	mux.HandleFunc("POST /anthropic/v1/messages/count_tokens", s.anthropic(s.anthropicCount))
	mux.HandleFunc("GET /openai/v1/models", s.openai(s.openaiList))
	mux.HandleFunc("GET /openai/v1/models/{model}", s.openai(s.openaiGet))
	mux.HandleFunc("POST /openai/v1/chat/completions", s.openai(s.openaiChat))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, `{"type":"error","error":{"type":"not_found_error","message":"Not Found"}}`)
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.hold(r, s.callerCountry(r)) {
			mux.ServeHTTP(w, r)
		}
	})
}

// modelOf reads the model of a POST body.
func modelOf(r *http.Request) string {
	var b struct {
		Model string `json:"model"`
	}
	_ = json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&b)
	return b.Model
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func displayName(model string) string {
	parts := strings.Split(model, "-")
	for i, p := range parts {
		if p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, " ")
}
