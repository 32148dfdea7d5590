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
	StatusIn    []int    // one of these statuses
	StatusClass int      // first digit of the status: 2, 4, 5
	Checks      []string // check kinds the rule applies to (model.CheckModel, …)
	Format      Format   // body format
	Page        bool     // the body is a page (HTML or text), not JSON and not empty
	Unshaped    bool     // a 2xx body without the success shape of its check (see shaped)
	Edge        bool     // served by the vendor's CDN: a Cloudflare cf-ray header, or Cloudflare's own page
	Quota0      bool     // a quota of zero: Google's QuotaFailure quotaValue "0" or "limit: 0" in the message

	Type            string   // error.type, flat type or x-amzn-ErrorType; case-insensitive
	Code            string   // error.code (or flat code) as text; case-insensitive
	GRPCStatus      string   // gemini error.status; case-insensitive
	Reason          string   // gemini error.details[].reason; case-insensitive
	ReasonPrefix    string   // upper-case prefix of that reason
	Finish          string   // finish reason of the first choice or candidate; case-insensitive
	Message         string   // the whole trimmed message, lower-case
	MessagePrefix   string   // lower-case prefix of the trimmed message
	MessageContains []string // lower-case substrings of the message, all required
	MessageAny      []string // lower-case substrings of the message, one required
	BodyContains    string   // lower-case substring of the raw body (survives truncated JSON)
	BodyAny         []string // lower-case substrings of the raw body, one required
	Header          string   // canonical header name, with HeaderContains ("" matches any present value)
	HeaderContains  string   // lower-case substring of that header's first value

	Class  model.Class
	Access model.Access // overrides model.AccessOf(Class) when set
}

// input is what rules are matched against; built once per Classify call.
type input struct {
	status   int
	check    string
	p        *parsed
	msg      string // lower-cased, trimmed message
	body     []byte
	header   http.Header
	shaped   bool // a 2xx body has the success shape of its check
	edge     int8 // attributable to Cloudflare: 0 not yet known, 1 yes, -1 no
	quotaOff bool // a quota of zero

	lbody   string // the scanned head of body, ASCII lower-cased; made on first use
	lowered bool
}

// lowerBody is the first maxBodyScan bytes of the body, ASCII lower-cased once per Classify, so
// the body-text rules (a few dozen needles over a 64 KiB page) are plain substring searches.
func (in *input) lowerBody() string {
	if !in.lowered {
		in.lbody, in.lowered = asciiLowerBytes(in.body[:min(len(in.body), maxBodyScan)]), true
	}
	return in.lbody
}

func asciiLowerBytes(b []byte) string {
	out := make([]byte, len(b))
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return string(out)
}

func (r *Rule) matches(in *input) bool {
	return (r.Status == 0 || r.Status == in.status) &&
		(r.StatusIn == nil || slices.Contains(r.StatusIn, in.status)) &&
		(r.StatusClass == 0 || r.StatusClass == in.status/100) &&
		(r.Checks == nil || slices.Contains(r.Checks, in.check)) &&
		(r.Format == "" || r.Format == in.p.format) &&
		(!r.Page || in.p.format == FormatHTML || in.p.format == FormatText) &&
		(!r.Unshaped || !in.shaped) &&
		(!r.Quota0 || in.quotaOff) &&
		eqFold(r.Type, in.p.typ) && eqFold(r.Code, in.p.code) &&
		eqFold(r.GRPCStatus, in.p.status) && eqFold(r.Reason, in.p.reason) &&
		strings.HasPrefix(strings.ToUpper(in.p.reason), r.ReasonPrefix) &&
		eqFold(r.Finish, in.p.finish) &&
		(r.Message == "" || r.Message == in.msg) &&
		strings.HasPrefix(in.msg, r.MessagePrefix) &&
		containsAll(in.msg, r.MessageContains) &&
		(r.MessageAny == nil || containsAny(in.msg, r.MessageAny)) &&
		(r.BodyContains == "" || strings.Contains(in.lowerBody(), r.BodyContains)) &&
		(r.BodyAny == nil || containsAny(in.lowerBody(), r.BodyAny)) &&
		(r.Header == "" || headerContains(in.header, r.Header, r.HeaderContains)) &&
		(!r.Edge || in.fromEdge())
}

