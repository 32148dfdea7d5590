package metrics

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/accesswatch/accesswatch/internal/model"
	"github.com/accesswatch/accesswatch/internal/testkit"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func smallOptions() Options {
	return Options{
		Version:   "1.2.3",
		GoVersion: "go-test",
		Targets:   []Target{{Provider: "anthropic", Model: "claude-x"}},
		Regions:   []string{"de"},
		Vantages:  []string{"de-1"},
		Receivers: []string{"slack"},
		Agents:    []string{"agent-de"},
		Closed:    true,
	}
}

func result(class model.Class, t model.Timings) model.Result {
	return model.Result{
		ID: "0000000000000001aaaaaaaaaaaaaaaa", Time: t0, Vantage: "de-1", Region: "de", Country: "DE",
		Provider: "anthropic", Model: "claude-x", Check: model.CheckGenerate,
		Classification: model.Classification{Class: class, Access: model.AccessOf(class), Signature: "sig-" + string(class)},
		Timings:        t,
		Error:          "read tcp: connection reset by peer",
	}
}

// feedAll gives every exported metric a value, so the registry shows all of them.
func feedAll(m *Metrics) {
	unlisted := result(model.ClassOK, model.Timings{TotalMs: 1})
	unlisted.Model = "not-configured" // counted in metrics_unlisted_total, never a label
	m.ObserveResults([]model.Result{
		result(model.ClassOK, model.Timings{DNSMs: 3, ConnectMs: 20, TLSMs: 40, FirstByteMs: 300, TotalMs: 320}),
		result(model.ClassGeoBlocked, model.Timings{FirstByteMs: 90, TotalMs: 95}),
		unlisted,
	})
	m.SetAccessStates([]model.TargetStatus{
		{Provider: "anthropic", Model: "claude-x", Region: "de", State: model.StateRevoked, Since: t0},
		{Provider: "anthropic", Model: "claude-x", Region: "not-configured", State: model.StateRevoked, Since: t0},
	})
	m.SetVantages([]VantageHealth{
		{ID: "de-1", Region: "de", Country: "DE", Healthy: true, Verified: true, LastSeen: t0},
		{ID: "not-configured", Region: "de", Country: "DE", Healthy: true, Verified: true, LastSeen: t0},
	})
	m.RegisterIngest(func() IngestStats {
		return IngestStats{Agents: map[string]AgentIngest{
			"agent-de": {Batches: 3, Accepted: 10, Duplicate: 2, Rejected: 1, ClockOffset: 1500 * time.Millisecond, LastPush: t0,
				Refused: map[string]uint64{"unknown_model": 4, "too_old": 1}},
		}}
	})
	m.RegisterSpool(func() SpoolStats {
		return SpoolStats{Results: 4, Bytes: 4096, Dropped: 1, PushFailures: 2, PushSent: 100, Expired: 3, PushRefused: 5}
	})
	m.RegisterInflux(func() InfluxStats {
		return InfluxStats{PointsWritten: 50, WriteErrors: 1, BufferPoints: 7, BufferCapacity: 1000, Dropped: 0}
	})
	m.RegisterNotifier(func() map[string]NotifierStats {
		return map[string]NotifierStats{"slack": {Sent: 5, Failed: 1, Suppressed: 2, Deduplicated: 3, Retries: 4}}
	})
	m.RegisterStore(func() StoreStats { return StoreStats{Results: 12, Dropped: 0} })
}

