package export

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/accesswatch/accesswatch/collector/store"
	"github.com/accesswatch/accesswatch/internal/model"
	"github.com/accesswatch/accesswatch/internal/testkit"
)

var base = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// sample returns result i: a full one (odd i) or a sparse one (even i), with CSV-hostile
// text in the excerpt.
func sample(i int) model.Result {
	tm := base.Add(time.Duration(i) * time.Second)
	r := model.Result{
		ID: fmt.Sprintf("%016x%04d", tm.UnixNano(), i), SchemaVersion: model.SchemaVersion, Time: tm,
		Vantage: "in-mum-1", Region: "in", Country: "IN", Provider: "anthropic", Kind: "anthropic",
		Model: "claude-x", Check: model.CheckGenerate, Method: "POST", URL: "https://api.example.test/v1/messages",
	}
	if i%2 == 1 {
		r.ReceivedAt = tm.Add(1500 * time.Millisecond)
		r.EndedAt = tm.Add(41250 * time.Microsecond)
		r.HTTPStatus = 403
		r.Classification = model.Classification{Layer: model.LayerAPI, Class: model.ClassGeoBlocked,
			Access: model.AccessRevoked, Signature: "anthropic/403/forbidden_region", Failure: "http_403"}
		r.Timings = model.Timings{TotalMs: 41.25}
		r.RemoteIP, r.TLSVersion, r.CertSHA256 = "127.0.0.9", "TLS 1.3", "ab12"
		r.RequestID, r.EdgeColo, r.EdgeRegion = "req_011CX", "BOM", "ap-south-1"
		r.Excerpt = "{\"error\":{\"message\":\"Request not allowed, \\\"region\\\"\"}}\nline two"
		r.EgressIP, r.EgressASN = "127.0.1.1", 64500
	} else {
		r.Classification = model.Classification{Layer: model.LayerTCP, Class: model.ClassTimeout,
			Access: model.AccessFault, Signature: "tcp/timeout", Failure: "generic_timeout_error"}
		r.Timings = model.Timings{TotalMs: 10000}
	}
	return r
}

func samples(n int) func(func(model.Result) error) error {
	return func(fn func(model.Result) error) error {
		for i := range n {
			if err := fn(sample(i)); err != nil {
				return err
			}
		}
		return nil
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	testkit.Golden(t, path, got)
}

func TestWriteGolden(t *testing.T) {
	for _, tt := range []struct {
		name  string
		write func(*bytes.Buffer) error
	}{
		{"export.csv", func(b *bytes.Buffer) error { return WriteCSV(b, samples(3)) }},
		{"export.jsonl", func(b *bytes.Buffer) error { return WriteJSONL(b, samples(3)) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tt.write(&b); err != nil {
				t.Fatal(err)
			}
			golden(t, tt.name, b.Bytes())
		})
	}
}

func TestCSVRoundTrip(t *testing.T) {
	var b bytes.Buffer
	if err := WriteCSV(&b, samples(2)); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 || !slices.Equal(recs[0], Columns()) {
		t.Fatalf("records = %d, header %v", len(recs), recs[0])
	}
	col := func(rec []string, name string) string { return rec[slices.Index(Columns(), name)] }
	full := sample(1)
	for name, want := range map[string]string{
		"time": "2026-03-01T12:00:01Z", "received_at": "2026-03-01T12:00:02.5Z", "excerpt": full.Excerpt,
		"egress_asn": "64500", "http_status": "403", "total_ms": "41.25", "result_id": full.ID,
		"signature": "anthropic/403/forbidden_region", "request_id": "req_011CX", "edge_colo": "BOM",
		"ended_at": "2026-03-01T12:00:01.04125Z",
	} {
		if got := col(recs[2], name); got != want {
			t.Errorf("column %s = %q, want %q", name, got, want)
		}
	}
	for _, name := range []string{"received_at", "egress_asn", "http_status", "request_id", "ended_at"} {
		if got := col(recs[1], name); got != "" {
			t.Errorf("sparse result: column %s = %q, want empty", name, got)
		}
	}
}

func TestJSONLRoundTrip(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJSONL(&b, samples(4)); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d lines, want 4", len(lines))
	}
	for i, l := range lines {
		var r model.Result
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatal(err)
		}
		want := sample(i)
		if r.ID != want.ID || r.Excerpt != want.Excerpt || r.Signature != want.Signature || !r.Time.Equal(want.Time) {
			t.Errorf("line %d = %+v", i, r)
		}
	}
}

func TestWriteStopsOnError(t *testing.T) {
	stop := errors.New("source failed")
	next := func(fn func(model.Result) error) error {
		_ = fn(sample(1))
		return stop
	}
	if err := WriteCSV(&bytes.Buffer{}, next); !errors.Is(err, stop) {
		t.Errorf("WriteCSV = %v", err)
	}
	if err := WriteJSONL(&bytes.Buffer{}, next); !errors.Is(err, stop) {
		t.Errorf("WriteJSONL = %v", err)
	}
	if err := WriteCSV(failWriter{}, samples(200)); err == nil {
		t.Error("WriteCSV to a failing writer = nil")
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

// *store.Store must satisfy Source.
var _ Source = (*store.Store)(nil)

// wait bounds a test's blocking steps.
func wait(t *testing.T) (context.Context, context.CancelFunc) {
	t.Helper()
	return context.WithTimeout(context.Background(), 20*time.Second)
}
