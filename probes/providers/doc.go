// Package providers holds one adapter per vendor API (anthropic, openai, openai_compatible,
// gemini, mistral). An adapter builds the cheapest request that answers a check — list models,
// get one model, count tokens, or a one-token generation — and reads model ids out of a
// models-list answer. The package also pulls evidence out of answers (request ids, the
// Cloudflare colo, the serving region) and redacts API keys from anything that is stored.
//
// Adapters are pure: they build *http.Request values and parse bytes; sending is the job of
// probes/httpprobe over a probes/vantage transport. A Registry maps a kind to its adapter;
// there is no package-level registry.
package providers
