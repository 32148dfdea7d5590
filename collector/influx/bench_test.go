package influx

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/influxdata/influxdb-client-go/v2/api/write"

	"github.com/accesswatch/accesswatch/internal/model"
)

// benchResults is n results spread over 4 vantages × 5 models × 3 classes, like a fleet's.
func benchResults(n int, run string) []model.Result {
	classes := []model.Class{model.ClassOK, model.ClassGeoBlocked, model.ClassOverloaded}
	base := time.Date(2024, 3, 2, 0, 0, 0, 0, time.UTC)
	rs := make([]model.Result, n)
	for i := range rs {
		c := classes[i%3]
		rs[i] = model.Result{ID: fmt.Sprintf("%s-%08d", run, i), Time: base.Add(time.Duration(i) * time.Microsecond),
			ReceivedAt: base.Add(time.Duration(i)*time.Microsecond + 80*time.Millisecond),
			Vantage:    fmt.Sprintf("%s-v%d", run, i%4), Region: fmt.Sprintf("r%d", i%4), Country: "DE",
			Provider: "anthropic", Kind: "anthropic", Model: fmt.Sprintf("m%d", i%5), Check: model.CheckGenerate,
			HTTPStatus: 200, Classification: model.Classification{Layer: model.LayerAPI, Class: c,
				Access: model.AccessOf(c), Signature: "anthropic:" + string(c)},
			Timings:   model.Timings{DNSMs: 1, ConnectMs: 10, TLSMs: 20, FirstByteMs: 150 + float64(i%50), TotalMs: 200},
			RequestID: fmt.Sprintf("req_%d", i), RemoteIP: "160.79.104.10"}
	}
	return rs
}

// BenchmarkWriteInflux writes 100,000 results through a Writer into the InfluxDB at INFLUX_URL,
// as the collector's ingest would hand them over (1,000 a call), and reports points/s.
func BenchmarkWriteInflux(b *testing.B) {
	db := influxFromEnv(b)
	const n = 100_000
	var total time.Duration
	var runs int
	for b.Loop() {
		b.StopTimer()
		rs := benchResults(n, runID("bench"))
		w, err := New(Options{URL: db.url, Token: db.token, Org: db.org, Bucket: db.bucket,
			BufferSize: n, FlushInterval: 100 * time.Millisecond}) // default batch size: 1000
		if err != nil {
			b.Fatal(err)
		}
		stop := start(b, w)
		b.StartTimer()
		began := time.Now()
		for i := 0; i < n; i += 1000 {
			w.Add(rs[i : i+1000])
		}
		for deadline := time.Now().Add(2 * time.Minute); w.Stats().Written < n; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				b.Fatalf("not written within 2 minutes: %+v", w.Stats())
			}
		}
		total += time.Since(began)
		runs++
		b.StopTimer()
		stop()
		if st := w.Stats(); st.Dropped != 0 || st.Rejected != 0 {
			b.Fatalf("stats %+v", st)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(n*runs)/total.Seconds(), "points/s")
}

// BenchmarkPoint is the cost of building and encoding one point.
func BenchmarkPoint(b *testing.B) {
	r := full()
	var sb strings.Builder
	b.ReportAllocs()
	for b.Loop() {
		sb.Reset()
		write.PointToLineProtocolBuffer(Point(r), &sb, time.Nanosecond)
	}
}
