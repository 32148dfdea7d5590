package metrics

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func TestVantagesReplace(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	m := New(reg, Options{})
	m.SetVantages([]VantageHealth{
		{ID: "de-1", Region: "de", Country: "DE", Healthy: true, LastSeen: t0},
		{ID: "ru-1", Region: "ru", Country: "RU"},
		{ID: "de-1", Region: "de", Country: "DE", Healthy: false, Verified: true, LastSeen: t0.Add(time.Minute)},
	})
	healthy := series(t, reg, "accesswatch_vantage_healthy")
	if len(healthy) != 2 || healthy["region=de,vantage=de-1"] != 0 {
		t.Errorf("healthy = %v, want two vantages, de-1 at its last entry (0)", healthy)
	}
	seen := series(t, reg, "accesswatch_vantage_last_seen_timestamp_seconds")
	if seen["region=ru,vantage=ru-1"] != 0 || seen["region=de,vantage=de-1"] != float64(t0.Add(time.Minute).Unix()) {
		t.Errorf("last seen = %v", seen)
	}
	if v := series(t, reg, "accesswatch_vantage_verified"); v["country=DE,region=de,vantage=de-1"] != 1 {
		t.Errorf("verified = %v", v)
	}
	m.SetVantages([]VantageHealth{{ID: "ru-1", Region: "ru", Country: "RU", Healthy: true}})
	if healthy := series(t, reg, "accesswatch_vantage_healthy"); len(healthy) != 1 || healthy["region=ru,vantage=ru-1"] != 1 {
		t.Errorf("after replace healthy = %v, want only ru-1 at 1", healthy)
	}
}

func TestStatsReadAtScrapeAndPrecreated(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	m := New(reg, Options{Agents: []string{"a", "b"}, Receivers: []string{"slack", "webhook"}})
	ingest := IngestStats{Agents: map[string]AgentIngest{}}
	m.RegisterIngest(func() IngestStats { return ingest })
	notif := map[string]NotifierStats{}
	m.RegisterNotifier(func() map[string]NotifierStats { return notif })
	var spool SpoolStats
	m.RegisterSpool(func() SpoolStats { return spool })
	m.RegisterStore(func() StoreStats { return StoreStats{Results: -1} })
	m.RegisterInflux(func() InfluxStats { return InfluxStats{} })

	if got := series(t, reg, "accesswatch_ingest_results_total"); len(got) != 6 || got["agent=b,outcome=rejected"] != 0 {
		t.Errorf("ingest results before any push = %v, want 2 agents × 3 outcomes at 0", got)
	}
	if got := series(t, reg, "accesswatch_agent_clock_offset_seconds"); len(got) != 0 {
		t.Errorf("clock offset exported before any push: %v", got)
	}
	if got := series(t, reg, "accesswatch_notifications_total"); len(got) != 8 {
		t.Errorf("notifications before any send = %v, want 2 receivers × 4 outcomes", got)
	}
	for _, name := range []string{"accesswatch_store_results", "accesswatch_influx_buffer_capacity_points"} {
		if got := series(t, reg, name); len(got) != 0 {
			t.Errorf("%s exported while unknown: %v", name, got)
		}
	}

	ingest.Agents["a"] = AgentIngest{Batches: 1, Accepted: 9, ClockOffset: -40 * time.Second, LastPush: t0}
	notif["slack"] = NotifierStats{Failed: 2}
	spool.Results = 12345
	if got := series(t, reg, "accesswatch_agent_clock_offset_seconds"); got["agent=a"] != -40 || len(got) != 1 {
		t.Errorf("clock offset = %v, want a at -40", got)
	}
	if got := series(t, reg, "accesswatch_notifications_total"); got["outcome=failed,receiver=slack"] != 2 {
		t.Errorf("notifications = %v", got)
	}
	if got := series(t, reg, "accesswatch_spool_results"); got[""] != 12345 {
		t.Errorf("spool results = %v", got)
	}
}
