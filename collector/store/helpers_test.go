package store

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
)

// base is the fixed "now" of the tests.
var base = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func fixedNow() time.Time { return base }

func openStore(t testing.TB, o Options) *Store {
	t.Helper()
	if o.Path == "" {
		o.Path = filepath.Join(t.TempDir(), "sub", "results.db")
	}
	if o.Now == nil {
		o.Now = fixedNow
	}
	s, err := Open(context.Background(), o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// fullResult returns a Result with every field set, distinct per i.
func fullResult(i int) model.Result {
	tm := base.Add(-time.Duration(i) * time.Minute)
	return model.Result{
		ID:            fmt.Sprintf("%016x%016x", tm.UnixNano(), i),
		SchemaVersion: model.SchemaVersion,
		Time:          tm,
		EndedAt:       tm.Add(41500 * time.Microsecond),
		ScheduledAt:   tm.Add(-150 * time.Millisecond),
		ReceivedAt:    tm.Add(2 * time.Second),
		Vantage:       "in-mum-1",
		Region:        "in",
		Country:       "IN",
		Provider:      "anthropic",
		Kind:          "anthropic",
		Model:         "claude-x",
		Check:         model.CheckGenerate,
		Method:        "POST",
		URL:           "https://api.example.test/v1/messages",
		HTTPStatus:    403,
		Classification: model.Classification{
			Layer: model.LayerAPI, Class: model.ClassGeoBlocked, Access: model.AccessRevoked,
			Signature: "anthropic/403/forbidden_region", Failure: "http_403", Rule: "anthropic-region",
		},
		Timings:         model.Timings{DNSMs: 1.5, ConnectMs: 2.25, TLSMs: 3.125, FirstByteMs: 40, TotalMs: 41.5},
		RemoteIP:        "127.0.0.9",
		TLSVersion:      "TLS 1.3",
		CertSHA256:      "ab12",
		RequestID:       "req_123",
		EdgeColo:        "BOM",
		EdgeRegion:      "ap-south-1",
		Excerpt:         `{"error":{"type":"forbidden"}}`,
		Error:           "none",
		EgressIP:        "127.0.1.1",
		EgressASN:       64500,
		VantageMismatch: true,
		RetiresAt:       func() *time.Time { t := time.Date(2026, 7, 31, 12, 0, 0, 0, time.UTC); return &t }(),
		Replacement:     "claude-y",
	}
}

// requireAllFieldsSet fails when a field of v (recursively for structs) is zero, so a
// field added to model.Result must be added to fullResult and so gets round-trip tested.
func requireAllFieldsSet(t *testing.T, v reflect.Value, path string) {
	t.Helper()
	for i := range v.NumField() {
		f, name := v.Field(i), path+"."+v.Type().Field(i).Name
		if f.Kind() == reflect.Struct && f.Type() != reflect.TypeOf(time.Time{}) {
			requireAllFieldsSet(t, f, name)
			continue
		}
		if f.IsZero() {
			t.Errorf("fullResult leaves %s zero", name)
		}
	}
}

func ids(rs []model.Result) []string {
	out := make([]string, len(rs))
	for i := range rs {
		out[i] = rs[i].ID
	}
	return out
}

func mustCount(t *testing.T, s *Store) int64 {
	t.Helper()
	n, err := s.Count(context.Background())
	if err != nil {
		t.Fatalf("Count: %v", err)
	}
	return n
}
