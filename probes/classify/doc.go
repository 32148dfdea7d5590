// Package classify turns one observed exchange with a vendor API (an HTTP answer or a
// transport failure) into a model.Classification: a closed class, the layer that decided it,
// what it means for access, and a stable, human-readable signature.
//
// Classification is data-driven: each provider kind has a rule table, evaluated first-match
// before a generic table and a status-class fallback (rules.go). Error bodies are parsed once
// into a small flat struct (body.go). Signatures are normalised (normalise.go) so that the same
// failure seen from different vantages, runs, keys and models gives one signature, and secrets
// never reach it. Transport errors are mapped to OONI-style failure strings (failure.go).
//
// The package is pure: no I/O, no clock, no package-level mutable state; the rule tables are
// read-only. It is imported by the probes and by tools that re-classify stored answers.
package classify
