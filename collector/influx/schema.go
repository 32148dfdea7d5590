package influx

import (
	"math"
	"time"

	"github.com/influxdata/influxdb-client-go/v2/api/write"

	"github.com/accesswatch/accesswatch/internal/model"
)

// Measurement is the one measurement every Result is written to.
const Measurement = "probe"

// Tag keys. Only bounded values are tags: each comes from the configuration (provider, model,
// region, vantage, country, kind) or from a closed vocabulary (class, layer, access, check).
const (
	TagProvider = "provider"
	TagModel    = "model"
	TagRegion   = "region"
	TagVantage  = "vantage"
	TagCountry  = "country"
	TagClass    = "class"
	TagLayer    = "layer"
	TagAccess   = "access"
	TagCheck    = "check"
	TagKind     = "kind"
)

// Field keys. Unbounded values (signature, ids, addresses) are fields so they never create series.
const (
	FieldOK              = "ok"               // int 1 when the model answered, else 0: mean() is availability
	FieldHTTPStatus      = "http_status"      // int, omitted when no HTTP answer came back
	FieldDNSMs           = "dns_ms"           // float, omitted when the phase did not happen
	FieldConnectMs       = "connect_ms"       // float, omitted when the phase did not happen
	FieldTLSMs           = "tls_ms"           // float, omitted when the phase did not happen
	FieldFirstByteMs     = "first_byte_ms"    // float, omitted when the phase did not happen
	FieldTotalMs         = "total_ms"         // float, always
	FieldSignature       = "signature"        // string, always (may be empty)
	FieldFailure         = "failure"          // string, OONI-style network failure, omitted when empty
	FieldRequestID       = "request_id"       // string, omitted when empty
	FieldEdgeColo        = "edge_colo"        // string, omitted when empty
	FieldRemoteIP        = "remote_ip"        // string, omitted when empty
	FieldEgressIP        = "egress_ip"        // string, omitted when empty
	FieldVantageMismatch = "vantage_mismatch" // bool, always
	FieldResultID        = "result_id"        // string, omitted when the Result has no id
	FieldReceivedLagMs   = "received_lag_ms"  // float, ReceivedAt − Time, omitted before a collector received it
	FieldRetiresAt       = "retires_at"       // int, the vendor's published retirement date (Unix seconds), omitted when none
)

// Tags lists every tag key, sorted (the order the keys are written in).
func Tags() []string {
	return []string{TagAccess, TagCheck, TagClass, TagCountry, TagKind, TagLayer, TagModel,
		TagProvider, TagRegion, TagVantage}
}

// Fields lists every field key with its InfluxDB type ("integer", "float", "string", "boolean"),
// the names SHOW FIELD KEYS reports.
func Fields() map[string]string {
	return map[string]string{
		FieldOK: "integer", FieldHTTPStatus: "integer", FieldRetiresAt: "integer",
		FieldDNSMs: "float", FieldConnectMs: "float", FieldTLSMs: "float", FieldFirstByteMs: "float",
		FieldTotalMs: "float", FieldReceivedLagMs: "float",
		FieldSignature: "string", FieldFailure: "string", FieldRequestID: "string",
		FieldEdgeColo: "string", FieldRemoteIP: "string", FieldEgressIP: "string",
		FieldResultID:        "string",
		FieldVantageMismatch: "boolean",
	}
}

// Point is the schema: the one place a Result becomes an InfluxDB point.
// Its timestamp is r.Time (nanoseconds); a zero Time leaves the point without one.
func Point(r model.Result) *write.Point {
	p := write.NewPointWithMeasurement(Measurement)
	// Tags in key order (as Tags lists them): InfluxDB sorts them anyway, sorted input is cheaper.
	tag(p, TagAccess, string(r.Access))
	tag(p, TagCheck, r.Check)
	tag(p, TagClass, string(r.Class))
	tag(p, TagCountry, r.Country)
	tag(p, TagKind, r.Kind)
	tag(p, TagLayer, string(r.Layer))
	tag(p, TagModel, r.Model)
	tag(p, TagProvider, r.Provider)
	tag(p, TagRegion, r.Region)
	tag(p, TagVantage, r.Vantage)

	ok := int64(0)
	if r.OK() {
		ok = 1
	}
	p.AddField(FieldOK, ok)
	if r.HTTPStatus != 0 {
		p.AddField(FieldHTTPStatus, int64(r.HTTPStatus))
	}
	phase(p, FieldDNSMs, r.Timings.DNSMs)
	phase(p, FieldConnectMs, r.Timings.ConnectMs)
	phase(p, FieldTLSMs, r.Timings.TLSMs)
	phase(p, FieldFirstByteMs, r.Timings.FirstByteMs)
	p.AddField(FieldTotalMs, finite(r.Timings.TotalMs))
	p.AddField(FieldSignature, r.Signature)
	str(p, FieldFailure, r.Failure)
	str(p, FieldRequestID, r.RequestID)
	str(p, FieldEdgeColo, r.EdgeColo)
	str(p, FieldRemoteIP, r.RemoteIP)
	str(p, FieldEgressIP, r.EgressIP)
	p.AddField(FieldVantageMismatch, r.VantageMismatch)
	str(p, FieldResultID, r.ID)
	if !r.ReceivedAt.IsZero() && !r.Time.IsZero() {
		p.AddField(FieldReceivedLagMs, float64(r.ReceivedAt.Sub(r.Time))/float64(time.Millisecond))
	}
	if r.RetiresAt != nil {
		p.AddField(FieldRetiresAt, r.RetiresAt.Unix())
	}
	if !r.Time.IsZero() {
		p.SetTime(r.Time)
	}
	return p
}

// tag adds a tag unless empty: line protocol cannot carry an empty tag value.
func tag(p *write.Point, k, v string) {
	if v != "" {
		p.AddTag(k, v)
	}
}

func str(p *write.Point, k, v string) {
	if v != "" {
		p.AddField(k, v)
	}
}

// phase adds a latency unless the phase did not happen (0) or the value cannot be encoded.
func phase(p *write.Point, k string, ms float64) {
	if ms > 0 && !math.IsInf(ms, 0) && !math.IsNaN(ms) {
		p.AddField(k, ms)
	}
}

// finite maps NaN and ±Inf (which would make the whole batch unencodable) to 0.
func finite(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}
