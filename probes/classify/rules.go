package classify

import (
	"net/http"
	"slices"
	"strings"

	"github.com/accesswatch/accesswatch/internal/model"
)

// Rule maps an HTTP answer to a class. Every condition left at its zero value matches anything;
// all conditions that are set must hold. Tables are evaluated first-match.
type Rule struct {
	Name string // "<table>.<what>", reported in Classification.Rule

	Status      int      // exact HTTP status (for a 2xx answer carrying an error: its numeric error code)
	StatusClass int      // first digit of the status: 2, 4, 5
	Checks      []string // check kinds the rule applies to (model.CheckModel, …)
	Format      Format   // body format
	ErrorBody   bool     // the body is an error object (set: must be one)

	Type            string   // error.type, flat type or x-amzn-ErrorType; case-insensitive
	Code            string   // error.code (or flat code) as text; case-insensitive
	GRPCStatus      string   // gemini error.status; case-insensitive
	Reason          string   // gemini error.details[].reason; case-insensitive
	Message         string   // the whole trimmed message, lower-case
	MessagePrefix   string   // lower-case prefix of the trimmed message
	MessageContains []string // lower-case substrings of the message, all required
	BodyContains    string   // lower-case substring of the raw body (survives truncated JSON)
	Header          string   // canonical header name, with HeaderContains
	HeaderContains  string   // lower-case substring of that header's first value

	Class  model.Class
	Access model.Access // overrides model.AccessOf(Class) when set
}

// input is what rules are matched against; built once per Classify call.
type input struct {
	status int
	check  string
	p      *parsed
	msg    string // lower-cased, trimmed message
	body   []byte
	header http.Header
}

func (r *Rule) matches(in *input) bool {
	return (r.Status == 0 || r.Status == in.status) &&
		(r.StatusClass == 0 || r.StatusClass == in.status/100) &&
		(r.Checks == nil || slices.Contains(r.Checks, in.check)) &&
		(r.Format == "" || r.Format == in.p.format) &&
		(!r.ErrorBody || in.p.errorKey) &&
		eqFold(r.Type, in.p.typ) && eqFold(r.Code, in.p.code) &&
		eqFold(r.GRPCStatus, in.p.status) && eqFold(r.Reason, in.p.reason) &&
		(r.Message == "" || r.Message == in.msg) &&
		strings.HasPrefix(in.msg, r.MessagePrefix) &&
		containsAll(in.msg, r.MessageContains) &&
		(r.BodyContains == "" || containsFold(in.body[:min(len(in.body), maxBodyScan)], r.BodyContains)) &&
		(r.Header == "" || headerContains(in.header, r.Header, r.HeaderContains))
}

// maxBodyScan bounds BodyContains searches.
const maxBodyScan = 64 << 10

func eqFold(want, got string) bool { return want == "" || strings.EqualFold(want, got) }

