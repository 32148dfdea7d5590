package classify

import (
	"fmt"
	"strings"
	"testing"
)

// sameFailure groups observations of one failure that differ only in volatile parts (request
// ids, keys, models, timestamps, team/user ids, IPs, numbers): each group must give one signature,
// and different groups must give different ones.
var sameFailure = map[string][]Observation{
	"anthropic model gone": {
		obs("anthropic", "generate", "claude-3-5-sonnet-20241022", 404,
			`{"type":"error","error":{"type":"not_found_error","message":"model: claude-3-5-sonnet-20241022 "}}`),
		obs("anthropic", "generate", "sonnet4", 404, `{"type":"error","error":{"type":"not_found_error","message":"model: sonnet4"}}`),
		obs("anthropic", "count_tokens", "claude-3-7-sonnet-latest", 404,
			`{"type":"error","error":{"type":"not_found_error","message":"model: claude-3-7-sonnet-latest"},"request_id":"req_011CZ3k4mT2pQ8vW9xY1zA2b"}`),
	},
	"anthropic auth": {
		obs("anthropic", "models", "", 401,
			`{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"},"request_id":"req_011CYhr1kdGzCrPHfrhibMen"}`),
		obs("anthropic", "models", "", 401,
			`{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"},"request_id":"req_011CZZZ9kdGzCrPHfrhib000"}`,
			"Request-Id", "req_011CZZZ9kdGzCrPHfrhib000"),
	},
	"openai bad key": {
		obs("openai", "models", "", 401, openAIKeyBody("sk-VKMIs***…wjh3")),
		obs("openai", "models", "", 401, openAIKeyBody("sk-proj-ab12***…9xyZ")),
		obs("openai", "models", "", 401, openAIKeyBody("sk-proj-Qm3vX9tLw2Rz8Kp4Hn6Yc1Bd7Fs5Gj0AeTuVoWiXyZaBcDeFgHiJkLmN")),
	},
	"groq rate limit": {
		obs("openai_compatible", "generate", "gemma2-9b-it", 429, groqRateBody("gemma2-9b-it", 15000, 11972, 4351, "5.289s")),
		obs("openai_compatible", "generate", "llama-3.1-8b-instant", 429, groqRateBody("llama-3.1-8b-instant", 6000, 5990, 120, "1m2.5s")),
		obs("openai_compatible", "generate", "llama-3.1-8b-instant", 429, groqRateBody("llama-3.1-8b-instant", 6000, 5999, 12, "412ms")),
	},
	"mistral rate limit numbers": {
		obs("mistral", "generate", "m", 429, `{"message":"Limit 15000, Used 11972, Requested 4351. Please try again in 5.289s."}`),
		obs("mistral", "generate", "m", 429, `{"message":"Limit 6000, Used 5990, Requested 120. Please try again in 1m2.5s."}`),
		obs("mistral", "generate", "m", 429, `{"message":"Limit 6000, Used 5999, Requested 12. Please try again in 412ms."}`),
	},
	"xai model gone": {
		obs("openai_compatible", "generate", "grok-beta", 404, xaiGoneBody("grok-beta", "bdc397fa-17fc-468e-9180-d0870ca1e10a")),
		obs("openai_compatible", "generate", "grok-2-1212", 404, xaiGoneBody("grok-2-1212", "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0")),
	},
	"openai geo via relay": {
		obs("openai", "generate", "gpt-4o", 403, relayGeoBody("2024072510422562564674066306279")),
		obs("openai", "generate", "gpt-4o-mini", 403, relayGeoBody("2026010203040506070809101112131")),
	},
	"gemini model gone": {
		obs("gemini", "generate", "gemini-2.0-pro", 404, geminiGoneBody("gemini-2.0-pro")),
		obs("gemini", "generate", "models/gemini-1.5-flash", 404, geminiGoneBody("gemini-1.5-flash")),
	},
	"anthropic rate limit with reset time": {
		obs("anthropic", "generate", "m", 429,
			`{"type":"error","error":{"type":"rate_limit_error","message":"This request would exceed the rate limit of 50 requests per minute; resets at 2026-06-01T10:00:00Z."}}`),
		obs("anthropic", "generate", "m", 429,
			`{"type":"error","error":{"type":"rate_limit_error","message":"This request would exceed the rate limit of 4000 requests per minute; resets at 2026-09-30T23:59:01.123Z."}}`),
	},
	"openai ip not authorized": {
		obs("openai", "models", "", 401, `{"error":{"message":"IP 127.0.0.1 not authorized","type":"invalid_request_error","code":"ip_not_authorized"}}`),
		obs("openai", "models", "", 401, `{"error":{"message":"IP 127.4.5.6 not authorized","type":"invalid_request_error","code":"ip_not_authorized"}}`),
		obs("openai", "models", "", 401, `{"error":{"message":"IP ::1 not authorized","type":"invalid_request_error","code":"ip_not_authorized"}}`),
	},
	"openrouter region": {
		obs("openai_compatible", "generate", "anthropic/claude-sonnet-4", 403,
			`{"error":{"message":"This model is not available in your region.","code":403},"user_id":"user_2abcDEF345ghiJKL678mno"}`),
		obs("openai_compatible", "generate", "openai/gpt-5", 403,
			`{"error":{"message":"This model is not available in your region.","code":403},"user_id":"user_***"}`),
	},
	"cloudflare block page": {
		obs("openai_compatible", "models", "", 403, cloudflarePage("8d2f3c4b5a697081", "127.0.0.1"), ct, "text/html"),
		obs("openai_compatible", "models", "", 403, cloudflarePage("91b0c10e4a051b5a", "127.9.9.9"), ct, "text/html"),
	},
	"anthropic geo":        {obs("anthropic", "models", "", 403, `{"error":{"type":"forbidden","message":"Request not allowed"}}`)},
	"anthropic permission": {obs("anthropic", "models", "", 403, `{"type":"error","error":{"type":"permission_error","message":"Permission denied"}}`)},
	"openai geo":           {obs("openai", "models", "", 403, `{"error":{"code":"unsupported_country_region_territory","message":"Country, region, or territory not supported","param":null,"type":"request_forbidden"}}`)},
	"anthropic overloaded": {obs("anthropic", "generate", "m", 529, `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`)},
	"anthropic 503 empty":  {obs("anthropic", "generate", "m", 503, "")},
	"anthropic 502 empty":  {obs("anthropic", "generate", "m", 502, "")},
	// Google's quota texts share 250 bytes of preamble; the quota that is zero and the one that
	// is used up differ only at the end.
	"gemini per-minute quota": {
		obs("gemini", "generate", "gemini-2.5-pro", 429, geminiQuotaBody("generate_content_paid_tier_input_token_count", 2000000, "gemini-2.5-pro", "38.1s")),
		obs("gemini", "generate", "gemini-2.5-flash", 429, geminiQuotaBody("generate_content_paid_tier_input_token_count", 1000000, "gemini-2.5-flash", "4.9s")),
	},
	"gemini zero quota": {
		obs("gemini", "generate", "gemini-2.5-pro", 429, geminiQuotaBody("generate_content_free_tier_requests", 0, "gemini-2.5-pro", "38.1s")),
		obs("gemini", "generate", "gemini-3-pro-preview", 429, geminiQuotaBody("generate_content_free_tier_requests", 0, "gemini-3-pro-preview", "12s")),
	},
	"relay wraps anthropic credit": {
		obs("openai_compatible", "generate", "claude-sonnet-4-5", 400, `{"error":{"error":{"type":"invalid_request_error","message":"Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits."},"type":"upstream_error"}}`),
	},
	"openai ok":                {obs("openai", "models", "", 200, `{"data":[]}`)},
	"anthropic ok":             {obs("anthropic", "models", "", 200, `{"data":[]}`)},
	"gemini geo":               {obs("gemini", "generate", "m", 400, `{"error":{"code":400,"message":"User location is not supported for the API use.","status":"FAILED_PRECONDITION"}}`)},
	"gemini geo billing":       {obs("gemini", "generate", "m", 400, `{"error":{"code":400,"message":"User location is not supported for the API use without a billing account linked.","status":"FAILED_PRECONDITION"}}`)},
	"deepseek model not exist": {obs("openai_compatible", "generate", "m", 400, `{"error":{"message":"Model Not Exist","type":"invalid_request_error","param":null,"code":"invalid_request_error"}}`)},
}

