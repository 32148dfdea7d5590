package web

import (
	"net/http"
	"net/url"
	"time"
)

type embedPage struct {
	pageMeta
	Provider, Model string
	Fragment        string
	Widget          widgetView
}

type widgetView struct {
	Provider, Model string
	Page            string
	Cells           []cell
	LastChecked     time.Time
}

func (s *server) widget(provider, mdl string) (widgetView, bool) {
	wv := widgetView{Provider: provider, Model: mdl}
	for _, st := range sortedStatus(s.src.Status()) {
		if st.Provider != provider || st.Model != mdl {
			continue
		}
		wv.Cells = append(wv.Cells, cellOf(st, true, st.Region))
		if st.LastChecked.After(wv.LastChecked) {
			wv.LastChecked = st.LastChecked
		}
	}
	return wv, len(wv.Cells) > 0
}

func (s *server) embed(w http.ResponseWriter, r *http.Request) {
	provider, mdl := r.PathValue("provider"), r.PathValue("model")
	wv, ok := s.widget(provider, mdl)
	if !ok {
		s.notFound(w, r, "We do not watch this provider and model.")
		return
	}
	p := embedPage{pageMeta: s.meta(provider + "/" + mdl), Provider: provider, Model: mdl, Widget: wv,
		Fragment: "/fragment/embed/" + pathEscape(provider) + "/" + pathEscape(mdl)}
	s.render(w, r, http.StatusOK, "embed.html", p, s.ancestors)
}

func (s *server) embedFragment(w http.ResponseWriter, r *http.Request) {
	wv, ok := s.widget(r.PathValue("provider"), r.PathValue("model"))
	if !ok {
		s.notFound(w, r, "We do not watch this provider and model.")
		return
	}
	s.render(w, r, http.StatusOK, "widget", wv, s.ancestors)
}

func pathEscape(s string) string { return url.PathEscape(s) }
