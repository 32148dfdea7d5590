package dashboards

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/accesswatch/accesswatch/collector/influx/fluxq"
	"github.com/accesswatch/accesswatch/internal/metrics"
	"github.com/accesswatch/accesswatch/internal/model"
	"github.com/accesswatch/accesswatch/internal/testkit"
)

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	testkit.Golden(t, path, got)
}

func all(t *testing.T) []Dashboard {
	t.Helper()
	ds, err := All()
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func TestGolden(t *testing.T) {
	for _, d := range all(t) {
		t.Run(d.UID, func(t *testing.T) {
			golden(t, filepath.Join("testdata", d.UID+".json"), d.JSON)
		})
	}
}

func TestStable(t *testing.T) {
	a, b := all(t), all(t)
	for i := range a {
		if a[i].UID != b[i].UID || !bytes.Equal(a[i].JSON, b[i].JSON) {
			t.Errorf("%s: two builds differ", a[i].UID)
		}
	}
}

// parsed is the part of a dashboard's JSON model the structure tests read.
type parsed struct {
	UID       string   `json:"uid"`
	Title     string   `json:"title"`
	Tags      []string `json:"tags"`
	Templates struct {
		List []struct {
			Name       string  `json:"name"`
			Type       string  `json:"type"`
			Query      string  `json:"query"`
			Datasource dsJSON  `json:"datasource"`
			AllValue   *string `json:"allValue"`
		} `json:"list"`
	} `json:"templating"`
	Panels []struct {
		ID         int    `json:"id"`
		Type       string `json:"type"`
		Title      string `json:"title"`
		Datasource dsJSON `json:"datasource"`
		Targets    []struct {
			Datasource dsJSON `json:"datasource"`
			Query      string `json:"query"`
			Expr       string `json:"expr"`
			RefID      string `json:"refId"`
		} `json:"targets"`
	} `json:"panels"`
	Annotations struct {
		List []struct {
			Datasource dsJSON `json:"datasource"`
			Expr       string `json:"expr"`
			Target     struct {
				Tags []string `json:"tags"`
			} `json:"target"`
		} `json:"list"`
	} `json:"annotations"`
}

type dsJSON struct{ Type, UID string }

func parse(t *testing.T, d Dashboard) parsed {
	t.Helper()
	var p parsed
	if err := json.Unmarshal(d.JSON, &p); err != nil {
		t.Fatalf("%s: %v", d.UID, err)
	}
	return p
}

func TestStructure(t *testing.T) {
	ds := all(t)
	if len(ds) != 8 {
		t.Fatalf("%d dashboards, want 8 (4 views × 2 datasources)", len(ds))
	}
	seen := map[string]bool{}
	for _, d := range ds {
		t.Run(d.UID, func(t *testing.T) {
			p := parse(t, d)
			if p.UID != d.UID || !strings.HasPrefix(d.UID, UIDPrefix) || len(d.UID) > 40 {
				t.Errorf("uid %q (JSON %q): want %s… and at most 40 characters", d.UID, p.UID, UIDPrefix)
			}
			if !strings.HasSuffix(d.UID, "-"+map[string]string{Influx: "influx", Prometheus: "prometheus"}[d.Datasource]) {
				t.Errorf("uid %q does not name its datasource %s", d.UID, d.Datasource)
			}
			if seen[d.UID] {
				t.Errorf("uid %q used twice", d.UID)
			}
			seen[d.UID] = true
			if !slices.Contains(p.Tags, Tag) {
				t.Errorf("tags %v lack %q (Publish relies on it)", p.Tags, Tag)
			}
			var names []string
			for _, v := range p.Templates.List {
				names = append(names, v.Name)
				if v.Type != "query" || v.Datasource.Type != d.Datasource || v.Query == "" {
					t.Errorf("variable %s: type %q datasource %q query %q", v.Name, v.Type, v.Datasource.Type, v.Query)
				}
				if v.AllValue == nil || *v.AllValue != ".*" {
					t.Errorf("variable %s: allValue must be .* so All matches every value", v.Name)
				}
			}
			if !slices.Equal(names, []string{"provider", "model", "region", "vantage"}) {
				t.Errorf("variables %v", names)
			}
			if len(p.Panels) == 0 {
				t.Fatal("no panels")
			}
			ids := map[int]bool{}
			for _, pn := range p.Panels {
				if ids[pn.ID] || pn.ID == 0 {
					t.Errorf("panel %q: id %d missing or repeated", pn.Title, pn.ID)
				}
				ids[pn.ID] = true
				if pn.Datasource.Type != d.Datasource {
					t.Errorf("panel %q: datasource %q, want %q", pn.Title, pn.Datasource.Type, d.Datasource)
				}
				if len(pn.Targets) == 0 {
					t.Errorf("panel %q: no query", pn.Title)
				}
				for _, tg := range pn.Targets {
					if tg.Datasource.Type != d.Datasource || tg.RefID == "" {
						t.Errorf("panel %q: target datasource %q refId %q", pn.Title, tg.Datasource.Type, tg.RefID)
					}
					if (d.Datasource == Influx) != (tg.Query != "") || (d.Datasource == Prometheus) != (tg.Expr != "") {
						t.Errorf("panel %q: a %s target needs its own query field: query %q expr %q", pn.Title, d.Datasource, tg.Query, tg.Expr)
					}
				}
			}
			var events bool
			for _, a := range p.Annotations.List {
				events = events || slices.Contains(a.Target.Tags, Tag)
			}
			if !events {
				t.Error("no annotation query for the accesswatch-tagged events")
			}
		})
	}
}

// TestFluxUsesTheSchema: every Flux query of a panel or variable refers only to the
// measurement, fields and tags collector/influx writes, and comes from collector/influx/fluxq.
func TestFluxUsesTheSchema(t *testing.T) {
	known := map[string]bool{}
	for _, q := range fluxq.All(DefaultBucket, fluxq.Dashboard(), fluxq.DashboardWindow, fluxFilter()) {
		known[q.Query] = true
	}
	for _, q := range quantiles() {
		known[fluxq.LatencyQuantile(DefaultBucket, fluxq.Dashboard(), fluxq.DashboardWindow, q.q, fluxFilter())] = true
	}
	for _, tag := range Variables() {
		known[fluxq.TagValues(DefaultBucket, tag, fluxq.Range{Start: "v.timeRangeStart"})] = true
	}
	n := 0
	for _, d := range all(t) {
		if d.Datasource != Influx {
			continue
		}
		p := parse(t, d)
		var queries []string
		for _, v := range p.Templates.List {
			queries = append(queries, v.Query)
		}
		for _, pn := range p.Panels {
			for _, tg := range pn.Targets {
				queries = append(queries, tg.Query)
			}
		}
		for _, q := range queries {
			n++
			if err := fluxq.Check(q); err != nil {
				t.Errorf("%s: %v\n%s", d.UID, err, q)
			}
			if !known[q] {
				t.Errorf("%s: query not built by collector/influx/fluxq:\n%s", d.UID, q)
			}
		}
	}
	if n < 10 {
		t.Fatalf("only %d Flux queries found", n)
	}
}

var identifier = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*`)

// registered is every metric name internal/metrics exports once fed one of everything, with
// the series names of histograms.
func registered(t *testing.T) map[string]bool {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	m := metrics.New(reg, metrics.Options{Version: "test", GoVersion: "go-test",
		Targets: []metrics.Target{{Provider: "anthropic", Model: "claude-x"}}, Regions: []string{"de"},
		Vantages: []string{"de-1"}, Receivers: []string{"grafana"}, Agents: []string{"agent-de"}})
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	m.ObserveResults([]model.Result{{ID: "0000000000000001aaaaaaaaaaaaaaaa", Time: t0, Vantage: "de-1", Region: "de",
		Country: "DE", Provider: "anthropic", Model: "claude-x", Check: model.CheckGenerate,
		Classification: model.Classification{Class: model.ClassOK, Access: model.AccessAvailable},
		Timings:        model.Timings{DNSMs: 1, ConnectMs: 2, TLSMs: 3, FirstByteMs: 4, TotalMs: 5}}})
	m.SetAccessStates([]model.TargetStatus{{Provider: "anthropic", Model: "claude-x", Region: "de", State: model.StateRevoked, Since: t0}})
	m.SetVantages([]metrics.VantageHealth{{ID: "de-1", Region: "de", Country: "DE", Healthy: true, Verified: true, LastSeen: t0}})
	m.RegisterIngest(func() metrics.IngestStats {
		return metrics.IngestStats{Agents: map[string]metrics.AgentIngest{"agent-de": {Batches: 1, Accepted: 1, LastPush: t0}}}
	})
	m.RegisterSpool(func() metrics.SpoolStats { return metrics.SpoolStats{Results: 1} })
	m.RegisterInflux(func() metrics.InfluxStats { return metrics.InfluxStats{BufferCapacity: 10} })
	m.RegisterNotifier(func() map[string]metrics.NotifierStats { return nil })
	m.RegisterStore(func() metrics.StoreStats { return metrics.StoreStats{Results: 1} })
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, mf := range mfs {
		out[mf.GetName()] = true
		if mf.GetType().String() == "HISTOGRAM" {
			for _, s := range []string{"_bucket", "_sum", "_count"} {
				out[mf.GetName()+s] = true
			}
		}
	}
	return out
}

func TestPrometheusUsesRegisteredMetrics(t *testing.T) {
	reg := registered(t)
	used := map[string]bool{}
	for _, d := range all(t) {
		if d.Datasource != Prometheus {
			continue
		}
		p := parse(t, d)
		var exprs []string
		for _, v := range p.Templates.List {
			exprs = append(exprs, v.Query)
		}
		for _, pn := range p.Panels {
			for _, tg := range pn.Targets {
				exprs = append(exprs, tg.Expr)
			}
		}
		for _, a := range p.Annotations.List {
			exprs = append(exprs, a.Expr)
		}
		for _, e := range exprs {
			for _, id := range identifier.FindAllString(e, -1) {
				if !strings.HasPrefix(id, metrics.Namespace+"_") {
					continue
				}
				used[id] = true
				if !reg[id] {
					t.Errorf("%s uses %s, which internal/metrics does not export:\n%s", d.UID, id, e)
				}
			}
		}
	}
	for _, want := range []string{mAccessState, mProbeDuration + "_bucket", mProbeResults, mVantageHealthy,
		mVantageSeen, mVantageVerif, mSpoolResults, mIngestResults, mClockOffset} {
		if !used[want] {
			t.Errorf("no dashboard uses %s", want)
		}
	}
}

// TestAccessStateEncoding: the timeline's value mapping names exactly the states the metric has.
func TestAccessStateEncoding(t *testing.T) {
	var got []string
	for _, s := range promStates() {
		got = append(got, s.state)
	}
	var want []string
	for _, s := range model.States() {
		want = append(want, string(s))
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("encoded states %v, model.States() %v", got, want)
	}
}

func TestExport(t *testing.T) {
	dir := t.TempDir()
	if err := Export(dir); err != nil {
		t.Fatal(err)
	}
	for _, d := range all(t) {
		b, err := os.ReadFile(filepath.Join(dir, d.UID+".json"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b, d.JSON) {
			t.Errorf("%s.json differs from All()", d.UID)
		}
	}
	for _, name := range []string{"dashboards", "datasources"} {
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(dir, "provisioning", name, "accesswatch.yml"))
			if err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("testdata", "provisioning-"+name+".yml"), b)
		})
	}
	ds, err := os.ReadFile(filepath.Join(dir, "provisioning", "datasources", "accesswatch.yml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{InfluxUID, PrometheusUID, "${" + EnvInfluxURL + "}", "${" + EnvInfluxToken + "}",
		"${" + EnvInfluxOrg + "}", "${" + EnvInfluxBucket + "}", "${" + EnvPrometheusURL + "}", "Flux"} {
		if !bytes.Contains(ds, []byte(s)) {
			t.Errorf("datasource file lacks %s", s)
		}
	}
}

func TestBuildBucket(t *testing.T) {
	ds, err := Build(Options{Bucket: "aw/autogen"})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if d.Datasource == Influx && !bytes.Contains(d.JSON, []byte(`bucket: \"aw/autogen\"`)) {
			t.Errorf("%s does not read bucket aw/autogen", d.UID)
		}
	}
}
