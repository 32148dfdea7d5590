package fluxq

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/accesswatch/accesswatch/collector/influx"
	"github.com/accesswatch/accesswatch/internal/testkit"
)

// TestGolden pins the query text: the dashboards embed it, so a change must be deliberate.
func TestGolden(t *testing.T) {
	t.Parallel()
	sets := []struct {
		name   string
		r      Range
		window string
		f      Filter
	}{
		{"cli", Last("6h"), "5m", Filter{Provider: "anthropic", Region: "eu-central"}},
		{"grafana", Dashboard(), DashboardWindow, Filter{Provider: "${provider:regex}", Model: "${model:regex}",
			Region: "${region:regex}", Vantage: "${vantage:regex}", Regex: true}},
	}
	for _, s := range sets {
		for _, q := range All("accesswatch/autogen", s.r, s.window, s.f) {
			t.Run(s.name+"/"+q.Name, func(t *testing.T) {
				t.Parallel()
				golden(t, filepath.Join("testdata", s.name, q.Name+".flux"), q.Query)
			})
		}
	}
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	testkit.Golden(t, path, []byte(got))
}

// TestQueriesUseTheSchema: every measurement, field and column a query names is one that
// collector/influx writes.
func TestQueriesUseTheSchema(t *testing.T) {
	t.Parallel()
	f := Filter{Provider: "p", Model: "m", Region: "r", Vantage: "v"}
	for _, q := range All("b", Last("1h"), "1m", f) {
		t.Run(q.Name, func(t *testing.T) {
			t.Parallel()
			if err := Check(q.Query); err != nil {
				t.Fatalf("%v in\n%s", err, q.Query)
			}
			refs := References(q.Query)
			if len(refs.Fields) == 0 || len(refs.Columns) == 0 {
				t.Fatalf("no references found: %+v", refs)
			}
		})
	}
}

// TestCheckCatchesRenames: Check is what makes a renamed field fail, so it must see each kind
// of reference.
func TestCheckCatchesRenames(t *testing.T) {
	t.Parallel()
	base := SignatureCounts("b", Last("1h"), "1m", Filter{Vantage: "v"})
	cases := []struct{ name, from, to, want string }{
		{"measurement", `r._measurement == "probe"`, `r._measurement == "probes"`, `measurement "probes"`},
		{"field", `r._field == "signature"`, `r._field == "sig"`, `field "sig"`},
		{"record column", `r.vantage ==`, `r.vantag ==`, `column "vantag"`},
		{"group column", `"region", "class"`, `"region", "klass"`, `column "klass"`},
		{"duplicate target", `as: "signature"`, `as: "sig"`, `column "sig"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if !strings.Contains(base, c.from) {
				t.Fatalf("%q not in the query:\n%s", c.from, base)
			}
			err := Check(strings.Replace(base, c.from, c.to, 1))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Check = %v, want an error about %s", err, c.want)
			}
		})
	}
	if err := Check(`from(bucket: "b") |> range(start: -1h)`); err == nil {
		t.Error("a query reading no measurement passed")
	}
}

func TestFilterPredicate(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		f    Filter
		want string
	}{
		{"none", Filter{}, ""},
		{"exact", Filter{Provider: "openai", Region: "eu"}, `r.provider == "openai" and r.region == "eu"`},
		{"exact escapes", Filter{Model: `a"b\c${x}`}, `r.model == "a\"b\\c\${x}"`},
		{"lone dollar kept", Filter{Model: "$5"}, `r.model == "$5"`},
		{"regex", Filter{Vantage: "(fra|syd).*", Regex: true}, `r.vantage =~ /^(?:(fra|syd).*)$/`},
		{"regex slash", Filter{Model: `models/gemini\.2`, Regex: true}, `r.model =~ /^(?:models\/gemini\.2)$/`},
		{"regex escaped slash kept", Filter{Model: `a\/b`, Regex: true}, `r.model =~ /^(?:a\/b)$/`},
		{"regex trailing backslash", Filter{Model: `a\`, Regex: true}, `r.model =~ /^(?:a\\)$/`},
		{"grafana", Filter{Provider: "${provider:regex}", Regex: true}, `r.provider =~ /^(?:${provider:regex})$/`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if got := c.f.predicate(); got != c.want {
				t.Errorf("predicate = %s\nwant        %s", got, c.want)
			}
		})
	}
}

func TestRangeAndPhases(t *testing.T) {
	t.Parallel()
	q := Availability("b", Range{Start: "2024-01-01T00:00:00Z", Stop: "2024-01-02T00:00:00Z"}, "1h", Filter{})
	if !strings.Contains(q, "range(start: 2024-01-01T00:00:00Z, stop: 2024-01-02T00:00:00Z)") {
		t.Errorf("range missing:\n%s", q)
	}
	if strings.Count(q, "filter(") != 2 { // measurement+field, model exists; no empty filter
		t.Errorf("want exactly two filters:\n%s", q)
	}
	fields := influx.Fields()
	for _, p := range Phases() {
		if fields[p] != "float" {
			t.Errorf("phase %s is %q in the schema, want float", p, fields[p])
		}
	}
}
