package influx

import (
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/influxdata/influxdb-client-go/v2/api/write"

	"github.com/accesswatch/accesswatch/internal/model"
	"github.com/accesswatch/accesswatch/internal/testkit"
)

// full is a Result with every field Point reads set.
func full() model.Result {
	t := time.Date(2024, 3, 1, 12, 0, 0, 123456789, time.UTC)
	return model.Result{
		ID: "17b8e3c1d2a4f000deadbeefcafef00d", SchemaVersion: 1,
		Time: t, ScheduledAt: t.Add(-time.Second), ReceivedAt: t.Add(1500 * time.Millisecond),
		Vantage: "fra-1", Region: "eu-central", Country: "DE",
		Provider: "anthropic", Kind: "anthropic", Model: "claude-sonnet-4-5", Check: model.CheckGenerate,
		Method: "POST", URL: "https://api.anthropic.com/v1/messages", HTTPStatus: 403,
		Classification: model.Classification{Layer: model.LayerAPI, Class: model.ClassGeoBlocked,
			Access: model.AccessRevoked, Signature: `anthropic:403:permission_error:Request not allowed`,
			Failure: "", Rule: "anthropic.geo"},
		Timings:  model.Timings{DNSMs: 1.5, ConnectMs: 10.25, TLSMs: 20, FirstByteMs: 180.5, TotalMs: 190},
		RemoteIP: "160.79.104.10", TLSVersion: "TLS1.3", CertSHA256: "ab",
		RequestID: "req_011CX", EdgeColo: "FRA", EdgeRegion: "x", Excerpt: `{"error":{}}`, Error: "",
		EgressIP: "203.0.113.7", EgressASN: 64500, VantageMismatch: true,
	}
}

func TestPointGolden(t *testing.T) {
	t.Parallel()
	netFail := full()
	netFail.HTTPStatus, netFail.RequestID, netFail.EdgeColo, netFail.RemoteIP = 0, "", "", ""
	netFail.Classification = model.Classification{Layer: model.LayerTCP, Class: model.ClassConnectionReset,
		Access: model.AccessFault, Signature: "tcp:connection_reset", Failure: "connection_reset"}
	netFail.Timings = model.Timings{DNSMs: 2, ConnectMs: 0, TotalMs: 30000}
	netFail.ReceivedAt = time.Time{}
	netFail.VantageMismatch = false

	control := full()
	control.Model, control.Check, control.Class, control.Access, control.Signature = "", model.CheckControl, model.ClassOK, model.AccessAvailable, "control:ok"
	control.HTTPStatus = 200

	odd := full()
	odd.Vantage, odd.Region = "sydney 2,b=c", `eu\west`
	odd.Signature = "openai:404:\"model\" not found\nline two"
	odd.Timings = model.Timings{DNSMs: math.NaN(), TLSMs: math.Inf(1), TotalMs: math.Inf(-1)}

	ok := full()
	ok.Class, ok.Access, ok.Signature, ok.HTTPStatus = model.ClassOK, model.AccessAvailable, "anthropic:ok", 200

	cases := []struct {
		name string
		r    model.Result
	}{
		{"geo_blocked_all_fields", full()},
		{"ok", ok},
		{"network_failure", netFail},
		{"control_without_model", control},
		{"escaping_and_non_finite", odd},
	}
	var got strings.Builder
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			line := write.PointToLineProtocol(Point(c.r), time.Nanosecond)
			if !strings.HasPrefix(line, Measurement+",") || !strings.HasSuffix(line, " 1709294400123456789\n") {
				t.Fatalf("want a point in %s at the result's time in ns, got %q", Measurement, line)
			}
		})
		got.WriteString("# " + c.name + "\n")
		got.WriteString(write.PointToLineProtocol(Point(c.r), time.Nanosecond))
	}
	golden(t, "points.golden", got.String())
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	testkit.Golden(t, path, []byte(got))
}

// TestSchemaListsMatchPoint keeps Tags and Fields (which fluxq and the README rely on) equal to
// what Point writes for a fully populated result.
func TestSchemaListsMatchPoint(t *testing.T) {
	t.Parallel()
	r := full()
	r.Failure = "generic_timeout_error" // the one optional field full leaves empty

	// and the retirement date, which only models checks read
	retires := time.Date(2026, 7, 31, 12, 0, 0, 0, time.UTC)
	r.RetiresAt = &retires
	p := Point(r)
	if p.Name() != Measurement {
		t.Fatalf("measurement %q", p.Name())
	}
	var tags []string
	for _, tg := range p.TagList() {
		tags = append(tags, tg.Key)
	}
	if !slices.Equal(tags, Tags()) {
		t.Errorf("tags written %v, Tags() %v", tags, Tags())
	}
	want := Fields()
	if len(p.FieldList()) != len(want) {
		t.Errorf("%d fields written, Fields() has %d", len(p.FieldList()), len(want))
	}
	for _, f := range p.FieldList() {
		var typ string
		switch f.Value.(type) {
		case int64:
			typ = "integer"
		case float64:
			typ = "float"
		case string:
			typ = "string"
		case bool:
			typ = "boolean"
		}
		if want[f.Key] != typ {
			t.Errorf("field %s written as %s, Fields() says %q", f.Key, typ, want[f.Key])
		}
	}
	if !p.Time().Equal(r.Time) {
		t.Errorf("time %v, want %v", p.Time(), r.Time)
	}
}

// TestSlimKeepsThePoint: what the buffer strips must not change what is written.
func TestSlimKeepsThePoint(t *testing.T) {
	t.Parallel()
	r := full()
	r.Failure = "x"
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	a := write.PointToLineProtocol(Point(r), time.Nanosecond)
	b := write.PointToLineProtocol(Point(slim(r, now)), time.Nanosecond)
	if a != b {
		t.Errorf("slim changed the point:\n%s%s", a, b)
	}
	r.Time = time.Time{}
	if got := slim(r, now).Time; !got.Equal(now) {
		t.Errorf("zero time stamped %v, want %v", got, now)
	}
}
