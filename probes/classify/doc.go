// Package classify turns one observed exchange with a vendor API (an HTTP answer or a
// transport failure) into a model.Classification: a closed class, the layer that decided it,
// what it means for access, and a stable, human-readable signature.
//
// # The positive-evidence rule
//
// A false revocation is the one mistake the product must never make, so every rule follows this:
//
//   - revoked needs positive evidence of a vendor's policy decision: an answer in the vendor's
//     own error shape (or a page of the vendor's CDN, attributed by a well-formed cf-ray with a
//     cloudflare server, or Cloudflare's own error page) that names the policy: the caller's
//     country or region is not supported (geo_blocked), the model is gone, retired, deprecated
//     or does not exist (model_unavailable). Cloudflare's explicit country ban (1009) counts.
//   - our own key, billing, project and organisation settings, our request and the vantage's own
//     network are never a revocation: they are misconfigured. Rules for them come before the
//     policy rules of the same vendor (a project's model allow-list says "does not have access to
//     model", a quota of zero is a plan without the model, the Gemini free tier missing in a
//     country is fixed by linking billing). A proxy, firewall or filter on the vantage's network
//     (Zscaler, Netskope, Squid, FortiGuard, Palo Alto, …), recognised by its page or headers,
//     is a blocked_page that is misconfigured.
//   - what cannot be attributed is unknown: a block page with no vendor or CDN mark, a Cloudflare
//     firewall, IP-ban or challenge page, a bare "Permission denied", a 404 on a model's path
//     whose body names no model. model.AccessOf therefore defaults access_denied and
//     blocked_page to unknown; only a rule may make them more.
//   - a 2xx is ok only with the success shape of its check (a models list, a model, a token
//     count, a generation with choices, content or candidates). An empty, garbled or
//     error-carrying 2xx is unexpected_response (or server_error when a choice finished with
//     "error"), never ok. A generation stopped by our one-token budget is ok, and so is OpenAI's
//     400 "Could not finish the message because max_tokens …": the model ran.
//
// The rule tables in rules.go are evaluated first-match: proxy pages, CDN pages, the provider
// kind's table, a generic table, then a status-class fallback that never says revoked by status
// alone. Every rule is exercised by a fixture (testdata/fixtures), a real answer of the corpus
// (testdata/corpus: each with its public source, date and why its class is what it is) or a
// rule case.
//
// Bodies are parsed once into a small flat struct (body.go); relays' wrappings (OpenRouter's
// metadata.raw, error-in-error, an upstream body quoted in LiteLLM's or one-api's message) are
// unwrapped and the upstream's answer classified with its own vendor's table. Signatures are
// normalised (normalise.go) so that the same failure seen from different vantages, runs, keys and
// models gives one signature; one too long to keep ends in a hash of the whole, so failures that
// differ late in a long message stay apart. Transport errors map to OONI-style failure strings
// (failure.go).
//
// Secrets are removed from an exchange before it reaches this package (the runner scrubs
// headers, body and error text of every configured secret first); Normalise also masks anything
// key-shaped.
//
// The package is pure: no I/O, no clock, no package-level mutable state; the rule tables are
// read-only. It is imported by the probes and by tools that re-classify stored answers.
package classify
