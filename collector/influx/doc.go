// Package influx writes every probe Result to InfluxDB (2.x, 3.x, or 1.8+ through its
// v2-compatible API) with influxdb-client-go/v2, and owns the schema those points follow.
// The collector imports it; collector/influx/fluxq builds its Flux queries from the names exported here.
//
// # Schema
//
// One point per Result in measurement "probe", timestamp Result.Time in nanoseconds.
//
// Tags (bounded values only; an empty value leaves the tag out):
//
//	provider  configured provider name            anthropic, openai-eu
//	model     model id (empty for control checks) claude-sonnet-4-5
//	region    configured vantage region           eu-central
//	vantage   configured vantage name             fra-1
//	country   configured vantage country          DE
//	class     model.Class                         ok, geo_blocked, …
//	layer     model.Layer                         dns, tcp, tls, http, api
//	access    model.Access                        available, revoked, fault, misconfigured, unknown
//	check     check kind                          models, model, count_tokens, generate, control, status_page
//	kind      provider kind                       anthropic, openai, gemini, mistral, openai_compatible
//
// Fields:
//
//	ok                integer  1 when the model answered, else 0 (mean() is availability)
//	http_status       integer  omitted when no HTTP answer came back
//	dns_ms            float    phase latencies in ms; a phase that did not happen (0) is omitted
//	connect_ms        float
//	tls_ms            float
//	first_byte_ms     float
//	total_ms          float    always
//	signature         string   always (may be empty): the stable error signature
//	failure           string   OONI-style network failure, when there is one
//	request_id        string   vendor request id, when there is one
//	edge_colo         string   CDN edge (cf-ray), when there is one
//	remote_ip         string   the address connected to, when known
//	egress_ip         string   the vantage's verified egress address, when known
//	vantage_mismatch  boolean  always: egress country differs from the configured one
//	result_id         string   Result.ID, to fetch the full result (excerpt) from the collector API
//	received_lag_ms   float    ReceivedAt − Time, once a collector has received the result
//
// The body excerpt, URL and error text are not written: too large, and in the collector's store.
// A point is identified by its tags and timestamp, so rewriting a batch after an ambiguous
// failure overwrites the points with themselves instead of duplicating them.
//
// # Writing
//
// Writer.Add queues results in a bounded buffer and never blocks; Writer.Run sends batches with
// WriteAPIBlocking, retries transient failures (connection errors, 429, 5xx, 401/403/404) with
// exponential backoff while the buffer holds, and drops the oldest points, counted, only when
// the buffer is full.
package influx