func containsAll(s string, subs []string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

func headerContains(h http.Header, name, sub string) bool {
	v := h[name]
	return len(v) > 0 && containsFold([]byte(v[0]), sub)
}

func firstMatch(in *input, tables ...[]Rule) *Rule {
	for _, t := range tables {
		for i := range t {
			if t[i].matches(in) {
				return &t[i]
			}
		}
	}
	return nil
}

// Checks that name a model.
var modelChecks = []string{model.CheckModel, model.CheckCountTokens, model.CheckGenerate}

// Checks against a vendor API (not the vantage's control endpoint or a status page).
var apiChecks = []string{model.CheckModels, model.CheckModel, model.CheckCountTokens, model.CheckGenerate}

// The rule tables below are read-only data. Sources for every entry are in
// /work/shared/reference/providers.md; each has a fixture under testdata/fixtures.

var anthropicRules = []Rule{
	{Name: "anthropic.geo_forbidden", Status: 403, Type: "forbidden", Class: model.ClassGeoBlocked},
	{Name: "anthropic.credit_balance", MessageContains: []string{"credit balance is too low"}, Class: model.ClassBilling},
	{Name: "anthropic.wrong_path", Status: 404, Type: "not_found_error", Message: "not found",
		Class: model.ClassUnexpectedResponse, Access: model.AccessMisconfigured},
	{Name: "anthropic.model_not_found", Status: 404, Type: "not_found_error", MessagePrefix: "model:", Class: model.ClassModelUnavailable},
	{Name: "anthropic.model_not_available", Status: 404, Type: "not_found_error", MessageContains: []string{"is not available"},
		Class: model.ClassModelUnavailable},
	{Name: "anthropic.authentication_error", Type: "authentication_error", Class: model.ClassAuthFailed},
	{Name: "anthropic.billing_error", Type: "billing_error", Class: model.ClassBilling},
	{Name: "anthropic.permission_error", Type: "permission_error", Class: model.ClassAccessDenied},
	{Name: "anthropic.rate_limit_error", Type: "rate_limit_error", Class: model.ClassRateLimited},
	{Name: "anthropic.overloaded_error", Type: "overloaded_error", Class: model.ClassOverloaded},
	{Name: "anthropic.api_error", Type: "api_error", Class: model.ClassServerError},
	{Name: "anthropic.timeout_error", Type: "timeout_error", Class: model.ClassTimeout},
	{Name: "anthropic.request_too_large", Type: "request_too_large", Class: model.ClassBadRequest},
}

var openaiRules = []Rule{
	{Name: "openai.invalid_api_key", Code: "invalid_api_key", Class: model.ClassAuthFailed},
	{Name: "openai.insufficient_quota", Code: "insufficient_quota", Class: model.ClassBilling},
	{Name: "openai.insufficient_quota_type", Type: "insufficient_quota", Class: model.ClassBilling},
	{Name: "openai.model_not_found", Code: "model_not_found", Class: model.ClassModelUnavailable},
	{Name: "openai.model_decommissioned", Code: "model_decommissioned", Class: model.ClassModelUnavailable},
	{Name: "openai.rate_limit_exceeded", Code: "rate_limit_exceeded", Class: model.ClassRateLimited},
	{Name: "openai.engine_overloaded", MessagePrefix: "the engine is currently overloaded", Class: model.ClassOverloaded},
	{Name: "openai.slow_down", Status: 503, MessagePrefix: "slow down", Class: model.ClassOverloaded},
}

// compatRules cover the OpenAI-compatible vendors (xAI, DeepSeek, OpenRouter, Groq, Azure); the
// openai table follows them for kind openai_compatible.
var compatRules = []Rule{
	{Name: "xai.no_handler", Status: 404, MessagePrefix: "no handler found on route",
		Class: model.ClassUnexpectedResponse, Access: model.AccessMisconfigured},
	{Name: "xai.model_not_exist", Status: 404, MessageContains: []string{"does not exist or your team"}, Class: model.ClassModelUnavailable},
	{Name: "deepseek.model_not_exist", Message: "model not exist", Class: model.ClassModelUnavailable},
	{Name: "deepseek.insufficient_balance", MessagePrefix: "insufficient balance", Class: model.ClassBilling},
	{Name: "openrouter.no_endpoints", MessagePrefix: "no endpoints found", Class: model.ClassModelUnavailable},
	{Name: "openrouter.invalid_model_id", MessageContains: []string{"is not a valid model id"}, Class: model.ClassModelUnavailable},
	{Name: "azure.deployment_not_found", Code: "DeploymentNotFound", Class: model.ClassModelUnavailable},
	{Name: "azure.model_deprecated", Code: "ServiceModelDeprecated", Class: model.ClassModelUnavailable},
	{Name: "azure.operation_unsupported", MessageContains: []string{"does not work with the specified model"},
		Class: model.ClassModelUnavailable},
}

var geminiRules = []Rule{
	{Name: "gemini.user_location", GRPCStatus: "FAILED_PRECONDITION", MessagePrefix: "user location is not supported",
		Class: model.ClassGeoBlocked},
	{Name: "gemini.free_tier_country", GRPCStatus: "FAILED_PRECONDITION", MessageContains: []string{"not available in your country"},
		Class: model.ClassGeoBlocked},
	{Name: "gemini.api_key_invalid", Reason: "API_KEY_INVALID", Class: model.ClassAuthFailed},
	{Name: "gemini.api_key_message", GRPCStatus: "INVALID_ARGUMENT", MessagePrefix: "api key ", Class: model.ClassAuthFailed},
	{Name: "gemini.unregistered_caller", GRPCStatus: "PERMISSION_DENIED", MessageContains: []string{"unregistered callers"},
		Class: model.ClassAuthFailed},
	{Name: "gemini.unauthenticated", GRPCStatus: "UNAUTHENTICATED", Class: model.ClassAuthFailed},
	{Name: "gemini.model_not_found", Status: 404, GRPCStatus: "NOT_FOUND", MessageContains: []string{"is not found for api version"},
		Class: model.ClassModelUnavailable},
	{Name: "gemini.permission_denied", GRPCStatus: "PERMISSION_DENIED", Class: model.ClassAccessDenied},
	{Name: "gemini.resource_exhausted", GRPCStatus: "RESOURCE_EXHAUSTED", Class: model.ClassRateLimited},
	{Name: "gemini.unavailable", GRPCStatus: "UNAVAILABLE", Class: model.ClassOverloaded},
	{Name: "gemini.internal", GRPCStatus: "INTERNAL", Class: model.ClassServerError},
	{Name: "gemini.deadline_exceeded", GRPCStatus: "DEADLINE_EXCEEDED", Class: model.ClassTimeout},
}

var mistralRules = []Rule{
	{Name: "mistral.invalid_model", Type: "invalid_model", Class: model.ClassModelUnavailable},
	{Name: "mistral.invalid_model_code", Code: "1500", Class: model.ClassModelUnavailable},
	{Name: "mistral.rate_limited", Type: "rate_limited", Class: model.ClassRateLimited},
	{Name: "mistral.rate_limited_code", Code: "1300", Class: model.ClassRateLimited},
}

// genericRules hold signals that mean the same whoever sends them: geo texts relayed by
// proxies, edge block pages, Bedrock's typed errors, model-gone wording.
var genericRules = []Rule{
	{Name: "generic.legal_reasons", Status: 451, Class: model.ClassGeoBlocked},
	{Name: "generic.geo_code", Code: "unsupported_country_region_territory", Class: model.ClassGeoBlocked},
	{Name: "generic.geo_code_body", BodyContains: "unsupported_country_region_territory", Class: model.ClassGeoBlocked},
	{Name: "generic.geo_country", MessagePrefix: "country, region, or territory not supported", Class: model.ClassGeoBlocked},
	{Name: "generic.geo_user_location", BodyContains: "user location is not supported", Class: model.ClassGeoBlocked},
	{Name: "generic.geo_bedrock", MessagePrefix: "access to anthropic models is not allowed from unsupported countries",
		Class: model.ClassGeoBlocked},
	{Name: "generic.geo_region", MessageContains: []string{"not available in your region"}, Class: model.ClassGeoBlocked},
	{Name: "generic.cloudflare_blocked", Format: FormatHTML, BodyContains: "sorry, you have been blocked", Class: model.ClassBlockedPage},
	{Name: "generic.cloudflare_attention", Format: FormatHTML, MessagePrefix: "attention required!", Class: model.ClassBlockedPage},
	{Name: "generic.cloudflare_challenge", Header: "Cf-Mitigated", HeaderContains: "challenge", Class: model.ClassBlockedPage},
	{Name: "generic.enable_cookies", StatusClass: 4, BodyContains: "please enable cookies", Class: model.ClassBlockedPage},
	{Name: "generic.html_403", Status: 403, Format: FormatHTML, Class: model.ClassBlockedPage},
	{Name: "generic.html_2xx", StatusClass: 2, Format: FormatHTML, Checks: apiChecks, Class: model.ClassUnexpectedResponse},
	{Name: "generic.html_404", Status: 404, Format: FormatHTML, Class: model.ClassUnexpectedResponse, Access: model.AccessMisconfigured},
	{Name: "generic.text_404", Status: 404, Format: FormatText, Class: model.ClassUnexpectedResponse, Access: model.AccessMisconfigured},
	{Name: "generic.empty_404", Status: 404, Format: FormatEmpty, Class: model.ClassUnexpectedResponse, Access: model.AccessMisconfigured},
	{Name: "generic.incorrect_api_key", MessagePrefix: "incorrect api key provided", Class: model.ClassAuthFailed},
	{Name: "generic.bedrock_access_denied", Type: "AccessDeniedException", Class: model.ClassAccessDenied},
	{Name: "generic.bedrock_resource_not_found", Type: "ResourceNotFoundException", Class: model.ClassModelUnavailable},
	{Name: "generic.bedrock_throttling", Type: "ThrottlingException", Class: model.ClassRateLimited},
	{Name: "generic.end_of_life", MessageContains: []string{"end of its life"}, Class: model.ClassModelUnavailable},
	{Name: "generic.model_not_found", Status: 404, MessageContains: []string{"model", "not found"}, Class: model.ClassModelUnavailable},
	{Name: "generic.model_does_not_exist", StatusClass: 4, MessageContains: []string{"model", "does not exist"},
		Class: model.ClassModelUnavailable},
}

// fallbackRules read the status alone; the last entry matches anything.
var fallbackRules = []Rule{
	{Name: "status.2xx_error_body", StatusClass: 2, ErrorBody: true, Class: model.ClassUnexpectedResponse},
	{Name: "status.2xx", StatusClass: 2, Class: model.ClassOK},
	{Name: "status.401", Status: 401, Class: model.ClassAuthFailed},
	{Name: "status.402", Status: 402, Class: model.ClassBilling},
	{Name: "status.403", Status: 403, Class: model.ClassAccessDenied},
	{Name: "status.404_model", Status: 404, Checks: modelChecks, Class: model.ClassModelUnavailable},
	{Name: "status.404", Status: 404, Class: model.ClassUnexpectedResponse, Access: model.AccessMisconfigured},
	{Name: "status.408", Status: 408, Class: model.ClassTimeout},
	{Name: "status.504", Status: 504, Class: model.ClassTimeout},
	{Name: "status.429", Status: 429, Class: model.ClassRateLimited},
	{Name: "status.500", Status: 500, Class: model.ClassServerError},
	{Name: "status.502", Status: 502, Class: model.ClassServerError},
	{Name: "status.503", Status: 503, Class: model.ClassOverloaded},
	{Name: "status.529", Status: 529, Class: model.ClassOverloaded},
	{Name: "status.4xx", StatusClass: 4, Class: model.ClassBadRequest},
	{Name: "status.other", Class: model.ClassUnexpectedResponse},
}

// providerRules is the table for each provider kind; unknown kinds get none (generic only).
var providerRules = map[string][]Rule{
	"anthropic":         anthropicRules,
	"openai":            openaiRules,
	"gemini":            geminiRules,
	"mistral":           mistralRules,
	"openai_compatible": slices.Concat(compatRules, openaiRules),
}

// upstreamKinds maps an OpenRouter metadata.provider_name prefix to the kind whose table
// reads the upstream body it relays.
var upstreamKinds = []struct{ prefix, kind string }{
	{"openai", "openai"}, {"azure", "openai_compatible"}, {"anthropic", "anthropic"},
	{"google", "gemini"}, {"mistral", "mistral"},
}

func upstreamKind(provider string) string {
	p := strings.ToLower(provider)
	for _, u := range upstreamKinds {
		if strings.HasPrefix(p, u.prefix) {
			return u.kind
		}
	}
	return "openai_compatible"
}

// Rules returns a copy of the rule tables consulted for kind, in evaluation order (provider,
// generic, fallback). For explaining classifications and for tests.
func Rules(kind string) []Rule {
	return slices.Concat(providerRules[kindLabel(kind)], genericRules, fallbackRules)
}
