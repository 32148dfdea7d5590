package config

import (
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/accesswatch/accesswatch/internal/model"
	"github.com/accesswatch/accesswatch/internal/vendors"
)

// Warning is a setting that is valid but cannot work as meant (a check the vendor has no
// endpoint for, a base URL missing the vendor's version path, a token field the model refuses).
// `accesswatch config check` prints them; they never fail a load. Its text has the form of an
// Error's: "file:line: key.path: message".
type Warning struct {
	File string
	Line int
	Path string
	Msg  string
}

func (w Warning) String() string {
	return (&Error{File: w.File, Line: w.Line, Path: w.Path, Msg: w.Msg}).Error()
}

// responsesOnly are OpenAI models served only by /v1/responses: a chat-completions generate is
// refused with 400 "This model is only supported in v1/responses and not in v1/chat/completions."
var responsesOnly = []string{"o1-pro", "o3-pro", "o3-deep-research", "o4-mini-deep-research", "gpt-5-pro", "gpt-5-codex", "codex-mini"}

// Warnings lists what in c (which should have passed Validate) cannot work, in line order.
func (c *Config) Warnings() []Warning {
	v := &validator{c: c, name: c.sourceName(), lines: c.structLines()}
	var out []Warning
	warn := func(path, format string, args ...any) {
		out = append(out, Warning{File: v.name, Line: v.line(path), Path: path, Msg: fmt.Sprintf(format, args...)})
	}
	for i, pr := range c.Providers {
		p := indexPath("providers", i)
		if pr.Kind != vendors.KindOpenAI && pr.Kind != vendors.KindOpenAICompatible {
			continue
		}
		host, known := vendors.KnownHost(pr.BaseURL)
		if known && host.Path != "" {
			if u, err := url.Parse(pr.BaseURL); err == nil && strings.TrimRight(u.Path, "/") != host.Path {
				want := *u
				want.Path, want.RawPath, want.RawQuery = host.Path, "", ""
				warn(p+".base_url", "%s serves its API under %q, so requests to %s reach the wrong URLs; want base_url %q",
					host.Vendor, host.Path, shownURL(pr.BaseURL), want.String())
			}
		}
		// Where the requests reach OpenAI itself (or a gateway we cannot tell passes fields on).
		openAIish := !known || host.Vendor == "OpenAI"
		for j, ck := range pr.Checks {
			cp := indexPath(p+".checks", j)
			if ck.Kind == model.CheckModel && known && host.NoRetrieve {
				warn(cp+".kind", "%s has no GET /models/{id}: a model check cannot work there; use a models or generate check", host.Vendor)
			}
			if ck.Kind != model.CheckGenerate || !openAIish {
				continue
			}
			for _, m := range ck.Models {
				_, reasoning := vendors.OpenAIReasoningModel(m)
				if reasoning && pr.TokenParam == vendors.TokenParamMaxTokens {
					warn(p+".token_param", "%s is an OpenAI reasoning model: it refuses max_tokens (400 \"Use 'max_completion_tokens' instead\"); set token_param: %s",
						m, vendors.TokenParamMaxCompletionTokens)
				}
				if isResponsesOnly(m) {
					warn(cp+".models", "%s is served only by /v1/responses: a chat-completions generate is refused (400); probe it with a model check", m)
				}
			}
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Line < out[b].Line })
	return slices.CompactFunc(out, func(a, b Warning) bool { return a == b })
}

func isResponsesOnly(modelID string) bool {
	id := strings.ToLower(modelID)
	if i := strings.LastIndexByte(id, '/'); i >= 0 {
		id = id[i+1:]
	}
	for _, n := range responsesOnly {
		if id == n || strings.HasPrefix(id, n+"-") {
			return true
		}
	}
	return false
}
