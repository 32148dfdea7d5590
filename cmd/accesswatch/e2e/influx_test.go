package e2e

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	influxdb2 "github.com/influxdata/influxdb-client-go/v2"

	"github.com/accesswatch/accesswatch/collector/influx/fluxq"
	"github.com/accesswatch/accesswatch/collector/ingest/ingestload"
	"github.com/accesswatch/accesswatch/internal/config"
	"github.com/accesswatch/accesswatch/internal/model"
	"github.com/accesswatch/accesswatch/internal/push"
)

// TestCollectorWritesInflux pushes results to a collector configured with store.influx and
// reads them back from a real InfluxDB with the dashboards' Flux queries. scripts/test.sh starts
// InfluxDB 1.8.10 and sets INFLUX_URL; without it the test is skipped.
func TestCollectorWritesInflux(t *testing.T) {
	url, bucket := os.Getenv("INFLUX_URL"), os.Getenv("INFLUX_BUCKET")
	if url == "" || bucket == "" {
		t.Skip("INFLUX_URL/INFLUX_BUCKET not set: run through scripts/test.sh, which starts InfluxDB 1.8.10")
	}
	w := newWorld(t, "m")
	// 3,000 results of a provider no other test writes, 1 ms apart; the collector watches it.
	provider := fmt.Sprintf("e2e-influx-%d", time.Now().UnixNano())
	vs, fleet := ingestload.Fleet()
	var models []string
	for _, ms := range fleet {
		models = append(models, ms...)
	}
	cfg := fmt.Sprintf(`server: { listen: "{{LISTEN}}" }
store: { path: "{{DIR}}/c.db", influx: { url: %q, bucket: %q, flush_interval: 100ms } }
collector: { agents: [ { id: loadgen, tokens: ["${AGENT_TOKEN}"] } ] }
providers: [ { id: %s, kind: openai_compatible, base_url: "https://llm.example/v1", models: [%s] } ]
vantages:
`, url, bucket, provider, strings.Join(models, ", "))
	for _, v := range vs {
		cfg += fmt.Sprintf("  - { id: %s, region: %s, country: %s }\n", v.ID, v.Region, v.Country)
	}
	col := w.startMode(t, config.ModeCollector, "127.0.0.1:0", cfg, "", nil)

	start := time.Now().Add(-time.Minute).Truncate(time.Second)
	rs := ingestload.Synthetic(0, 3000, start)
	want := map[model.Class]int{}
	for i := range rs {
		rs[i].Provider = provider
		want[rs[i].Class]++
	}
	for i := 0; i < len(rs); i += 1000 {
		pushBatch(t, "http://"+col.svc.Addr(), rs[i:i+1000])
	}

	client := influxdb2.NewClient(url, "")
	defer client.Close()
	q := fluxq.ClassCounts(bucket, fluxq.Range{Start: start.Add(-time.Second).Format(time.RFC3339), Stop: start.Add(time.Minute).Format(time.RFC3339)},
		"1h", fluxq.Filter{Provider: provider})
	got := map[model.Class]int{}
	waitFor(t, "the points in InfluxDB", 20*time.Second, func() bool {
		clear(got)
		res, err := client.QueryAPI("").Query(context.Background(), q)
		if err != nil {
			t.Fatalf("flux: %v\n%s", err, q)
		}
		total := 0
		for res.Next() {
			n, _ := res.Record().Value().(int64)
			got[model.Class(fmt.Sprint(res.Record().ValueByKey("class")))] += int(n)
			total += int(n)
		}
		return total >= len(rs)
	})
	for c, n := range want {
		if got[c] != n {
			t.Errorf("class %s: InfluxDB counts %d, pushed %d", c, got[c], n)
		}
	}
}

func pushBatch(t *testing.T, base string, rs []model.Result) {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if err := json.NewEncoder(zw).Encode(push.Batch{Agent: "loadgen", SentAt: time.Now(), Results: rs}); err != nil {
		t.Fatal(err)
	}
	_ = zw.Close()
	req, _ := http.NewRequest(http.MethodPost, base+push.Path, &buf)
	req.Header.Set("Authorization", "Bearer "+agentToken)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Content-Encoding", "gzip")
	req.Header.Set(push.HeaderAgent, "loadgen")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("push: HTTP %d", resp.StatusCode)
	}
}
