package fluxq_test

// Writes a few hundred results through collector/influx into a real InfluxDB (INFLUX_URL, e.g.
// from scripts/influxd.sh) and reads them back with every query of fluxq.

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"regexp"
	"slices"
	"testing"
	"time"

	influxdb2 "github.com/influxdata/influxdb-client-go/v2"
	"github.com/influxdata/influxdb-client-go/v2/api/query"

	"github.com/accesswatch/accesswatch/collector/influx"
	"github.com/accesswatch/accesswatch/collector/influx/fluxq"
	"github.com/accesswatch/accesswatch/internal/model"
)

type db struct{ url, token, org, bucket string }

func fromEnv(t *testing.T) db {
	t.Helper()
	u := os.Getenv("INFLUX_URL")
	if u == "" {
		t.Skip(`INFLUX_URL not set: start InfluxDB 1.8 with eval "$(scripts/influxd.sh)" to run the Flux integration tests`)
	}
	b := os.Getenv("INFLUX_BUCKET")
	if b == "" {
		b = "accesswatch/autogen"
	}
	return db{url: u, token: os.Getenv("INFLUX_TOKEN"), org: os.Getenv("INFLUX_ORG"), bucket: b}
}

// base is on an hour boundary, so a "1h" window holds the whole data set.
var base = time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC)

type group struct {
	provider, kind, model, region, vantage, country, check string
	ok, failed                                             int
	fail                                                   model.Classification
}

// dataset is 300 results over two providers, two regions and a control check, in shuffled time
// order so that "latest" is not simply "last group".
func dataset(run string) []model.Result {
	geo := model.Classification{Layer: model.LayerAPI, Class: model.ClassGeoBlocked, Access: model.AccessRevoked,
		Signature: `anthropic:403:permission_error:"Request not allowed" \ region`}
	busy := model.Classification{Layer: model.LayerAPI, Class: model.ClassOverloaded, Access: model.AccessFault,
		Signature: "openai:529:overloaded_error:Overloaded"}
	reset := model.Classification{Layer: model.LayerTCP, Class: model.ClassConnectionReset, Access: model.AccessFault,
		Signature: "tcp:connection_reset", Failure: "connection_reset"}
	groups := []group{
		{run + "-a", "anthropic", "claude-x", "eu", "fra-1", "DE", model.CheckGenerate, 30, 10, geo},
		{run + "-a", "anthropic", "claude-x", "us", "iad-1", "US", model.CheckGenerate, 200, 0, geo},
		{run + "-b", "openai", "gpt-y", "eu", "fra-1", "DE", model.CheckModels, 5, 15, busy},
		{run + "-b", "openai", "gpt-y", "us", "iad-1", "US", model.CheckModels, 0, 5, reset},
		{run + "-a", "anthropic", "", "eu", "fra-1", "DE", model.CheckControl, 35, 0, geo},
	}
	var rs []model.Result
	for _, g := range groups {
		for i := range g.ok + g.failed {
			r := model.Result{Vantage: g.vantage, Region: g.region, Country: g.country, Provider: g.provider,
				Kind: g.kind, Model: g.model, Check: g.check, HTTPStatus: 200,
				Classification: model.Classification{Layer: model.LayerAPI, Class: model.ClassOK,
					Access: model.AccessAvailable, Signature: g.kind + ":ok"},
				Timings:   model.Timings{DNSMs: 2, ConnectMs: 10, TLSMs: 20, FirstByteMs: 100, TotalMs: float64(i%100 + 1)},
				RequestID: fmt.Sprintf("req_%d", i), EdgeColo: "FRA", RemoteIP: "192.0.2.1", EgressIP: "198.51.100.1"}
			if g.check == model.CheckModels { // a list that dates the model's retirement
				retires := base.Add(90 * 24 * time.Hour)
				r.RetiresAt = &retires
			}
			if i >= g.ok {
				r.Classification, r.HTTPStatus = g.fail, 403
				if g.fail.Failure != "" {
					r.HTTPStatus, r.RequestID, r.EdgeColo = 0, "", ""
					r.Timings = model.Timings{DNSMs: 2, TotalMs: 5}
				}
			}
			rs = append(rs, r)
		}
	}
	rng := rand.New(rand.NewPCG(4, 6))
	rng.Shuffle(len(rs), func(i, j int) { rs[i], rs[j] = rs[j], rs[i] })
	for i := range rs {
		rs[i].Time = base.Add(time.Duration(i) * 7 * time.Second)
		rs[i].ReceivedAt = rs[i].Time.Add(250 * time.Millisecond)
		rs[i].ID = model.NewID(rs[i].Time)
	}
	return rs
}