func TestGolden(t *testing.T) {
	tests := []struct {
		name string
		feed func(m *Metrics)
	}{
		{"precreated", func(*Metrics) {}},
		{"fed", feedAll},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := prometheus.NewPedanticRegistry()
			tt.feed(New(reg, smallOptions()))
			path := filepath.Join("testdata", tt.name+".prom")
			if testkit.Update() {
				if err := os.WriteFile(path, exposition(t, reg), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := testutil.GatherAndCompare(reg, bytes.NewReader(want)); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// exposition is the text format of everything reg gathers. (testutil.GatherAndFormat without
// metric names returns nothing in client_golang v1.25.0.)
func exposition(t *testing.T, g prometheus.Gatherer) []byte {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	for _, mf := range mfs {
		if _, err := expfmt.MetricFamilyToText(&buf, mf); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

func TestLint(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	m := New(reg, smallOptions())
	feedAll(m)
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
	// The custom collectors on their own, as a scrape of a bare registry would see them.
	for name, c := range map[string]prometheus.Collector{"access": m.access, "vantages": m.vantages} {
		problems, err := testutil.CollectAndLint(c)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, p := range problems {
			t.Errorf("lint %s: %s: %s", name, p.Metric, p.Text)
		}
	}
}

// series gathers one metric family as label-string → value, where the label string is
// "k=v,k=v" sorted by name; histograms give their sample count.
func series(t *testing.T, g prometheus.Gatherer, name string) map[string]float64 {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]float64)
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			out[labelString(m)] = metricValue(m)
		}
	}
	return out
}

func labelString(m *dto.Metric) string {
	var parts []string
	for _, l := range m.GetLabel() {
		parts = append(parts, l.GetName()+"="+l.GetValue())
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

func metricValue(m *dto.Metric) float64 {
	switch {
	case m.Gauge != nil:
		return m.GetGauge().GetValue()
	case m.Counter != nil:
		return m.GetCounter().GetValue()
	case m.Histogram != nil:
		return float64(m.GetHistogram().GetSampleCount())
	}
	return 0
}

func TestPrecreated(t *testing.T) {
	tests := []struct {
		name        string
		opts        Options
		wantTargets int // (provider, model) pairs
		wantProvs   int
	}{
		{"targets", Options{
			Targets:   []Target{{"anthropic", "a1"}, {"anthropic", "a2"}, {"openai", "o1"}},
			Providers: []string{"ignored"}, Models: []string{"ignored"},
			Regions: []string{"de", "ru", "us"},
		}, 3, 2},
		{"cross product", Options{
			Providers: []string{"anthropic", "openai"}, Models: []string{"m1", "m2"},
			Regions: []string{"de", "us"},
		}, 4, 2},
		{"nothing known", Options{}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := prometheus.NewPedanticRegistry()
			New(reg, tt.opts)
			regions := len(tt.opts.Regions)
			results := series(t, reg, "accesswatch_probe_results_total")
			if want := tt.wantTargets * regions * len(model.Classes()); len(results) != want {
				t.Errorf("results_total series = %d, want %d", len(results), want)
			}
			for k, v := range results {
				if v != 0 {
					t.Errorf("results_total{%s} = %v, want 0", k, v)
				}
			}
			states := series(t, reg, "accesswatch_access_state")
			if want := tt.wantTargets * regions * len(model.States()); len(states) != want {
				t.Errorf("access_state series = %d, want %d", len(states), want)
			}
			for k, v := range states {
				want := boolValue(strings.Contains(k, "state=unknown"))
				if v != want {
					t.Errorf("access_state{%s} = %v, want %v", k, v, want)
				}
			}
			if got := series(t, reg, "accesswatch_access_state_since_seconds"); len(got) != 0 {
				t.Errorf("since exported before any state: %v", got)
			}
			durations := series(t, reg, "accesswatch_probe_duration_seconds")
			if want := tt.wantProvs * regions * len(Phases()); len(durations) != want {
				t.Errorf("duration series = %d, want %d", len(durations), want)
			}
			if tt.wantTargets > 0 {
				p, mo := tt.opts.Providers[0], tt.opts.Models[0]
				if len(tt.opts.Targets) > 0 {
					p, mo = tt.opts.Targets[0].Provider, tt.opts.Targets[0].Model
				}
				k := "class=geo_blocked,model=" + mo + ",provider=" + p + ",region=" + tt.opts.Regions[0]
				if _, ok := results[k]; !ok {
					t.Errorf("missing pre-created series {%s}", k)
				}
			}
		})
	}
}

// oneHot checks that every target has exactly one state at 1 and returns target → state.
func oneHot(t *testing.T, g prometheus.Gatherer) map[string]string {
	t.Helper()
	ones := make(map[string][]string)
	perTarget := make(map[string]int)
	for k, v := range series(t, g, "accesswatch_access_state") {
		var target, state []string
		for _, kv := range strings.Split(k, ",") {
			if s, ok := strings.CutPrefix(kv, "state="); ok {
				state = append(state, s)
			} else {
				target = append(target, kv)
			}
		}
		tk := strings.Join(target, ",")
		perTarget[tk]++
		switch v {
		case 1:
			ones[tk] = append(ones[tk], state...)
		case 0:
		default:
			t.Errorf("access_state{%s} = %v, want 0 or 1", k, v)
		}
	}
	out := make(map[string]string)
	for tk, n := range perTarget {
		if n != len(model.States()) {
			t.Errorf("target %s has %d state series, want %d", tk, n, len(model.States()))
		}
		if len(ones[tk]) != 1 {
			t.Errorf("target %s has states %v at 1, want exactly one", tk, ones[tk])
			continue
		}
		out[tk] = ones[tk][0]
	}
	return out
}

func TestAccessStateOneHot(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	m := New(reg, Options{Targets: []Target{{"anthropic", "a1"}, {"openai", "o1"}}, Regions: []string{"de", "ru"}})
	const a1de, a1ru, o1ru = "model=a1,provider=anthropic,region=de", "model=a1,provider=anthropic,region=ru", "model=o1,provider=openai,region=ru"
	steps := []struct {
		name string
		set  []model.TargetStatus
		want map[string]string // targets to check
	}{
		{"initially unknown", nil, map[string]string{a1de: "unknown", o1ru: "unknown"}},
		{"revoked", []model.TargetStatus{
			{Provider: "anthropic", Model: "a1", Region: "ru", State: model.StateRevoked, Since: t0},
		}, map[string]string{a1ru: "revoked", a1de: "unknown"}},
		{"vantage view ignored", []model.TargetStatus{
			{Provider: "anthropic", Model: "a1", Region: "ru", Vantage: "ru-1", State: model.StateAvailable, Since: t0},
		}, map[string]string{a1ru: "revoked"}},
		{"restored", []model.TargetStatus{
			{Provider: "anthropic", Model: "a1", Region: "ru", State: model.StateAvailable, Since: t0.Add(time.Hour)},
		}, map[string]string{a1ru: "available"}},
		{"unknown state value", []model.TargetStatus{
			{Provider: "openai", Model: "o1", Region: "ru", State: "weird", Since: t0},
		}, map[string]string{o1ru: "unknown"}},
		{"unconfigured target accepted", []model.TargetStatus{
			{Provider: "mistral", Model: "m9", Region: "de", State: model.StateDown, Since: t0},
		}, map[string]string{"model=m9,provider=mistral,region=de": "down"}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			m.SetAccessStates(st.set)
			got := oneHot(t, reg)
			for tk, want := range st.want {
				if got[tk] != want {
					t.Errorf("%s: state %q, want %q", tk, got[tk], want)
				}
			}
		})
	}
	since := series(t, reg, "accesswatch_access_state_since_seconds")
	if got, want := since[a1ru], float64(t0.Add(time.Hour).Unix()); got != want {
		t.Errorf("since{%s} = %v, want %v", a1ru, got, want)
	}
}

func TestObserveResults(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	m := New(reg, Options{Targets: []Target{{"anthropic", "claude-x"}}, Regions: []string{"de"}})
	m.ObserveResults([]model.Result{
		result(model.ClassOK, model.Timings{DNSMs: 2, ConnectMs: 10, TLSMs: 30, FirstByteMs: 250, TotalMs: 260}),
		result(model.ClassOK, model.Timings{FirstByteMs: 100, TotalMs: 120}), // reused connection
		result(model.ClassDNSFailure, model.Timings{TotalMs: 5}),
		result("", model.Timings{}), // unclassified: counted, no phase observed
	})
	key := func(class string) string { return "class=" + class + ",model=claude-x,provider=anthropic,region=de" }
	results := series(t, reg, "accesswatch_probe_results_total")
	for class, want := range map[string]float64{"ok": 2, "dns_failure": 1, "unexpected_response": 1, "geo_blocked": 0} {
		if got := results[key(class)]; got != want {
			t.Errorf("results_total{class=%s} = %v, want %v", class, got, want)
		}
	}
	if _, ok := results[key("")]; ok {
		t.Error("empty class exported as a label value")
	}
	durations := series(t, reg, "accesswatch_probe_duration_seconds")
	for phase, want := range map[string]float64{"dns": 1, "connect": 1, "tls": 1, "first_byte": 2, "total": 3} {
		if got := durations["phase="+phase+",provider=anthropic,region=de"]; got != want {
			t.Errorf("duration{phase=%s} count = %v, want %v", phase, got, want)
		}
	}
	success := series(t, reg, "accesswatch_probe_success")
	if got := success["check=generate,model=claude-x,provider=anthropic,region=de,vantage=de-1"]; got != 0 {
		t.Errorf("probe_success after a failing latest probe = %v, want 0", got)
	}
}

func TestHistogramSecondsAndBuckets(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	m := New(reg, Options{})
	m.ObserveResults([]model.Result{result(model.ClassOK, model.Timings{TotalMs: 120})})
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "accesswatch_probe_duration_seconds" {
			continue
		}
		h := mf.GetMetric()[0].GetHistogram()
		if got := h.GetSampleSum(); got < 0.1199 || got > 0.1201 {
			t.Errorf("sum = %v, want 0.12 (milliseconds converted to seconds)", got)
		}
		var bounds []float64
		for _, b := range h.GetBucket() {
			bounds = append(bounds, b.GetUpperBound())
			if b.GetUpperBound() >= 0.25 && b.GetCumulativeCount() != 1 || b.GetUpperBound() <= 0.1 && b.GetCumulativeCount() != 0 {
				t.Errorf("bucket le=%v count %d", b.GetUpperBound(), b.GetCumulativeCount())
			}
		}
		if bounds[0] != 0.005 || bounds[len(bounds)-1] != 30 {
			t.Errorf("buckets %v, want 5ms..30s", bounds)
		}
		return
	}
	t.Fatal("no duration histogram")
}

func TestNilRegisterer(t *testing.T) {
	m := New(nil, smallOptions())
	feedAll(m) // must not panic
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(m.access)
	if got := oneHot(t, reg); got["model=claude-x,provider=anthropic,region=de"] != "revoked" {
		t.Errorf("states = %v", got)
	}
}

func TestBuildInfo(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	New(reg, Options{Version: "v9"})
	got := series(t, reg, "accesswatch_build_info")
	if len(got) != 1 {
		t.Fatalf("build_info = %v", got)
	}
	for k, v := range got {
		if v != 1 || !strings.Contains(k, "version=v9") || !strings.Contains(k, "goversion=go") {
			t.Errorf("build_info{%s} = %v", k, v)
		}
	}
}

func BenchmarkObserveResults(b *testing.B) {
	m := New(prometheus.NewRegistry(), smallOptions())
	rs := make([]model.Result, 100)
	for i := range rs {
		rs[i] = result(model.ClassOK, model.Timings{DNSMs: 1, ConnectMs: 2, TLSMs: 3, FirstByteMs: 4, TotalMs: 5})
	}
	b.ResetTimer()
	for b.Loop() {
		m.ObserveResults(rs)
	}
}

func TestNoResultIdentityInLabels(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	feedAll(New(reg, smallOptions()))
	r := result(model.ClassGeoBlocked, model.Timings{})
	forbidden := map[string]bool{r.ID: true, r.Signature: true, r.Error: true, "sig-ok": true}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if forbidden[l.GetValue()] {
					t.Errorf("%s has label %s=%q from a result's id, signature or error", mf.GetName(), l.GetName(), l.GetValue())
				}
			}
		}
	}
}