func openAIKeyBody(key string) string {
	return `{"error":{"message":"Incorrect API key provided: ` + key + `. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`
}

func groqRateBody(modelID string, limit, used, requested int, retry string) string {
	return fmt.Sprintf(`{"error":{"message":"Rate limit reached for model %s in organization org_01hq2x3y4z5a6b7c8d9e0f1g2h service tier on_demand on tokens per minute (TPM): Limit %d, Used %d, Requested %d. Please try again in %s. Visit https://console.groq.com/docs/rate-limits for more information.","type":"tokens","code":"rate_limit_exceeded"}}`,
		modelID, limit, used, requested, retry)
}

func xaiGoneBody(modelID, team string) string {
	return `{"code":"Some requested entity was not found","error":"The model ` + modelID + ` does not exist or your team ` + team + ` does not have access to it. Please ensure you're using the correct API key."}`
}

func relayGeoBody(id string) string {
	return `{"error":{"code":"unsupported_country_region_territory","message":"Country, region, or territory not supported (request id: ` + id + `)","param":"","type":"request_forbidden"}}`
}

func geminiGoneBody(modelID string) string {
	return `{"error":{"code":404,"message":"models/` + modelID + ` is not found for API version v1beta, or is not supported for generateContent.","status":"NOT_FOUND"}}`
}

func cloudflarePage(ray, ip string) string {
	return `<!DOCTYPE html><html><head><title>Attention Required! | Cloudflare</title></head><body><h1>Sorry, you have been blocked</h1>` +
		`<p>Cloudflare Ray ID: <strong>` + ray + `</strong> &bull; Your IP: ` + ip + `</p></body></html>`
}

