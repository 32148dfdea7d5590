package simvendor

import (
	"fmt"
	"net/http"
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

func (s *Server) anthropicList(w http.ResponseWriter, r *http.Request, country string) {
	if s.decide(country, "") == overload {
		s.anthropicModelError(w, r, country, "")
		return
	}
	var items []string
	for _, m := range s.available(country) {
		items = append(items, fmt.Sprintf(`{"type":"model","id":%s,"display_name":%s,"created_at":"2026-05-01T00:00:00Z"}`, jsonString(m), jsonString(displayName(m))))
	}
	first, last := "", ""
	if len(items) > 0 {
		av := s.available(country)
		first, last = av[0], av[len(av)-1]
	}
	writeJSON(w, http.StatusOK, `{"data":[`+strings.Join(items, ",")+`],"has_more":false,"first_id":`+jsonString(first)+`,"last_id":`+jsonString(last)+`}`)
}

func (s *Server) anthropicGet(w http.ResponseWriter, r *http.Request, country string) {
	m := r.PathValue("model")
	if s.anthropicModelError(w, r, country, m) {
		return
	}
	writeJSON(w, http.StatusOK, fmt.Sprintf(`{"type":"model","id":%s,"display_name":%s,"created_at":"2026-05-01T00:00:00Z"}`, jsonString(m), jsonString(displayName(m))))
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

func (s *Server) openaiList(w http.ResponseWriter, r *http.Request, country string) {
	if s.openaiModelError(w, country, "") {
		return
	}
	var items []string
	for _, m := range s.available(country) {
		items = append(items, fmt.Sprintf(`{"id":%s,"object":"model","created":1746057600,"owned_by":"system"}`, jsonString(m)))
	}
	writeJSON(w, http.StatusOK, `{"object":"list","data":[`+strings.Join(items, ",")+`]}`)
}

func (s *Server) openaiGet(w http.ResponseWriter, r *http.Request, country string) {
	m := r.PathValue("model")
	if s.openaiModelError(w, country, m) {
		return
	}
	writeJSON(w, http.StatusOK, fmt.Sprintf(`{"id":%s,"object":"model","created":1746057600,"owned_by":"system"}`, jsonString(m)))
}

func (s *Server) openaiChat(w http.ResponseWriter, r *http.Request, country string) {
	m := modelOf(r)
	if s.openaiModelError(w, country, m) {
		return
	}
	writeJSON(w, http.StatusOK, fmt.Sprintf(`{"id":"chatcmpl-Sim%d","object":"chat.completion","created":1764300000,"model":%s,"choices":[{"index":0,"message":{"role":"assistant","content":"."},"finish_reason":"length"}],"usage":{"prompt_tokens":8,"completion_tokens":1,"total_tokens":9}}`, s.seq.Load(), jsonString(m)))
}
