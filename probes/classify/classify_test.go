package classify

import (
	"context"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/accesswatch/accesswatch/internal/model"
)

func obs(kind, check, modelID string, status int, body string, header ...string) Observation {
	h := http.Header{}
	for i := 0; i+1 < len(header); i += 2 {
		h.Add(header[i], header[i+1])
	}
	return Observation{Kind: kind, Check: check, Model: modelID, Status: status, Header: h, Body: []byte(body)}
}

const ct = "Content-Type"

// ruleCases exercise the rules no fixture reaches (synthetic bodies in the vendors' shapes) and
// the status fallback table.
var ruleCases = []struct {
	name  string
	obs   Observation
	class model.Class
	rule  string
}{
	{"anthropic timeout_error", obs("anthropic", "generate", "m", 504,
		`{"type":"error","error":{"type":"timeout_error","message":"Request timed out"}}`), model.ClassTimeout, "anthropic.timeout_error"},
	{"anthropic request_too_large", obs("anthropic", "count_tokens", "m", 413,
		`{"type":"error","error":{"type":"request_too_large","message":"Request exceeds the maximum allowed number of bytes."}}`),
		model.ClassBadRequest, "anthropic.request_too_large"},
	{"openai slow down", obs("openai", "generate", "m", 503,
		`{"error":{"message":"Slow Down","type":"server_error","param":null,"code":null}}`), model.ClassOverloaded, "openai.slow_down"},
	{"gemini unauthenticated", obs("gemini", "models", "", 401,
		`{"error":{"code":401,"message":"Request had invalid authentication credentials.","status":"UNAUTHENTICATED"}}`),
		model.ClassAuthFailed, "gemini.unauthenticated"},
	{"gemini permission denied", obs("gemini", "model", "m", 403,
		`{"error":{"code":403,"message":"The caller does not have permission","status":"PERMISSION_DENIED"}}`),
		model.ClassAccessDenied, "gemini.permission_denied"},
	{"mistral code 1500 only", obs("mistral", "generate", "m", 400,
		`{"object":"error","message":"Invalid model: m","type":"invalid_request_error","param":null,"code":"1500"}`),
		model.ClassModelUnavailable, "mistral.invalid_model_code"},
	{"mistral code 1300 only", obs("mistral", "generate", "m", 429,
		`{"object":"error","message":"Rate limit exceeded","type":"limit","param":null,"code":"1300"}`),
		model.ClassRateLimited, "mistral.rate_limited_code"},
	{"truncated openai geo body", obs("openai", "models", "", 403,
		`{"error":{"code":"unsupported_country_region_territory","message":"Country, reg`), model.ClassGeoBlocked, "generic.geo_code_body"},
	{"geo message without code", obs("openai", "models", "", 403,
		`{"error":{"message":"Country, region, or territory not supported","type":"request_forbidden"}}`),
		model.ClassGeoBlocked, "generic.geo_country"},
	{"cloudflare attention title only", obs("openai", "models", "", 503,
		`<html><head><title>Attention Required! | Cloudflare</title></head></html>`, ct, "text/html"),
		model.ClassBlockedPage, "cloudflare.challenge_page"},
	{"enable cookies text", obs("openai_compatible", "models", "", 403, "Please enable cookies.", ct, "text/plain"),
		model.ClassBlockedPage, "generic.enable_cookies"},
	{"litellm relays a gemini per-minute quota", obs("openai_compatible", "generate", "gemini-2.5-pro", 429,
		`{"error":{"message":"litellm.RateLimitError: GeminiException - {\"error\":{\"code\":429,\"message\":\"You exceeded your current quota, please check your plan and billing details.\",\"status\":\"RESOURCE_EXHAUSTED\"}}","type":null,"param":null,"code":"429"}}`),
		model.ClassRateLimited, "upstream.gemini.resource_exhausted"},
	{"plain 404 text on model check", obs("openai_compatible", "model", "m", 404, "404 page not found", ct, "text/plain"),
		model.ClassUnexpectedResponse, "generic.text_404"},
	{"empty 404 on model check", obs("openai", "model", "m", 404, ""), model.ClassUnexpectedResponse, "generic.empty_404"},
	{"bedrock throttling", obs("bedrock", "generate", "m", 429, `{"message":"Too many requests, please wait before trying again."}`,
		"X-Amzn-Errortype", "ThrottlingException:http://internal.amazon.com/coral/com.amazon.coral.service/"),
		model.ClassRateLimited, "generic.bedrock_throttling"},
	{"openrouter relays gemini geo", obs("openai_compatible", "generate", "google/gemini-2.5-pro", 400,
		`{"error":{"message":"Provider returned error","code":400,"metadata":{"raw":"{\"error\":{\"code\":400,\"message\":\"User location is not supported for the API use.\",\"status\":\"FAILED_PRECONDITION\"}}","provider_name":"Google AI Studio"}}}`),
		model.ClassGeoBlocked, "upstream.gemini.user_location"},
	{"html 2xx on control is ok", obs("openai", "control", "", 200, "<html><title>ok</title></html>", ct, "text/html"),
		model.ClassOK, "status.2xx"},
	{"2xx error body without code", obs("openai_compatible", "generate", "m", 200, `{"error":{"message":"something failed"}}`),
		model.ClassUnexpectedResponse, "generic.unshaped_2xx"},
	{"401", obs("x", "models", "", 401, ""), model.ClassAuthFailed, "status.401"},
	{"402", obs("x", "models", "", 402, ""), model.ClassBilling, "status.402"},
	{"403", obs("x", "models", "", 403, "{}"), model.ClassAccessDenied, "status.403"},
	{"404 json on model check", obs("x", "model", "m", 404, `{"message":"gone"}`), model.ClassModelUnavailable, "status.404_model"},
	{"404 json on models check", obs("x", "models", "", 404, `{"message":"gone"}`), model.ClassUnexpectedResponse, "status.404"},
	{"408", obs("x", "generate", "m", 408, ""), model.ClassTimeout, "status.408"},
	{"504", obs("x", "generate", "m", 504, ""), model.ClassTimeout, "status.504"},
	{"429", obs("x", "generate", "m", 429, ""), model.ClassRateLimited, "status.429"},
	{"500", obs("x", "generate", "m", 500, ""), model.ClassServerError, "status.500"},
	{"503", obs("x", "generate", "m", 503, ""), model.ClassOverloaded, "status.503"},
	{"529", obs("x", "generate", "m", 529, ""), model.ClassOverloaded, "status.529"},
	{"418 other 4xx", obs("x", "generate", "m", 418, ""), model.ClassBadRequest, "status.4xx"},
	{"302 redirect", obs("x", "models", "", 302, ""), model.ClassUnexpectedResponse, "status.other"},
	{"501", obs("x", "models", "", 501, ""), model.ClassServerError, "status.5xx"},
	{"no status", obs("", "", "", 0, ""), model.ClassUnexpectedResponse, "status.other"},
}