// fromEdge reports, once per Classify, whether the answer comes from Cloudflare, the CDN in
// front of most vendors' APIs: a well-formed cf-ray header with a cloudflare server, or
// Cloudflare's own error page.
func (in *input) fromEdge() bool {
	if in.edge == 0 {
		in.edge = -1
		if fromEdge(in.header, in.lowerBody()) {
			in.edge = 1
		}
	}
	return in.edge > 0
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
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

// The rule tables below are read-only data. They follow the positive-evidence rule of the
// package doc: a rule may say revoked only where the answer is the vendor's own and names a
// policy (a country, a model gone); our key, billing, project settings and network come first and
// are misconfigured; what cannot be attributed is unknown. Every rule has a fixture under
// testdata/fixtures or a real answer under testdata/corpus.

var anthropicRules = []Rule{
	{Name: "anthropic.geo_forbidden", Status: 403, Type: "forbidden", Class: model.ClassGeoBlocked},
	{Name: "anthropic.credit_balance", MessageContains: []string{"credit balance is too low"}, Class: model.ClassBilling},
	{Name: "anthropic.usage_limits", MessageContains: []string{"reached your specified", "usage limits"}, Class: model.ClassBilling},
	{Name: "anthropic.org_disabled", MessageAny: orgDisabled, Class: model.ClassAccessDenied, Access: model.AccessMisconfigured},
	{Name: "anthropic.wrong_path", Status: 404, Type: "not_found_error", Message: "not found",
		Class: model.ClassUnexpectedResponse, Access: model.AccessMisconfigured},
	{Name: "anthropic.model_not_found", Status: 404, Type: "not_found_error", MessagePrefix: "model:", Class: model.ClassModelUnavailable},
	{Name: "anthropic.model_not_available", Status: 404, Type: "not_found_error", MessageContains: []string{"is not available"},
		Class: model.ClassModelUnavailable},
	{Name: "anthropic.authentication_error", Type: "authentication_error", Class: model.ClassAuthFailed},
	{Name: "anthropic.billing_error", Type: "billing_error", Class: model.ClassBilling},
	// Our key's or token's scope, or the workspace's settings: the owner's to fix.
	{Name: "anthropic.permission_key", Type: "permission_error",
		MessageAny: []string{"api key", "oauth", "scope", "workspace", "token"}, Class: model.ClassAccessDenied,
		Access: model.AccessMisconfigured},
	// A bare "Permission denied" says neither who decided nor why: unknown.
	{Name: "anthropic.permission_error", Type: "permission_error", Class: model.ClassAccessDenied},
	{Name: "anthropic.rate_limit_error", Type: "rate_limit_error", Class: model.ClassRateLimited},
	{Name: "anthropic.overloaded_error", Type: "overloaded_error", Class: model.ClassOverloaded},
	{Name: "anthropic.api_error", Type: "api_error", Class: model.ClassServerError},
	{Name: "anthropic.timeout_error", Type: "timeout_error", Class: model.ClassTimeout},
	{Name: "anthropic.request_too_large", Type: "request_too_large", Class: model.ClassBadRequest},
}

// orgDisabled are the words of an account or organisation the vendor disabled: our account,
// whatever the reason, and never a regional decision.
var orgDisabled = []string{
	"organization has been disabled", "organization is disabled", "organization has been deactivated",
	"organization is deactivated", "account has been disabled", "account is disabled", "account has been deactivated",
	"deactivated account", "account is not active", "account has been suspended", "organization has been suspended",
	"organization has been restricted", "organization is restricted", "account is restricted",
}

var openaiRules = []Rule{
	// The model ran and stopped at our one-token budget: it is available (reasoning models).
	{Name: "openai.length_limited", StatusClass: 4, MessageContains: []string{"could not finish the message because max_tokens"},
		Class: model.ClassOK},
	{Name: "openai.invalid_api_key", Code: "invalid_api_key", Class: model.ClassAuthFailed},
	{Name: "openai.billing_not_active", Code: "billing_not_active", Class: model.ClassBilling},
	{Name: "openai.billing_not_active_message", MessageContains: []string{"check your billing details"}, Class: model.ClassBilling},
	{Name: "openai.insufficient_quota", Code: "insufficient_quota", Class: model.ClassBilling},
	{Name: "openai.insufficient_quota_type", Type: "insufficient_quota", Class: model.ClassBilling},
	{Name: "openai.billing_limit", MessageAny: []string{"billing hard limit", "billing limit", "spending limit"},
		Class: model.ClassBilling},
	{Name: "openai.account_deactivated", Code: "account_deactivated", Class: model.ClassAuthFailed},
	{Name: "openai.org_disabled", MessageAny: orgDisabled, Class: model.ClassAccessDenied, Access: model.AccessMisconfigured},
	// Project model allow-lists and organisation verification are settings of our account.
	{Name: "openai.project_no_access", MessagePrefix: "project ", MessageContains: []string{"does not have access to"},
		Class: model.ClassAccessDenied, Access: model.AccessMisconfigured},
	{Name: "openai.org_verification", MessageAny: []string{"organization must be verified", "must be a verified organization",
		"verify your organization", "organization verification"}, Class: model.ClassAccessDenied, Access: model.AccessMisconfigured},
	{Name: "openai.model_not_found", Code: "model_not_found", Class: model.ClassModelUnavailable},
	{Name: "openai.model_decommissioned", Code: "model_decommissioned", Class: model.ClassModelUnavailable},
	{Name: "openai.rate_limit_exceeded", Code: "rate_limit_exceeded", Class: model.ClassRateLimited},
	{Name: "openai.engine_overloaded", MessagePrefix: "the engine is currently overloaded", Class: model.ClassOverloaded},
	{Name: "openai.slow_down", Status: 503, MessagePrefix: "slow down", Class: model.ClassOverloaded},
}

// compatRules cover the OpenAI-compatible vendors (xAI, DeepSeek, OpenRouter, Groq, Azure, the
// relays); the openai table follows them for kind openai_compatible.
var compatRules = []Rule{
	{Name: "xai.no_handler", Status: 404, MessagePrefix: "no handler found on route",
		Class: model.ClassUnexpectedResponse, Access: model.AccessMisconfigured},
	{Name: "xai.model_not_exist", Status: 404, MessageContains: []string{"does not exist or your team"}, Class: model.ClassModelUnavailable},
	{Name: "deepseek.model_not_exist", Message: "model not exist", Class: model.ClassModelUnavailable},
	{Name: "deepseek.insufficient_balance", MessagePrefix: "insufficient balance", Class: model.ClassBilling},
	{Name: "qwen.arrearage", Code: "Arrearage", Class: model.ClassBilling},
	// A dedicated endpoint is ours to start; a model served only on dedicated endpoints is the
	// vendor's decision not to serve it to us.
	{Name: "together.dedicated_not_running", Code: "dedicated_endpoint_not_running", Class: model.ClassModelUnavailable,
		Access: model.AccessMisconfigured},
	{Name: "together.model_not_available", Code: "model_not_available", Class: model.ClassModelUnavailable},
	// LiteLLM's own model list is the proxy's configuration, ours.
	{Name: "litellm.invalid_model_name", MessageContains: []string{"invalid model name passed in model="}, Class: model.ClassBadRequest},
	// one-api/new-api: no channel of the relay serves the model now; channels are disabled on
	// upstream errors as well as by configuration, so who decided is not said.
	{Name: "oneapi.no_channel", MessageAny: []string{"无可用渠道", "no available channel"}, Class: model.ClassModelUnavailable,
		Access: model.AccessUnknown},
	{Name: "openrouter.no_endpoints", MessagePrefix: "no endpoints found", Class: model.ClassModelUnavailable},
	{Name: "openrouter.invalid_model_id", MessageContains: []string{"is not a valid model id"}, Class: model.ClassModelUnavailable},
	// An Azure resource's network rules are the owner's settings.
	{Name: "azure.network_rules", StatusClass: 4, MessageAny: []string{"virtual network", "firewall rules"},
		Class: model.ClassAccessDenied, Access: model.AccessMisconfigured},
	{Name: "azure.deployment_not_found", Code: "DeploymentNotFound", Class: model.ClassModelUnavailable},
	{Name: "azure.model_deprecated", Code: "ServiceModelDeprecated", Class: model.ClassModelUnavailable},
	{Name: "azure.operation_unsupported", MessageContains: []string{"does not work with the specified model"},
		Class: model.ClassModelUnavailable},
}

var geminiRules = []Rule{
	// The free tier is not offered in the caller's country; with billing linked the API answers.
	// Enabling billing is ours to do, so this is not a revocation.
	{Name: "gemini.free_tier_country", GRPCStatus: "FAILED_PRECONDITION", MessageContains: []string{"free tier is not available"},
		Class: model.ClassBilling},
	{Name: "gemini.location_needs_billing", GRPCStatus: "FAILED_PRECONDITION", MessageContains: []string{"without a billing account"},
		Class: model.ClassBilling},
	{Name: "gemini.user_location", GRPCStatus: "FAILED_PRECONDITION", MessagePrefix: "user location is not supported",
		Class: model.ClassGeoBlocked},
	{Name: "gemini.key_leaked", MessageContains: []string{"reported as leaked"}, Class: model.ClassAuthFailed},
	{Name: "gemini.api_key_invalid", Reason: "API_KEY_INVALID", Class: model.ClassAuthFailed},
	{Name: "gemini.api_key_message", GRPCStatus: "INVALID_ARGUMENT", MessagePrefix: "api key ", Class: model.ClassAuthFailed},
	// Our key's restrictions (service, referrer, IP, app) and our project's state.
	{Name: "gemini.key_restricted", ReasonPrefix: "API_KEY_", Class: model.ClassAccessDenied, Access: model.AccessMisconfigured},
	{Name: "gemini.service_disabled", Reason: "SERVICE_DISABLED", Class: model.ClassAccessDenied, Access: model.AccessMisconfigured},
	{Name: "gemini.billing_disabled", Reason: "BILLING_DISABLED", Class: model.ClassBilling},
	// The consumer is our key or project.
	{Name: "gemini.consumer_suspended", Reason: "CONSUMER_SUSPENDED", Class: model.ClassAuthFailed},
	{Name: "gemini.suspended", MessageAny: []string{"has been suspended", "consumer_suspended"}, Class: model.ClassAuthFailed},
	{Name: "gemini.project_denied", GRPCStatus: "PERMISSION_DENIED", MessageContains: []string{"permission denied on resource project"},
		Class: model.ClassAccessDenied, Access: model.AccessMisconfigured},
	{Name: "gemini.unregistered_caller", GRPCStatus: "PERMISSION_DENIED", MessageContains: []string{"unregistered callers"},
		Class: model.ClassAuthFailed},
	{Name: "gemini.unauthenticated", GRPCStatus: "UNAUTHENTICATED", Class: model.ClassAuthFailed},
	{Name: "gemini.model_not_found", Status: 404, GRPCStatus: "NOT_FOUND", MessageContains: []string{"is not found for api version"},
		Class: model.ClassModelUnavailable},
	{Name: "gemini.permission_denied", GRPCStatus: "PERMISSION_DENIED", Class: model.ClassAccessDenied},
	// A quota of zero is a plan without this model (the free tier), not a busy vendor.
	{Name: "gemini.quota_zero", GRPCStatus: "RESOURCE_EXHAUSTED", Quota0: true, Class: model.ClassBilling},
	{Name: "gemini.no_free_tier", GRPCStatus: "RESOURCE_EXHAUSTED", MessageAny: []string{"free quota tier", "free tier"},
		Class: model.ClassBilling},
	{Name: "gemini.resource_exhausted", GRPCStatus: "RESOURCE_EXHAUSTED", Class: model.ClassRateLimited},
	{Name: "gemini.unavailable", GRPCStatus: "UNAVAILABLE", Class: model.ClassOverloaded},
	{Name: "gemini.internal", GRPCStatus: "INTERNAL", Class: model.ClassServerError},
	{Name: "gemini.deadline_exceeded", GRPCStatus: "DEADLINE_EXCEEDED", Class: model.ClassTimeout},
}

var mistralRules = []Rule{
	{Name: "mistral.no_model_named", Type: "invalid_model", Message: "invalid model:", Class: model.ClassBadRequest},
	{Name: "mistral.invalid_model", Type: "invalid_model", Class: model.ClassModelUnavailable},
	{Name: "mistral.capacity", MessageContains: []string{"capacity exceeded"}, Class: model.ClassOverloaded},
	{Name: "mistral.invalid_model_code", Code: "1500", Class: model.ClassModelUnavailable},
	{Name: "mistral.rate_limited", Type: "rate_limited", Class: model.ClassRateLimited},
	{Name: "mistral.rate_limited_code", Code: "1300", Class: model.ClassRateLimited},
}

// proxyRules recognise a proxy, firewall or filter on the vantage's own network by its page or
// headers. What such a box answers is never the vendor's: the vantage is at fault, ours to fix.
var proxyRules = []Rule{
	{Name: "proxy.auth_required", Status: 407, Class: model.ClassBlockedPage, Access: model.AccessMisconfigured},
	{Name: "proxy.squid_header", Header: "X-Squid-Error", Class: model.ClassBlockedPage, Access: model.AccessMisconfigured},
	{Name: "proxy.squid_server", Page: true, Header: "Server", HeaderContains: "squid", Class: model.ClassBlockedPage,
		Access: model.AccessMisconfigured},
	{Name: "proxy.via", Page: true, Header: "Via", HeaderContains: "squid", Class: model.ClassBlockedPage, Access: model.AccessMisconfigured},
	{Name: "proxy.page", Page: true, BodyAny: proxyMarks, Class: model.ClassBlockedPage, Access: model.AccessMisconfigured},
}

// proxyMarks name the products whose block pages we have seen on users' networks.
var proxyMarks = []string{
	"zscaler", "netskope", "fortiguard", "fortigate", "fortinet", "palo alto networks", "pan-os", "blue coat",
	"bluecoat", "symantec web security", "sophos", "websense", "forcepoint", "cisco umbrella", "opendns",
	"mcafee web gateway", "skyhigh security", "check point software", "barracuda", "squid/", "the requested url could not be retrieved",
	"web page blocked", "url filtering", "contentkeeper", "lightspeed systems", "iboss", "smoothwall", "cyberoam", "watchguard", "sonicwall",
}

// edgeRules read the pages of the vendor's CDN (Cloudflare). Only its explicit country ban is a
// policy decision we can attribute; rate limits and origin errors are faults; firewall rules,
// IP bans, browser-signature bans and challenges say nothing of a region and stay unknown.
var edgeRules = []Rule{
	{Name: "cloudflare.country_banned", Edge: true, BodyAny: []string{"has banned the country or region", "error code: 1009"},
		Class: model.ClassGeoBlocked},
	{Name: "cloudflare.rate_limited", Edge: true, BodyAny: []string{"error code: 1015", "you are being rate limited"},
		Class: model.ClassRateLimited},
	// 52x statuses are Cloudflare's own: the origin behind it failed.
	{Name: "cloudflare.origin_timeout", StatusIn: []int{522, 524}, Class: model.ClassTimeout},
	{Name: "cloudflare.origin_error", StatusIn: []int{520, 521, 523, 525, 526, 527, 530}, Class: model.ClassServerError},
	{Name: "cloudflare.challenge", Header: "Cf-Mitigated", HeaderContains: "challenge", Class: model.ClassBlockedPage},
	{Name: "cloudflare.challenge_page", Page: true, BodyAny: []string{"attention required! | cloudflare", "challenge-platform",
		"checking your browser before accessing"}, Class: model.ClassBlockedPage},
	{Name: "cloudflare.firewall", Edge: true, Page: true, StatusClass: 4, Class: model.ClassBlockedPage},
}

// genericRules hold signals that mean the same whoever sends them: geo texts relayed by
// proxies, edge block pages, Bedrock's typed errors, model-gone wording, empty or garbled 2xx.
var genericRules = []Rule{
	// Legal reasons are a vendor's decision only when the vendor says so in its own words.
	{Name: "generic.legal_reasons", Status: 451, Format: FormatJSON, Class: model.ClassGeoBlocked},
	{Name: "generic.geo_code", Code: "unsupported_country_region_territory", Class: model.ClassGeoBlocked},
	{Name: "generic.geo_code_body", BodyContains: "unsupported_country_region_territory", Class: model.ClassGeoBlocked},
	{Name: "generic.geo_country", MessagePrefix: "country, region, or territory not supported", Class: model.ClassGeoBlocked},
	{Name: "generic.geo_user_location", BodyContains: "user location is not supported", Class: model.ClassGeoBlocked},
	{Name: "generic.geo_bedrock", MessagePrefix: "access to anthropic models is not allowed from unsupported countries",
		Class: model.ClassGeoBlocked},
	{Name: "generic.geo_region", MessageContains: []string{"not available in your region"}, Class: model.ClassGeoBlocked},
	{Name: "generic.billing", MessageAny: billingWords, Class: model.ClassBilling},
	{Name: "generic.billing_text", Format: FormatText, BodyAny: billingWords, Class: model.ClassBilling},
	{Name: "generic.enable_cookies", StatusClass: 4, BodyContains: "please enable cookies", Class: model.ClassBlockedPage},
	{Name: "generic.html_403", Status: 403, Format: FormatHTML, Class: model.ClassBlockedPage},
	{Name: "generic.html_451", Status: 451, Page: true, Class: model.ClassBlockedPage},
	{Name: "generic.html_2xx", StatusClass: 2, Format: FormatHTML, Checks: apiChecks, Class: model.ClassUnexpectedResponse},
	// A 404 that names a path, not a model: a wrong base URL or a relay without the endpoint.
	{Name: "generic.wrong_path", Status: 404, MessageAny: []string{"invalid url", "resource not found", "no route for",
		"unknown url", "path not found"}, Class: model.ClassUnexpectedResponse, Access: model.AccessMisconfigured},
	{Name: "generic.html_404", Status: 404, Format: FormatHTML, Class: model.ClassUnexpectedResponse, Access: model.AccessMisconfigured},
	{Name: "generic.text_404", Status: 404, Format: FormatText, Class: model.ClassUnexpectedResponse, Access: model.AccessMisconfigured},
	{Name: "generic.empty_404", Status: 404, Format: FormatEmpty, Class: model.ClassUnexpectedResponse, Access: model.AccessMisconfigured},
	{Name: "generic.incorrect_api_key", MessagePrefix: "incorrect api key provided", Class: model.ClassAuthFailed},
	{Name: "generic.bedrock_access_denied", Type: "AccessDeniedException", Class: model.ClassAccessDenied},
	{Name: "generic.bedrock_resource_not_found", Type: "ResourceNotFoundException", Class: model.ClassModelUnavailable},
	{Name: "generic.bedrock_throttling", Type: "ThrottlingException", Class: model.ClassRateLimited},
	{Name: "generic.invalid_model", Type: "invalid_model", Class: model.ClassModelUnavailable},
	{Name: "generic.end_of_life", MessageContains: []string{"end of its life"}, Class: model.ClassModelUnavailable},
	{Name: "generic.model_not_found", Status: 404, MessageContains: []string{"model", "not found"}, Class: model.ClassModelUnavailable},
	{Name: "generic.model_does_not_exist", StatusClass: 4, MessageContains: []string{"model", "does not exist"},
		Class: model.ClassModelUnavailable},
	// A 2xx is ok only with the success shape of its check: an empty, garbled or error-carrying
	// 2xx is an outage or a middlebox showing as available otherwise.
	{Name: "generic.finish_error", StatusClass: 2, Finish: "error", Class: model.ClassServerError},
	{Name: "generic.empty_2xx", StatusClass: 2, Format: FormatEmpty, Checks: apiChecks, Class: model.ClassUnexpectedResponse},
	{Name: "generic.unshaped_2xx", StatusClass: 2, Unshaped: true, Checks: apiChecks, Class: model.ClassUnexpectedResponse},
}

// billingWords are what vendors and relays say when our balance, credit or plan is the cause.
var billingWords = []string{
	"insufficient balance", "balance is insufficient", "insufficient account balance", "balance is too low",
	"insufficient credits", "credits exhausted", "check your plan and billing", "reached your specified api usage limits",
	"doesn't have any credits", "purchase credits", "budget has been exceeded", "out of credits", "please top up", "please recharge", "payment required",
	"余额不足", "欠费", "请充值", "额度不足", "额度已用尽",
}

// fallbackRules read the status alone; the last entry matches anything.
var fallbackRules = []Rule{
	{Name: "status.2xx", StatusClass: 2, Class: model.ClassOK},
	{Name: "status.401", Status: 401, Class: model.ClassAuthFailed},
	{Name: "status.402", Status: 402, Class: model.ClassBilling},
	{Name: "status.403", Status: 403, Class: model.ClassAccessDenied},
	// A 404 on a model's path whose body names no model says nothing certain: a wrong base URL
	// gives the same.
	{Name: "status.404_model", Status: 404, Checks: modelChecks, Class: model.ClassModelUnavailable, Access: model.AccessUnknown},
	{Name: "status.404", Status: 404, Class: model.ClassUnexpectedResponse, Access: model.AccessMisconfigured},
	{Name: "status.408", Status: 408, Class: model.ClassTimeout},
	{Name: "status.504", Status: 504, Class: model.ClassTimeout},
	{Name: "status.429", Status: 429, Class: model.ClassRateLimited},
	{Name: "status.500", Status: 500, Class: model.ClassServerError},
	{Name: "status.502", Status: 502, Class: model.ClassServerError},
	{Name: "status.503", Status: 503, Class: model.ClassOverloaded},
	{Name: "status.529", Status: 529, Class: model.ClassOverloaded},
	{Name: "status.5xx", StatusClass: 5, Class: model.ClassServerError},
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
	{"google", "gemini"}, {"gemini", "gemini"}, {"vertex", "gemini"}, {"mistral", "mistral"},
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
	return slices.Concat(proxyRules, edgeRules, providerRules[kindLabel(kind)], genericRules, fallbackRules)
}
