// Package public serves the cacheable public face of accesswatch that other sites embed or poll:
// state and uptime badges (SVG and Shields.io endpoint JSON), an Atlassian-Statuspage-compatible
// /api/v2/summary.json and /api/v1/uptime.
//
// Every answer is pre-rendered into an immutable snapshot (bytes, strong ETag, Last-Modified)
// that Rebuild replaces atomically, so a request costs a pointer load, a map lookup and a write:
// a traffic spike during a widely reported outage costs nothing.
//
// Endpoints (GET and HEAD; OPTIONS answers CORS preflight):
//
//	/badge/{provider}/{model}/{region}.svg|.json                   current state
//	/badge/{provider}/{model}/{region}/uptime/{24h|7d|30d}.svg|.json  uptime percentage
//	/api/v2/summary.json                                           Statuspage summary
//	/api/v1/uptime?provider=&model=&region=&window=24h|7d|30d|90d  uptime (all regions when region is empty)
//
// Choices: an unknown target answers 404 with a grey "not found" badge on .svg paths, a
// Shields "not found" JSON on .json badge paths and {"error":...} on the API. In summary.json
// a region whose state is unknown is reported as degraded_performance (we cannot vouch for
// it, but it is not a measured outage); revoked and down are major_outage; a (provider, model)
// group is major_outage when all its regions are, partial_outage when some are.
// The model segment of a badge path may contain slashes (models/gemini-2.5-pro).
package public
