package metrics

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func TestSkippedCounter(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := New(reg, smallOptions())
	m.AddSkipSeries("de-1", "anthropic", "generate")
	m.AddSkipSeries("de-1", "", "control")
	for range 3 {
		m.ObserveSkipped("de-1", "anthropic", "generate")
	}
	got := series(t, reg, "accesswatch_probe_skipped_total")
	want := map[string]float64{
		"check=generate,provider=anthropic,vantage=de-1": 3,
		"check=control,provider=,vantage=de-1":           0,
	}
	if len(got) != len(want) {
		t.Fatalf("series %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v (all: %v)", k, got[k], v, got)
		}
	}
}