// accessCases are rule cases whose access is checked too: the positive-evidence rule's edges.
var accessCases = []struct {
	name   string
	obs    Observation
	class  model.Class
	rule   string
	access model.Access
}{
	{"gemini key restricted to other services", obs("gemini", "generate", "m", 403,
		`{"error":{"code":403,"message":"Requests to this API generativelanguage.googleapis.com method google.ai.generativelanguage.v1beta.GenerativeService.GenerateContent are blocked.","status":"PERMISSION_DENIED","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_SERVICE_BLOCKED","domain":"googleapis.com"}]}}`),
		model.ClassAccessDenied, "gemini.key_restricted", model.AccessMisconfigured},
	{"gemini billing disabled", obs("gemini", "generate", "m", 403,
		`{"error":{"code":403,"message":"This API method requires billing to be enabled. Please enable billing on project #1 then retry.","status":"PERMISSION_DENIED","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"BILLING_DISABLED"}]}}`),
		model.ClassBilling, "gemini.billing_disabled", model.AccessMisconfigured},
	{"gemini consumer suspended reason", obs("gemini", "models", "", 403,
		`{"error":{"code":403,"message":"Permission denied: Consumer 'api_key:[REDACTED]' has been suspended.","status":"PERMISSION_DENIED","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"CONSUMER_SUSPENDED"}]}}`),
		model.ClassAuthFailed, "gemini.consumer_suspended", model.AccessMisconfigured},
	{"gemini wrong project", obs("gemini", "generate", "m", 403,
		`{"error":{"code":403,"message":"Permission denied on resource project my-project.","status":"PERMISSION_DENIED"}}`),
		model.ClassAccessDenied, "gemini.project_denied", model.AccessMisconfigured},
	{"451 in the vendor's json", obs("openai_compatible", "generate", "m", 451,
		`{"error":{"message":"Unavailable For Legal Reasons","type":"invalid_request_error"}}`),
		model.ClassGeoBlocked, "generic.legal_reasons", model.AccessRevoked},
	{"451 page of a censor on the path", obs("openai", "generate", "m", 451,
		`<html><head><title>451 Unavailable For Legal Reasons</title></head><body>This resource is blocked by order of the court.</body></html>`, ct, "text/html"),
		model.ClassBlockedPage, "generic.html_451", model.AccessUnknown},
	{"200 whose choice finished with error", obs("openai_compatible", "generate", "m", 200,
		`{"id":"gen-1","choices":[{"index":0,"finish_reason":"error","message":{"role":"assistant","content":""}}]}`),
		model.ClassServerError, "generic.finish_error", model.AccessFault},
	{"empty 200 on generate", obs("openai", "generate", "m", 200, ""), model.ClassUnexpectedResponse, "generic.empty_2xx", model.AccessUnknown},
	{"empty 200 on control is ok", obs("control", "control", "", 200, ""), model.ClassOK, "status.2xx", model.AccessAvailable},
	{"truncated list is no success", obs("openai", "models", "", 200, `{"object":"list","data":[{"id":"gpt-4o","obj`),
		model.ClassUnexpectedResponse, "generic.unshaped_2xx", model.AccessUnknown},
	{"models list of another shape", obs("anthropic", "models", "", 200, `{"object":"list"}`),
		model.ClassUnexpectedResponse, "generic.unshaped_2xx", model.AccessUnknown},
	{"gemini empty list is ok", obs("gemini", "models", "", 200, `{}`), model.ClassOK, "status.2xx", model.AccessAvailable},
	{"choices without id or usage", obs("openai_compatible", "generate", "m", 200, `{"choices":[{"message":{"content":""},"finish_reason":"stop"}]}`),
		model.ClassUnexpectedResponse, "generic.unshaped_2xx", model.AccessUnknown},
	{"length-limited completion is ok", obs("openai", "generate", "o3", 200,
		`{"id":"chatcmpl-1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":""},"finish_reason":"length"}],"usage":{"prompt_tokens":8,"completion_tokens":1}}`),
		model.ClassOK, "status.2xx", model.AccessAvailable},
	{"anthropic max_tokens stop is ok", obs("anthropic", "generate", "m", 200,
		`{"id":"msg_01","type":"message","role":"assistant","content":[{"type":"text","text":"I"}],"stop_reason":"max_tokens","usage":{"input_tokens":8,"output_tokens":1}}`),
		model.ClassOK, "status.2xx", model.AccessAvailable},
	{"balance message late in a text body", obs("anthropic", "generate", "m", 400,
		"upstream request failed: "+strings.Repeat("retrying; ", 40)+"Insufficient Balance", ct, "text/plain"),
		model.ClassBilling, "generic.billing_text", model.AccessMisconfigured},
	{"proxy asks us to authenticate", obs("openai", "models", "", 407,
		`<html><head><title>407 Proxy Authentication Required</title></head></html>`, ct, "text/html"),
		model.ClassBlockedPage, "proxy.auth_required", model.AccessMisconfigured},
	{"squid by its server header", obs("anthropic", "models", "", 403, `<html><title>Access Denied</title></html>`, ct, "text/html",
		"Server", "squid/5.7"), model.ClassBlockedPage, "proxy.squid_server", model.AccessMisconfigured},
	{"a proxy by its via header", obs("anthropic", "models", "", 503, `<html><title>Service Unavailable</title></html>`, ct, "text/html",
		"Via", "1.1 gw.corp.example (squid/4.10)"), model.ClassBlockedPage, "proxy.via", model.AccessMisconfigured},
	{"cloudflare country ban 1009", obs("openai", "models", "", 403,
		`<!DOCTYPE html><html><head><title>Access denied | api.openai.com used Cloudflare to restrict access</title></head><body><h1>Error 1009</h1><p>The owner of this website (api.openai.com) has banned the country or region your IP address is in (RU) from accessing this website.</p><span>Cloudflare Ray ID: 8d2f3c4b5a697081</span></body></html>`,
		ct, "text/html", "Server", "cloudflare", "Cf-Ray", "8d2f3c4b5a697081-DME"),
		model.ClassGeoBlocked, "cloudflare.country_banned", model.AccessRevoked},
	{"cloudflare 1009 text without attribution", obs("openai", "models", "", 403,
		`<html><head><title>Access denied</title></head><body>has banned the country or region your IP address is in</body></html>`, ct, "text/html"),
		model.ClassBlockedPage, "generic.html_403", model.AccessUnknown},
	{"cloudflare 1015", obs("anthropic", "generate", "m", 429, "error code: 1015", ct, "text/plain"),
		model.ClassRateLimited, "cloudflare.rate_limited", model.AccessFault},
}

