package config

import (
	"slices"
	"strings"

	"github.com/accesswatch/accesswatch/internal/model"
	"github.com/accesswatch/accesswatch/internal/vendors"
)

func (v *validator) providers() {
	if len(v.c.Providers) == 0 && len(v.c.Collector.Agents) == 0 {
		v.add("providers", "at least one provider is required")
	}
	vantageIDs := map[string]bool{}
	for _, vt := range v.c.Vantages {
		vantageIDs[vt.ID] = true
	}
	seen := map[string]string{}
	for i, pr := range v.c.Providers {
		p := indexPath("providers", i)
		v.id(p, pr.ID, seen)
		switch {
		case pr.Kind == "":
			v.add(p+".kind", "required")
		case !slices.Contains(providerKinds, pr.Kind):
			v.add(p+".kind", "unknown kind %q (want one of %s)", pr.Kind, strings.Join(providerKinds, ", "))
		}
		switch {
		case pr.BaseURL == "" && pr.Kind == "openai_compatible":
			v.add(p+".base_url", "required for kind %q", pr.Kind)
		case pr.BaseURL == "" && slices.Contains(providerKinds, pr.Kind):
			v.add(p+".base_url", "required")
		case pr.BaseURL != "": // when empty with an unknown kind, the kind is the problem
			v.optionalURL(p+".base_url", pr.BaseURL)
		}
		v.tokenParam(p, pr)
		v.modelList(p+".models", pr.Models, nil)
		for j, id := range pr.Vantages {
			if !vantageIDs[id] {
				v.add(indexPath(p+".vantages", j), "unknown vantage %q", id)
			}
		}
		if !v.inherited(p+".timeout", pr.Timeout == v.c.Probing.Timeout) {
			v.timeout(p+".timeout", pr.Timeout)
		}
		if len(pr.Checks) == 0 {
			v.add(p+".checks", "at least one check is required (leave checks out for the default models check)")
		}
		for j := range pr.Checks {
			v.check(indexPath(p+".checks", j), pr, pr.Checks[j])
		}
	}
}

// modelList checks a models list: not empty, no empty or duplicate names and, when of is
// not nil, every name one of of (the provider's models).
func (v *validator) modelList(path string, models, of []string) {
	if len(models) == 0 {
		v.add(path, "at least one model is required")
	}
	seen := map[string]int{}
	for i, m := range models {
		p := indexPath(path, i)
		first, dup := seen[m]
		switch {
		case m == "":
			v.add(p, "must not be empty")
		case dup:
			v.add(p, "duplicate model %q (first at %s)", m, indexPath(path, first))
		case of != nil && !slices.Contains(of, m):
			v.add(p, "%q is not one of the provider's models", m)
		default:
			seen[m] = i
		}
	}
}

func (v *validator) check(p string, pr Provider, ck Check) {
	switch {
	case ck.Kind == "":
		v.add(p+".kind", "required")
	case !slices.Contains(checkKinds, ck.Kind):
		v.add(p+".kind", "unknown check kind %q (want one of %s)", ck.Kind, strings.Join(checkKinds, ", "))
	case ck.Kind == model.CheckCountTokens && !slices.Contains(tokenCountKinds, pr.Kind):
		v.add(p+".kind", "count_tokens is free only with provider kinds %s, not %q", strings.Join(tokenCountKinds, " and "), pr.Kind)
	}
	if ck.Schedule == "" {
		v.add(p+".schedule", "required")
	} else if s, err := ParseSchedule(ck.Schedule); err != nil {
		v.add(p+".schedule", "invalid schedule %q: %v", ck.Schedule, err)
	} else if s.Next(planStart).IsZero() {
		v.add(p+".schedule", "schedule %q never fires", ck.Schedule)
	}
	if ck.Kind == model.CheckStatusPage {
		if len(ck.Models) > 0 {
			v.add(p+".models", "not used by check kind %q", ck.Kind)
		}
		if ck.URL == "" {
			v.add(p+".url", "required: no status page is known for provider kind %q (give its /api/v2/summary.json)", pr.Kind)
		} else {
			v.optionalURL(p+".url", ck.URL)
		}
	} else if ck.URL != "" {
		v.add(p+".url", "only status_page checks take a url")
	}
	if ck.Kind != model.CheckStatusPage && !v.inherited(p+".models", slices.Equal(ck.Models, pr.Models)) {
		v.modelList(p+".models", ck.Models, pr.Models)
	}
	if !v.inherited(p+".timeout", ck.Timeout == pr.Timeout) {
		v.timeout(p+".timeout", ck.Timeout)
	}
}

// tokenParams are the values of a provider's token_param.
var tokenParams = []string{vendors.TokenParamMaxTokens, vendors.TokenParamMaxCompletionTokens}

// tokenParam checks token_param: only chat-completion kinds take one, and only the two fields.
func (v *validator) tokenParam(p string, pr Provider) {
	chat := pr.Kind == vendors.KindOpenAI || pr.Kind == vendors.KindOpenAICompatible
	switch {
	case pr.TokenParam == "":
	case !chat && slices.Contains(providerKinds, pr.Kind): // an unknown kind is reported already
		v.add(p+".token_param", "only openai and openai_compatible providers take token_param, not %q", pr.Kind)
	case chat && !slices.Contains(tokenParams, pr.TokenParam):
		v.add(p+".token_param", "want %s, got %q", strings.Join(tokenParams, " or "), pr.TokenParam)
	}
}
