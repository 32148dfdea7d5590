package config

import (
	"net/url"
	"reflect"
	"slices"
	"strings"
)

// Secrets returns every credential the config holds, for removing from whatever is kept, logged,
// exported, published or sent: every Secret field (provider api_key, agent and collector tokens,
// Slack webhook_url and token, webhook secret, Grafana and InfluxDB tokens), the password of
// any URL with userinfo (a vantage proxy "http://user:pass@host"), the token path of a Slack
// incoming webhook, the password half of a "user:password" token, and the values of provider
// headers whose name says they are a credential (Authorization, api-key, X-…-Token). Longest
// first, without duplicates or empty strings; nil for a nil config. Placeholders that local
// OpenAI-compatible servers want in place of a key ("EMPTY", "ollama", "none", …) and values
// under 4 bytes are not secrets: removing them, in any case, from every answer would eat
// ordinary words and change how answers are read.
func (c *Config) Secrets() []string {
	if c == nil {
		return nil
	}
	var out []string
	collectSecrets(reflect.ValueOf(c).Elem(), "", &out)
	out = slices.DeleteFunc(out, func(s string) bool { return len(strings.TrimSpace(s)) < 4 || placeholderKey(s) })
	slices.SortFunc(out, func(a, b string) int {
		if len(a) != len(b) {
			return len(b) - len(a)
		}
		return strings.Compare(a, b)
	})
	return slices.Compact(out)
}

// placeholderKeys are the dummy keys vLLM, Ollama, LM Studio, llama.cpp and LocalAI document.
var placeholderKeys = []string{"empty", "none", "null", "dummy", "ollama", "lm-studio", "lmstudio",
	"sk-no-key-required", "no-key", "not-needed", "localai", "placeholder", "changeme"}

func placeholderKey(s string) bool {
	return slices.Contains(placeholderKeys, strings.ToLower(strings.TrimSpace(s)))
}

func collectSecrets(v reflect.Value, name string, out *[]string) {
	if v.Type() == secretType {
		addSecret(v.String(), out)
		return
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			collectSecrets(v.Elem(), name, out)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Type().Field(i); f.IsExported() {
				collectSecrets(v.Field(i), f.Name, out)
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			collectSecrets(v.Index(i), name, out)
		}
	case reflect.Map:
		iter := v.MapRange()
		for iter.Next() {
			k, val := iter.Key(), iter.Value()
			if name == "Headers" && k.Kind() == reflect.String && val.Kind() == reflect.String && credentialHeader(k.String()) {
				addSecret(val.String(), out)
				continue
			}
			collectSecrets(val, name, out)
		}
	case reflect.String:
		addURLSecrets(v.String(), out)
	}
}

// addSecret adds s and the parts of it that may be echoed alone.
func addSecret(s string, out *[]string) {
	if s == "" {
		return
	}
	*out = append(*out, s)
	addURLSecrets(s, out)
	// "Bearer xyz" or "Basic xyz" in a header value: the credential alone.
	if scheme, rest, ok := strings.Cut(s, " "); ok && (strings.EqualFold(scheme, "bearer") || strings.EqualFold(scheme, "basic")) {
		*out = append(*out, strings.TrimSpace(rest))
	}
	// An InfluxDB 1.x token is "user:password".
	if !strings.Contains(s, "://") {
		if _, pass, ok := strings.Cut(s, ":"); ok && len(pass) >= 4 {
			*out = append(*out, pass)
		}
	}
}

// addURLSecrets adds the password of a URL with userinfo and the token path of a Slack webhook.
func addURLSecrets(s string, out *[]string) {
	if !strings.Contains(s, "://") {
		return
	}
	u, err := url.Parse(s)
	if err != nil {
		return
	}
	if u.User != nil {
		if p, ok := u.User.Password(); ok {
			*out = append(*out, p)
		}
	}
	if strings.EqualFold(u.Hostname(), "hooks.slack.com") {
		if _, tok, ok := strings.Cut(strings.Trim(u.Path, "/"), "/"); ok { // services/T…/B…/token
			*out = append(*out, tok)
			if i := strings.LastIndexByte(tok, '/'); i >= 0 {
				*out = append(*out, tok[i+1:])
			}
		}
	}
}

// credentialHeader reports whether a request header of this name carries a credential.
func credentialHeader(name string) bool {
	n := strings.ToLower(name)
	for _, w := range []string{"authorization", "api-key", "api_key", "apikey", "token", "secret", "password", "cookie"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}