func TestAccessCases(t *testing.T) {
	t.Parallel()
	for _, tc := range accessCases {
		t.Run(tc.name, func(t *testing.T) {
			c := Classify(tc.obs)
			if c.Class != tc.class || c.Rule != tc.rule || c.Access != tc.access {
				t.Errorf("got %s/%s by %s, want %s/%s by %s (signature %q)", c.Class, c.Access, c.Rule, tc.class, tc.access,
					tc.rule, c.Signature)
			}
			checkInvariants(t, c)
		})
	}
}

func TestRuleCases(t *testing.T) {
	t.Parallel()
	for _, tc := range ruleCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := Classify(tc.obs)
			if c.Class != tc.class || c.Rule != tc.rule {
				t.Errorf("got %s by %s, want %s by %s (signature %q)", c.Class, c.Rule, tc.class, tc.rule, c.Signature)
			}

			checkInvariants(t, c)
		})
	}
}

// TestRulesCovered makes every rule earn its place: each is the one that decides some fixture
// or some case of ruleCases.
func TestRulesCovered(t *testing.T) {
	t.Parallel()
	used := map[string]bool{}
	for _, f := range loadFixtures(t) {
		used[strings.TrimPrefix(Classify(f.obs).Rule, "upstream.")] = true
	}
	for _, c := range loadCorpus(t) {
		used[strings.TrimPrefix(Classify(c.obs).Rule, "upstream.")] = true
	}
	for _, tc := range ruleCases {
		used[strings.TrimPrefix(Classify(tc.obs).Rule, "upstream.")] = true
	}
	for _, tc := range accessCases {
		used[Classify(tc.obs).Rule] = true
	}
	for _, table := range allTables {
		for _, r := range table {
			if !used[r.Name] {
				t.Errorf("rule %s decides no fixture or test case", r.Name)
			}
		}
	}
}

