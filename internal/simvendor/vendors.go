package simvendor

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// The bodies below are the vendors' own, verbatim from the reference (providers.md), with only
// model names and request ids filled in.

type handler func(w http.ResponseWriter, r *http.Request, country string)

// anthropic wraps a handler with Anthropic's auth, edge and geo-block behaviour.
func (s *Server) anthropic(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		country := s.callerCountry(r)
		s.edgeHeaders(w, country)
		if s.decide(country, "") == geoBlock {
			// The edge rejects before the API: no request-id, no top-level type.
			writeJSON(w, http.StatusForbidden, `{"error":{"type":"forbidden","message":"Request not allowed"}}`)
			return
		}
		id := s.requestID()
		w.Header().Set("request-id", id)
		if r.Header.Get("x-api-key") == "" {
			writeJSON(w, http.StatusUnauthorized, `{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"},"request_id":"`+id+`"}`)
			return
		}
		h(w, r, country)
	}
}

func (s *Server) anthropicModelError(w http.ResponseWriter, r *http.Request, country, model string) bool {
	id := w.Header().Get("request-id")
	switch s.decide(country, model) {
	case overload:
		writeJSON(w, 529, `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`)
	case withdraw:
		msg := fmt.Sprintf("%s is not available. Please use Opus 4.8. Learn more: https://www.anthropic.com/news/fable-mythos-access", displayName(model))
		writeJSON(w, http.StatusNotFound, `{"type":"error","error":{"type":"not_found_error","message":`+jsonString(msg)+`},"request_id":"`+id+`"}`)
	case unknownModel:
		writeJSON(w, http.StatusNotFound, `{"type":"error","error":{"type":"not_found_error","message":`+jsonString("model: "+model)+`},"request_id":"`+id+`"}`)
	default:
		return false
	}
	return true
}

// Anthropic list pages: limit defaults to 20 and may be at most 1000.
const (
	defaultPage = 20
	maxPage     = 1000
)

// anthropicList serves GET /v1/models as the Claude API does: dated ids, newest first in the
// vendor's order, paginated by limit and after_id, with has_more, first_id and last_id.
func (s *Server) anthropicList(w http.ResponseWriter, r *http.Request, country string) {
	if s.decide(country, "") == overload {
		s.anthropicModelError(w, r, country, "")
		return
	}
	q := r.URL.Query()
	limit := defaultPage
	if v := q.Get("limit"); v != "" {
		// The real API refuses a limit outside 1..1000 with a 400; probes never send one, so
		// the simulation clamps rather than invent that body.
		if n, err := strconv.Atoi(v); err == nil {
			limit = max(1, min(n, maxPage))
		}
	}
	limit = min(limit, s.pageLimit)
	fault := s.fault()
	ids := s.listed(country, fault)
	for i, m := range ids {
		ids[i] = s.dated(m)
	}
	start := 0
	if after := q.Get("after_id"); after != "" {
		start = len(ids)
		if i := slices.Index(ids, after); i >= 0 {
			start = i + 1
		}
	}
	end := min(start+limit, len(ids))
	page := ids[start:end]
	items := make([]string, len(page))
	for i, id := range page {
		items[i] = fmt.Sprintf(`{"type":"model","id":%s,"display_name":%s,"created_at":"2026-05-01T00:00:00Z"}`, jsonString(id), jsonString(displayName(s.alias(id))))
	}
	first, last := "null", "null"
	if len(page) > 0 {
		first, last = jsonString(page[0]), jsonString(page[len(page)-1])
	}
	writeList(w, fault, `{"data":[`+strings.Join(items, ",")+`],"has_more":`+strconv.FormatBool(end < len(ids))+`,"first_id":`+first+`,"last_id":`+last+`}`)
}

// listed is the catalogue a caller from country sees, as the list fault leaves it.
func (s *Server) listed(country string, fault ListFault) []string {
	ids := s.available(country)
	if fault == ListIncomplete && len(ids) > 0 {
		ids = ids[:len(ids)-1]
	}
	return ids
}

// writeList writes a list body as fault breaks it.
func writeList(w http.ResponseWriter, fault ListFault, body string) {
	switch fault {
	case ListEmpty:
		body = `{}`
	case ListCut:
		body = body[:len(body)/2]
	}
	writeJSON(w, http.StatusOK, body)
}

// anthropicGet answers GET /v1/models/{id}; an alias answers with the dated id it resolves to.
func (s *Server) anthropicGet(w http.ResponseWriter, r *http.Request, country string) {
	m := r.PathValue("model")
	if s.anthropicModelError(w, r, country, m) {
		return
	}
	id := s.dated(s.alias(m))
	writeJSON(w, http.StatusOK, fmt.Sprintf(`{"type":"model","id":%s,"display_name":%s,"created_at":"2026-05-01T00:00:00Z"}`, jsonString(id), jsonString(displayName(s.alias(m)))))
}

func (s *Server) anthropicMessages(w http.ResponseWriter, r *http.Request, country string) {
	m := modelOf(r)
	if s.anthropicModelError(w, r, country, m) {
		return
	}
	writeJSON(w, http.StatusOK, fmt.Sprintf(`{"id":"msg_01Sim%d","type":"message","role":"assistant","model":%s,"content":[{"type":"text","text":"."}],"stop_reason":"max_tokens","stop_sequence":null,"usage":{"input_tokens":8,"output_tokens":1}}`, s.seq.Load(), jsonString(m)))
}

func (s *Server) anthropicCount(w http.ResponseWriter, r *http.Request, country string) {
	m := modelOf(r)
	if s.anthropicModelError(w, r, country, m) {
		return
	}
	writeJSON(w, http.StatusOK, `{"input_tokens":8}`)
}