// geminiQuotaBody is Google's 429 for a quota, as the Gemini API sends it.
func geminiQuotaBody(metric string, limit int, mdl, retry string) string {
	return fmt.Sprintf(`{"error":{"code":429,"message":"You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits. To monitor your current usage, head to: https://ai.dev/usage?tab=rate-limit. \n* Quota exceeded for metric: generativelanguage.googleapis.com/%s, limit: %d, model: %s\nPlease retry in %s.","status":"RESOURCE_EXHAUSTED"}}`,
		metric, limit, mdl, retry)
}

func TestSignatureStability(t *testing.T) {
	t.Parallel()
	owner := map[string]string{}
	for group, observations := range sameFailure {
		first := Classify(observations[0]).Signature
		for i, o := range observations {
			if sig := Classify(o).Signature; sig != first {
				t.Errorf("%s: observation %d signature\n %q\ndiffers from\n %q", group, i, sig, first)
			}
		}
		if other, ok := owner[first]; ok {
			t.Errorf("groups %q and %q share signature %q", group, other, first)
		}
		owner[first] = group
	}
}

// testKeys look like real keys of each vendor (they are not).
var testKeys = []string{
	"sk-ant-api03-Zq8Xw7Vu6Ts5Rq4Po3Nm2Lk1Ji0HgFeDcBa9Zy8Xw7Vu6Ts5Rq4Po3Nm2Lk1Ji0HgFeDcBa9Zy8Xw7Vu6Ts5Rq4Po3Nm2Lk1Ji-AbCdEfAA",
	"sk-proj-Qm3vX9tLw2Rz8Kp4Hn6Yc1Bd7Fs5Gj0AeTuVoWiXyZaBcDeFgHiJkLmN",
	"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",
	"AIzaSyD4x7Qp9Lm2Rk8Vn3Tz6Wc1Hb5Jf0Gs7Yd",
	"gsk_Vq7Wm3Xp9Lr2Tk8Yn4Hz6Jc1Bd5Fs0Gq7Rm3Wx9Lp2Tk8Yn4Hz6Jc1B",
	"xai-Kp4Hn6Yc1Bd7Fs5Gj0AeTuVoWiXyZaBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789abcdefghijklmnopqrs",
	"sk-Aa1Bb2Cc3Dd4Ee5Ff6Gg7Hh8Ii9Jj0KkLlMmNnOoPpQqRr",
}

// leaksKey reports whether sig contains any 10-byte window of key, ignoring case.
func leaksKey(sig, key string) bool {
	sig, key = strings.ToLower(sig), strings.ToLower(key)
	for i := 0; i+10 <= len(key); i++ {
		if strings.Contains(sig, key[i:i+10]) {
			return true
		}
	}
	return false
}

func TestSignatureRedactsKeys(t *testing.T) {
	t.Parallel()
	places := map[string]func(key string) Observation{
		"openai message": func(k string) Observation { return obs("openai", "models", "", 401, openAIKeyBody(k)) },
		"error code": func(k string) Observation {
			return obs("openai", "models", "", 400, `{"error":{"code":"`+k+`","message":"x"}}`)
		},
		"error type": func(k string) Observation {
			return obs("anthropic", "models", "", 400, `{"error":{"type":"`+k+`","message":"x"}}`)
		},
		"xai flat": func(k string) Observation {
			return obs("openai_compatible", "models", "", 400, `{"code":"`+k+`","error":"bad key `+k+`"}`)
		},
		"html title": func(k string) Observation {
			return obs("openai", "models", "", 403, "<html><title>key "+k+"</title></html>")
		},
		"text body": func(k string) Observation { return obs("gemini", "models", "", 400, "invalid key="+k+"&alt=json") },
		"url query": func(k string) Observation {
			return obs("gemini", "models", "", 400, `{"error":{"message":"GET https://generativelanguage.googleapis.com/v1beta/models?key=`+k+` failed"}}`)
		},
		"upstream raw": func(k string) Observation {
			return obs("openai_compatible", "generate", "m", 401,
				`{"error":{"message":"Provider returned error","code":401,"metadata":{"raw":"{\"error\":{\"message\":\"Incorrect API key provided: `+k+`\",\"code\":\"invalid_api_key\"}}","provider_name":"OpenAI"}}}`)
		},
		"glued to text": func(k string) Observation {
			return obs("openai", "models", "", 401, `{"error":{"message":"key:`+k+`."}}`)
		},
	}
	for place, mk := range places {
		for _, key := range testKeys {
			t.Run(place+"/"+key[:6], func(t *testing.T) {
				t.Parallel()
				o := mk(key)
				c := Classify(o)
				if leaksKey(c.Signature, key) {
					t.Errorf("signature %q leaks the key", c.Signature)
				}
				checkInvariants(t, c)
				o.Model = key[len(key)/2 : len(key)/2+2] // a model id that occurs inside the key
				if c := Classify(o); leaksKey(c.Signature, key) {
					t.Errorf("model %q: signature %q leaks the key", o.Model, c.Signature)
				}
			})
		}
	}
}