func TestRuleTables(t *testing.T) {
	t.Parallel()
	for kind := range providerRules {
		rules := Rules(kind)
		if last := rules[len(rules)-1]; !last.matches(&input{p: &parsed{}}) {
			t.Errorf("%s: last rule %s does not match everything", kind, last.Name)
		}
		for _, r := range rules {
			t.Run(kind+"/"+r.Name, func(t *testing.T) {
				if !slices.Contains(model.Classes(), r.Class) {
					t.Errorf("class %q", r.Class)
				}
				texts := slices.Concat([]string{r.Message, r.MessagePrefix, r.BodyContains, r.HeaderContains},
					r.MessageContains, r.MessageAny, r.BodyAny)
				for _, s := range texts {
					if s != strings.ToLower(s) {
						t.Errorf("%q must be lower-case: it is compared with lower-cased text", s)
					}
				}
				if r.ReasonPrefix != strings.ToUpper(r.ReasonPrefix) {
					t.Errorf("reason prefix %q must be upper-case", r.ReasonPrefix)
				}
				if r.Header != http.CanonicalHeaderKey(r.Header) {
					t.Errorf("header %q is not canonical", r.Header)
				}
				if prefix, what, ok := strings.Cut(r.Name, "."); !ok || prefix == "" || what == "" {
					t.Errorf("name %q is not <table>.<what>", r.Name)
				}
			})
		}
	}
	seen := map[string]bool{}
	for _, table := range allTables {
		for _, r := range table {
			if seen[r.Name] {
				t.Errorf("duplicate rule name %s", r.Name)
			}
			seen[r.Name] = true
		}
	}
}