// openai wraps a handler with OpenAI's auth, edge and geo-block behaviour.
func (s *Server) openai(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		country := s.callerCountry(r)
		s.edgeHeaders(w, country)
		w.Header().Set("x-request-id", s.requestID())
		w.Header().Set("openai-version", "2020-10-01")
		if s.decide(country, "") == geoBlock {
			writeJSON(w, http.StatusForbidden, `{"error":{"code":"unsupported_country_region_territory","message":"Country, region, or territory not supported","param":null,"type":"request_forbidden"}}`)
			return
		}
		if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") || len(r.Header.Get("Authorization")) <= len("Bearer ") {
			writeJSON(w, http.StatusUnauthorized, `{"error":{"message":"You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).","type":"invalid_request_error","param":null,"code":null}}`)
			return
		}
		h(w, r, country)
	}
}

func (s *Server) openaiModelError(w http.ResponseWriter, country, model string) bool {
	switch s.decide(country, model) {
	case overload:
		writeJSON(w, http.StatusServiceUnavailable, `{"error":{"message":"The engine is currently overloaded, please try again later","type":"server_error","param":null,"code":null}}`)
	case withdraw, unknownModel:
		msg := fmt.Sprintf("The model `%s` does not exist or you do not have access to it.", model)
		writeJSON(w, http.StatusNotFound, `{"error":{"message":`+jsonString(msg)+`,"type":"invalid_request_error","param":null,"code":"model_not_found"}}`)
	default:
		return false
	}
	return true
}

// openaiList serves GET /v1/models as OpenAI does: one unpaginated list naming every model
// by its alias and by its dated snapshot.
func (s *Server) openaiList(w http.ResponseWriter, r *http.Request, country string) {
	if s.openaiModelError(w, country, "") {
		return
	}
	fault := s.fault()
	var items []string
	for _, m := range s.listed(country, fault) {
		for _, id := range slices.Compact([]string{m, s.datedOpenAI(m)}) {
			items = append(items, fmt.Sprintf(`{"id":%s,"object":"model","created":1746057600,"owned_by":"system"}`, jsonString(id)))
		}
	}
	writeList(w, fault, `{"object":"list","data":[`+strings.Join(items, ",")+`]}`)
}

func (s *Server) openaiGet(w http.ResponseWriter, r *http.Request, country string) {
	m := r.PathValue("model")
	if s.openaiModelError(w, country, m) {
		return
	}
	writeJSON(w, http.StatusOK, fmt.Sprintf(`{"id":%s,"object":"model","created":1746057600,"owned_by":"system"}`, jsonString(m)))
}

func (s *Server) openaiChat(w http.ResponseWriter, r *http.Request, country string) {
	var req chatBody
	_ = json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req)
	m := req.Model
	if s.openaiModelError(w, country, m) {
		return
	}
	if need := reasoningNeed(m, req.ReasoningEffort); need > 0 {
		// As OpenAI's reasoning models answer: max_tokens is refused, and a budget the
		// reasoning uses up before any output is a 400 (verbatim bodies of real answers).
		switch {
		case req.MaxTokens != nil:
			writeJSON(w, http.StatusBadRequest, `{"error":{"message":"Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.","type":"invalid_request_error","param":"max_tokens","code":"unsupported_parameter"}}`)
			return
		case req.MaxCompletionTokens == nil || *req.MaxCompletionTokens < need:
			writeJSON(w, http.StatusBadRequest, `{"error":{"message":"Could not finish the message because max_tokens or model output limit was reached. Please try again with higher max_tokens.","type":"invalid_request_error","param":null,"code":null}}`)
			return
		}
		writeJSON(w, http.StatusOK, fmt.Sprintf(`{"id":"chatcmpl-Sim%d","object":"chat.completion","created":1764300000,"model":%s,"choices":[{"index":0,"message":{"role":"assistant","content":""},"finish_reason":"length"}],"usage":{"prompt_tokens":8,"completion_tokens":%d,"total_tokens":%d,"completion_tokens_details":{"reasoning_tokens":%d}}}`,
			s.seq.Load(), jsonString(m), *req.MaxCompletionTokens, 8+*req.MaxCompletionTokens, *req.MaxCompletionTokens))
		return
	}
	writeJSON(w, http.StatusOK, fmt.Sprintf(`{"id":"chatcmpl-Sim%d","object":"chat.completion","created":1764300000,"model":%s,"choices":[{"index":0,"message":{"role":"assistant","content":"."},"finish_reason":"length"}],"usage":{"prompt_tokens":8,"completion_tokens":1,"total_tokens":9}}`, s.seq.Load(), jsonString(m)))
}

// chatBody is what the simulated vendor reads of a chat completion.
type chatBody struct {
	Model               string `json:"model"`
	MaxTokens           *int   `json:"max_tokens"`
	MaxCompletionTokens *int   `json:"max_completion_tokens"`
	ReasoningEffort     string `json:"reasoning_effort"`
}

// reasoningNeed is how many tokens a simulated reasoning model thinks before it can answer
// (0: not a reasoning model). Its own small table, not the probes' (which it tests): o-series
// and gpt-5 ids think 8 tokens at the lowest efforts, 64 otherwise.
func reasoningNeed(model, effort string) int {
	id := strings.ToLower(model)
	reasoning := strings.HasPrefix(id, "gpt-5") && !strings.HasPrefix(id, "gpt-5-chat") ||
		len(id) > 1 && id[0] == 'o' && id[1] >= '1' && id[1] <= '9'
	switch {
	case !reasoning:
		return 0
	case effort == "minimal" || effort == "none" || effort == "low":
		return 8
	}
	return 64
}