func write(t *testing.T, d db, rs []model.Result) {
	t.Helper()
	w, err := influx.New(influx.Options{URL: d.url, Token: d.token, Org: d.org, Bucket: d.bucket,
		BatchSize: 64, FlushInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	w.Add(rs)
	for deadline := time.Now().Add(30 * time.Second); w.Stats().Written < uint64(len(rs)); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("not written: %+v", w.Stats())
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

type row = map[string]any

func run(t *testing.T, d db, q string) []row {
	t.Helper()
	c := influxdb2.NewClient(d.url, d.token)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := c.QueryAPI(d.org).Query(ctx, q)
	if err != nil {
		t.Fatalf("%v in\n%s", err, q)
	}
	var rows []row
	for res.Next() {
		rows = append(rows, values(res.Record()))
	}
	if res.Err() != nil {
		t.Fatalf("%v in\n%s", res.Err(), q)
	}
	return rows
}

func values(r *query.FluxRecord) row {
	v := row{}
	for k, x := range r.Values() {
		if k != "result" && k != "table" {
			v[k] = x
		}
	}
	return v
}

func key(parts ...any) string { return fmt.Sprint(parts...) }

// fixture is the data written once and what the checks query it with.
type fixture struct {
	d   db
	run string // this run's id: every provider name starts with it
	rs  []model.Result
	r   fluxq.Range
	f   fluxq.Filter
}

func TestQueriesAgainstInfluxDB(t *testing.T) {
	d := fromEnv(t)
	id := fmt.Sprintf("fq%x", time.Now().UnixNano())
	fx := &fixture{d: d, run: id, rs: dataset(id),
		r: fluxq.Range{Start: base.Format(time.RFC3339), Stop: base.Add(time.Hour).Format(time.RFC3339)},
		f: fluxq.Filter{Provider: regexp.QuoteMeta(id) + "-.*", Regex: true}}
	write(t, d, fx.rs)
	for _, c := range []struct {
		name  string
		check func(*testing.T, *fixture)
	}{
		{"schema", checkSchema},
		{"availability", checkAvailability},
		{"latency", checkLatency},
		{"class_counts", checkClassCounts},
		{"signature_counts", checkSignatureCounts},
		{"latest_by_signature", checkLatest},
		{"vantage_last_seen", checkLastSeen},
		{"access", checkAccess},
		{"exact_filter", checkExactFilter},
		{"tag_values", checkTagValues},
	} {
		t.Run(c.name, func(t *testing.T) { c.check(t, fx) })
	}
}

func checkAvailability(t *testing.T, fx *fixture) {
	want := map[string]float64{}
	n := map[string]float64{}
	for _, x := range fx.rs {
		if x.Model != "" {
			k := key(x.Provider, "/", x.Model, "/", x.Region)
			n[k]++
			if x.OK() {
				want[k]++
			}
		}
	}
	for k := range n {
		want[k] /= n[k]
	}
	if want[key(fx.run, "-a/claude-x/eu")] != 0.75 {
		t.Fatalf("data set changed: %v", want)
	}
	got := map[string]float64{}
	for _, x := range run(t, fx.d, fluxq.Availability(fx.d.bucket, fx.r, "1h", fx.f)) {
		got[key(x["provider"], "/", x["model"], "/", x["region"])] = num(t, x["_value"])
	}
	equalMaps(t, got, want)
}

func checkLatency(t *testing.T, fx *fixture) {
	got := map[string]float64{}
	for _, x := range run(t, fx.d, fluxq.LatencyQuantile(fx.d.bucket, fx.r, "1h", 0.95, fx.f)) {
		got[key(x["provider"], "/", x["region"], "/", x["_field"])] = num(t, x["_value"])
	}
	// anthropic in us: 200 results with total_ms 1..100 twice over; every other phase constant.
	us := func(f string) float64 { return got[key(fx.run, "-a/us/", f)] }
	if p := us(influx.FieldTotalMs); p < 92 || p > 98 {
		t.Errorf("p95 total_ms = %v, want about 95 (all %v)", p, got)
	}
	for f, want := range map[string]float64{influx.FieldDNSMs: 2, influx.FieldConnectMs: 10, influx.FieldTLSMs: 20, influx.FieldFirstByteMs: 100} {
		if us(f) != want {
			t.Errorf("p95 %s = %v, want %v", f, us(f), want)
		}
	}
	if len(got) != 4*5-3 { // 4 provider×region pairs × 5 phases, less b/us's connect, tls, first byte (resets)
		t.Errorf("%d series: %v", len(got), got)
	}
}

func checkClassCounts(t *testing.T, fx *fixture) {
	want := map[string]float64{}
	for _, x := range fx.rs {
		want[key(x.Region, "/", x.Class)]++
	}
	got := map[string]float64{}
	for _, x := range run(t, fx.d, fluxq.ClassCounts(fx.d.bucket, fx.r, "1h", fx.f)) {
		got[key(x["region"], "/", x["class"])] = num(t, x["_value"])
	}
	equalMaps(t, got, want)
}

func checkSignatureCounts(t *testing.T, fx *fixture) {
	want := map[string]float64{}
	for _, x := range fx.rs {
		want[key(x.Region, "/", x.Class, "/", x.Signature)]++
	}
	got := map[string]float64{}
	for _, x := range run(t, fx.d, fluxq.SignatureCounts(fx.d.bucket, fx.r, "1h", fx.f)) {
		got[key(x["region"], "/", x["class"], "/", x["signature"])] = num(t, x["_value"])
	}
	equalMaps(t, got, want)
}

func checkLastSeen(t *testing.T, fx *fixture) {
	want := map[string]time.Time{}
	for _, x := range fx.rs {
		want[x.Vantage] = maxTime(want[x.Vantage], x.Time)
	}
	rows := run(t, fx.d, fluxq.VantageLastSeen(fx.d.bucket, fx.r, fx.f))
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d: %v", len(rows), len(want), rows)
	}
	for _, x := range rows {
		v := fmt.Sprint(x["vantage"])
		if !tm(t, x["_time"]).Equal(want[v]) || x["region"] == nil || x["country"] == nil {
			t.Errorf("%s: %v, want last seen %v", v, x, want[v])
		}
	}
}

// checkTagValues runs the dashboards' template-variable query: every provider this run wrote is
// offered (the range of TagValues starts at the range's start and runs to now).
func checkTagValues(t *testing.T, fx *fixture) {
	got := map[string]bool{}
	for _, x := range run(t, fx.d, fluxq.TagValues(fx.d.bucket, influx.TagProvider, fx.r)) {
		got[fmt.Sprint(x["_value"])] = true
	}
	for _, x := range fx.rs {
		if !got[x.Provider] {
			t.Errorf("provider %q not among the tag values %v", x.Provider, got)
			return
		}
	}
}

// checkExactFilter runs a query with exact (not regex) filters on every filterable tag.
func checkExactFilter(t *testing.T, fx *fixture) {
	ef := fluxq.Filter{Provider: fx.run + "-b", Region: "eu", Vantage: "fra-1", Model: "gpt-y"}
	got := map[string]float64{}
	for _, x := range run(t, fx.d, fluxq.ClassCounts(fx.d.bucket, fx.r, "1h", ef)) {
		got[fmt.Sprint(x["class"])] = num(t, x["_value"])
	}
	if len(got) != 2 || got["ok"] != 5 || got["overloaded"] != 15 {
		t.Errorf("class counts for b/eu: %v", got)
	}
}

func checkLatest(t *testing.T, fx *fixture) {
	d, rs, r, f := fx.d, fx.rs, fx.r, fx.f
	latest := map[string]model.Result{}
	for _, x := range rs {
		if x.Time.After(latest[x.Signature].Time) {
			latest[x.Signature] = x
		}
	}
	rows := run(t, d, fluxq.LatestBySignature(d.bucket, r, f))
	if len(rows) != len(latest) {
		t.Fatalf("%d rows, want %d signatures: %v", len(rows), len(latest), rows)
	}
	for i, x := range rows {
		want := latest[fmt.Sprint(x["signature"])] // a mangled signature (escaping) finds nothing
		if x["result_id"] != want.ID || !tm(t, x["_time"]).Equal(want.Time) || x["vantage"] != want.Vantage {
			t.Errorf("signature %q: %v, want id %s at %v", x["signature"], x, want.ID, want.Time)
		}
		if i > 0 && tm(t, x["_time"]).After(tm(t, rows[i-1]["_time"])) {
			t.Errorf("not newest first at row %d", i)
		}
	}
}

func checkAccess(t *testing.T, fx *fixture) {
	d, rs, r, f := fx.d, fx.rs, fx.r, fx.f
	latest := map[string]model.Result{}
	for _, x := range rs {
		k := key(x.Provider, "/", x.Model, "/", x.Region)
		if x.Model != "" && x.Time.After(latest[k].Time) {
			latest[k] = x
		}
	}
	timeline := map[string]string{}
	for _, x := range run(t, d, fluxq.AccessTimeline(d.bucket, r, "1h", f)) {
		timeline[key(x["provider"], "/", x["model"], "/", x["region"])] = fmt.Sprint(x["_value"])
	}
	current := map[string]string{}
	for _, x := range run(t, d, fluxq.CurrentAccess(d.bucket, r, f)) {
		current[key(x["provider"], "/", x["model"], "/", x["region"])] = fmt.Sprint(x["access"], "/", x["class"])
	}
	if len(timeline) != len(latest) || len(current) != len(latest) {
		t.Fatalf("timeline %v, current %v, want %d keys", timeline, current, len(latest))
	}
	for k, x := range latest {
		if timeline[k] != string(x.Access) || current[k] != fmt.Sprint(x.Access, "/", x.Class) {
			t.Errorf("%s: timeline %q, current %q; want %s/%s", k, timeline[k], current[k], x.Access, x.Class)
		}
	}
}

// checkSchema reads back which tags and fields the points carry, with their types, and checks
// that the schema constants and every fluxq query agree with it.
func checkSchema(t *testing.T, fx *fixture) {
	d, r, f := fx.d, fx.r, fx.f
	raw := fmt.Sprintf("from(bucket: %q)\n  |> range(start: %s, stop: %s)\n  |> filter(fn: (r) => r._measurement == %q)\n  |> limit(n: 1)\n",
		d.bucket, r.Start, r.Stop, influx.Measurement)
	tags, fields := map[string]bool{}, map[string]string{}
	for _, x := range run(t, d, raw) {
		if !regexp.MustCompile(`^` + f.Provider + `$`).MatchString(fmt.Sprint(x["provider"])) {
			continue // another run's points
		}
		for k := range x {
			if k[0] != '_' {
				tags[k] = true
			}
		}
		fields[fmt.Sprint(x["_field"])] = influxType(x["_value"])
	}
	wantTags := influx.Tags()
	if got := sortedKeys(tags); !slices.Equal(got, wantTags) {
		t.Errorf("tags in InfluxDB %v, schema %v", got, wantTags)
	}
	equalMaps(t, fields, influx.Fields())
	for _, q := range fluxq.All(d.bucket, r, "1h", f) {
		refs := fluxq.References(q.Query)
		for _, fd := range refs.Fields {
			if fields[fd] == "" {
				t.Errorf("%s: field %q not in InfluxDB", q.Name, fd)
			}
		}
		for _, c := range refs.Columns {
			if !tags[c] && fields[c] == "" && c[0] != '_' {
				t.Errorf("%s: column %q neither a tag nor a field in InfluxDB", q.Name, c)
			}
		}
	}
}

// num is a numeric column's value; anything else fails the test.
func num(t *testing.T, v any) float64 {
	t.Helper()
	switch x := v.(type) {
	case float64:
		return x
	case int64:
		return float64(x)
	}
	t.Fatalf("%v (%T) is not a number", v, v)
	return 0
}

// tm is a time column's value; anything else fails the test.
func tm(t *testing.T, v any) time.Time {
	t.Helper()
	x, ok := v.(time.Time)
	if !ok {
		t.Fatalf("%v (%T) is not a time", v, v)
	}
	return x
}

func influxType(v any) string {
	switch v.(type) {
	case int64:
		return "integer"
	case float64:
		return "float"
	case string:
		return "string"
	case bool:
		return "boolean"
	}
	return fmt.Sprintf("%T", v)
}

func sortedKeys[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func equalMaps[V comparable](t *testing.T, got, want map[string]V) {
	t.Helper()
	for _, k := range sortedKeys(want) {
		g, ok := got[k]
		if !ok || !near(g, want[k]) {
			t.Errorf("%s: got %v (present %v), want %v", k, g, ok, want[k])
		}
	}
	for _, k := range sortedKeys(got) {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected %s = %v", k, got[k])
		}
	}
}

func near[V comparable](a, b V) bool {
	if x, ok := any(a).(float64); ok {
		return math.Abs(x-any(b).(float64)) < 1e-9
	}
	return a == b
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