// allTables are every rule table, for checks over all rules.
var allTables = [][]Rule{proxyRules, edgeRules, anthropicRules, openaiRules, compatRules, geminiRules, mistralRules,
	genericRules, fallbackRules}

func TestRulesReturnsCopy(t *testing.T) {
	t.Parallel()
	rs := Rules("anthropic")
	rs[0].Class = model.ClassOK
	if anthropicRules[0].Class == model.ClassOK {
		t.Fatal("Rules exposed the package table")
	}
	want := len(proxyRules) + len(edgeRules) + len(genericRules) + len(fallbackRules)
	if got := Rules("no-such-kind"); len(got) != want {
		t.Errorf("unknown kind: %d rules, want proxy+edge+generic+fallback %d", len(got), want)
	}
}

func TestOKSignature(t *testing.T) {
	t.Parallel()
	c := Classify(obs("Gemini", "models", "", 200, `{"models":[]}`))
	if c.Signature != "gemini:ok" || c.Layer != model.LayerAPI || c.Access != model.AccessAvailable {
		t.Errorf("got %+v", c)
	}
}

func TestClassifyNet(t *testing.T) {
	t.Parallel()
	reset := &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}
	tests := []struct {
		name   string
		err    error
		op     string
		layer  model.Layer
		class  model.Class
		sig    string
		access model.Access
	}{
		{"nxdomain", &net.DNSError{Err: "no such host", Name: "api.example", IsNotFound: true}, "resolve",
			model.LayerDNS, model.ClassDNSFailure, "net:resolve:dns_nxdomain_error", model.AccessFault},
		{"refused", &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}, "connect",
			model.LayerTCP, model.ClassConnectionRefused, "net:connect:connection_refused", model.AccessFault},
		{"reset during tls", reset, "tls_handshake",
			model.LayerTLS, model.ClassConnectionReset, "net:tls_handshake:connection_reset", model.AccessFault},
		{"unknown authority", x509.UnknownAuthorityError{}, "tls_handshake",
			model.LayerTLS, model.ClassTLSFailure, "net:tls_handshake:ssl_unknown_authority", model.AccessFault},
		{"dns failure reported late", &net.DNSError{Err: "server misbehaving", Name: "x"}, "http_round_trip",
			model.LayerDNS, model.ClassDNSFailure, "net:http_round_trip:dns_server_misbehaving", model.AccessFault},
		{"timeout reading", context.DeadlineExceeded, "read",
			model.LayerHTTP, model.ClassTimeout, "net:read:generic_timeout_error", model.AccessFault},
		{"cancelled", context.Canceled, "connect",
			model.LayerTCP, model.ClassUnexpectedResponse, "net:connect:interrupted", model.AccessUnknown},
		{"unknown at tls", errors.New("weird handshake from 127.0.0.1:443"), "tls_handshake",
			model.LayerTLS, model.ClassTLSFailure, "net:tls_handshake:unknown_failure: weird handshake from [scrubbed]", model.AccessFault},
		{"unknown op", errors.New("boom"), "",
			model.LayerTCP, model.ClassUnexpectedResponse, "net:unknown:unknown_failure: boom", model.AccessUnknown},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := Classify(Observation{Kind: "openai", Check: "models", Err: tc.err, Op: tc.op, Status: 200})
			if c.Layer != tc.layer || c.Class != tc.class || c.Signature != tc.sig || c.Access != tc.access {
				t.Errorf("got %s/%s/%s %q, want %s/%s/%s %q", c.Layer, c.Class, c.Access, c.Signature,
					tc.layer, tc.class, tc.access, tc.sig)
			}
			if c.Failure != Failure(tc.err) || !strings.HasPrefix(c.Rule, "net.") {
				t.Errorf("failure %q rule %q", c.Failure, c.Rule)
			}
			checkInvariants(t, c)
		})
	}
}
