package runner

import (
	"context"
	"testing"

	"github.com/accesswatch/accesswatch/internal/model"
	"github.com/accesswatch/accesswatch/internal/simvendor"
)

const reasoningConfig = `
probing: { echo_url: "http://127.0.0.1:1/", timeout: 5s }
vantages:
  - { id: in-1, region: india, country: IN, source_ip: 127.0.1.1 }
providers:
  - id: openai
    kind: openai
    base_url: VENDOR/openai/v1
    api_key: ${KEY}
    models: [gpt-5-mini, o1-mini, gpt-4o]
    checks: [ { kind: generate, schedule: "@every 60s" } ]
  - id: gateway
    kind: openai_compatible
    base_url: VENDOR/openai/v1
    api_key: ${KEY}
    token_param: max_tokens
    models: [gpt-5-mini]
    checks: [ { kind: generate, schedule: "@every 60s" } ]
`

// The cheapest generate against a vendor that answers reasoning models as OpenAI does: the
// budget and effort we send give a length-limited answer; a model that thinks past it answers
// 400 "Could not finish the message…", which is the model running (ok); max_tokens sent to a
// reasoning model is our request's fault, never a revocation.
func TestGenerateReasoningModels(t *testing.T) {
	r, _ := catalogueFixture(t, simvendor.Options{Models: []string{"gpt-5-mini", "o1-mini", "gpt-4o"}}, reasoningConfig)
	var ts []Target
	for _, tg := range r.Targets("", "") {
		if tg.Check.Kind == model.CheckGenerate {
			ts = append(ts, tg)
		}
	}
	got := map[string]model.Result{}
	for _, res := range r.Round(context.Background(), ts) {
		got[res.Provider+"/"+res.Model] = res
	}
	for _, tc := range []struct {
		key    string
		status int
		class  model.Class
		access model.Access
		rule   string
	}{
		{"openai/gpt-5-mini", 200, model.ClassOK, model.AccessAvailable, "status.2xx"},
		{"openai/o1-mini", 400, model.ClassOK, model.AccessAvailable, "openai.length_limited"},
		{"openai/gpt-4o", 200, model.ClassOK, model.AccessAvailable, "status.2xx"},
		{"gateway/gpt-5-mini", 400, model.ClassBadRequest, model.AccessMisconfigured, "status.4xx"},
	} {
		res, ok := got[tc.key]
		if !ok {
			t.Errorf("%s: no result", tc.key)
			continue
		}
		if res.HTTPStatus != tc.status || res.Class != tc.class || res.Access != tc.access || res.Rule != tc.rule {
			t.Errorf("%s: %d %s/%s by %s (%s), want %d %s/%s by %s", tc.key, res.HTTPStatus, res.Class, res.Access, res.Rule,
				res.Signature, tc.status, tc.class, tc.access, tc.rule)
		}
	}
}