// TestClosedBoundsLabels: with Options.Closed, results, states and vantages naming values the
// configuration does not list add no series, however many distinct names arrive; control
// results (no provider, no model) of a listed vantage still count.
func TestClosedBoundsLabels(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	m := New(reg, smallOptions())
	series := func() int {
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, mf := range mfs {
			n += len(mf.GetMetric())
		}
		return n
	}
	m.ObserveResults([]model.Result{result(model.ClassOK, model.Timings{TotalMs: 10})})
	control := result(model.ClassOK, model.Timings{TotalMs: 5})
	control.Provider, control.Model, control.Check = "", "", model.CheckControl
	m.ObserveResults([]model.Result{control})
	before := series()
	var rs []model.Result
	var ts []model.TargetStatus
	var vs []VantageHealth
	for i := range 10000 {
		r := result(model.ClassGeoBlocked, model.Timings{TotalMs: 10})
		switch i % 4 {
		case 0:
			r.Model = "m-" + strconv.Itoa(i)
		case 1:
			r.Provider = "p-" + strconv.Itoa(i)
		case 2:
			r.Region = "r-" + strconv.Itoa(i)
		default:
			r.Vantage = "v-" + strconv.Itoa(i)
		}
		rs = append(rs, r)
		ts = append(ts, model.TargetStatus{Provider: "anthropic", Model: "m-" + strconv.Itoa(i), Region: "de", State: model.StateRevoked})
		vs = append(vs, VantageHealth{ID: "v-" + strconv.Itoa(i), Region: "de", Country: "DE"})
	}
	m.ObserveResults(rs)
	m.SetAccessStates(ts)
	m.SetVantages(append(vs, VantageHealth{ID: "de-1", Region: "de", Country: "DE", Healthy: true}))
	// The one listed vantage appears (3 series); nothing else is added.
	if got := series(); got != before+3 {
		t.Fatalf("%d series after 10,000 unlisted names, want %d", got, before+3)
	}
	if got := testutil.ToFloat64(m.unlisted.WithLabelValues(UnlistedResult)); got != 10000 {
		t.Errorf("unlisted results %v, want 10000", got)
	}
	if got := testutil.ToFloat64(m.success.WithLabelValues("", "", "de", "de-1", model.CheckControl)); got != 1 {
		t.Errorf("control result not exported: %v", got)
	}
}
