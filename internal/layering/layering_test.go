// Package layering holds the test that keeps the arrows of the package graph pointing the way
// the README draws them: config → schedule → probe → classify → result → intake → store/metrics →
// detect → notify/publish, with cmd/accesswatch at the top and internal/ as the ground floor.
package layering

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/accesswatch/accesswatch/"

// pkg is what `go list -json` says of one package that matters here.
type pkg struct {
	ImportPath   string
	Imports      []string
	TestImports  []string
	XTestImports []string
}

// rule says a package of one area may not import a package of another.
type rule struct {
	from, to string // area prefixes, relative to the module
	why      string
}

var rules = []rule{
	{"probes/", "collector/", "probes and collector never import each other: they meet only in the push wire (internal/push)"},
	{"collector/", "probes/", "probes and collector never import each other: they meet only in the push wire (internal/push)"},
	{"internal/", "probes/", "internal/ is the ground floor: it imports nothing above it"},
	{"internal/", "collector/", "internal/ is the ground floor: it imports nothing above it"},
	{"internal/", "alerting/", "internal/ is the ground floor: it imports nothing above it"},
	{"internal/", "dashboards", "internal/ is the ground floor: it imports nothing above it"},
	{"internal/", "deploy", "internal/ is the ground floor: it imports nothing above it"},
	{"internal/", "cmd/", "nothing imports the top"},
	{"probes/", "cmd/", "nothing imports the top"},
	{"collector/", "cmd/", "nothing imports the top"},
	{"alerting/", "cmd/", "nothing imports the top"},
	{"dashboards", "cmd/", "nothing imports the top"},
	{"deploy", "cmd/", "nothing imports the top"},
	{"tools/", "cmd/", "nothing imports the top"},
	{"alerting/", "probes/", "detection and notification read results, never the probes that made them"},
	{"alerting/", "collector/", "the collector drives detection, not the other way round"},
}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-json=ImportPath,Imports,TestImports,XTestImports", "github.com/accesswatch/accesswatch/...")
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var ps []pkg
	for dec := json.NewDecoder(bytes.NewReader(out)); dec.More(); {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	if len(ps) < 20 {
		t.Fatalf("go list found %d packages: not the module", len(ps))
	}
	return ps
}

// TestLayering fails when an import, in code or in tests, runs against an arrow.
func TestLayering(t *testing.T) {
	ps := listPackages(t)
	for _, p := range ps {
		from := strings.TrimPrefix(p.ImportPath, module)
		for _, list := range [][]string{p.Imports, p.TestImports, p.XTestImports} {
			for _, imp := range list {
				to, ours := strings.CutPrefix(imp, module)
				if !ours {
					continue
				}
				if v := violated(from, to); v != "" {
					t.Errorf("%s imports %s: %s", from, to, v)
				}
			}
		}
	}
}

func violated(from, to string) string {
	for _, r := range rules {
		if strings.HasPrefix(from, r.from) && strings.HasPrefix(to, r.to) {
			return r.why
		}
	}
	return ""
}

// TestRulesCatch makes sure the rules can fail: each forbidden arrow is caught.
func TestRulesCatch(t *testing.T) {
	for _, c := range [][2]string{
		{"probes/runner", "collector/store"}, {"collector/ingest", "probes/publish"},
		{"internal/config", "probes/providers"}, {"alerting/detect", "cmd/accesswatch/app"},
		{"internal/model", "cmd/accesswatch/cli"}, {"alerting/notify", "collector/store"},
	} {
		if violated(c[0], c[1]) == "" {
			t.Errorf("%s → %s is not caught", c[0], c[1])
		}
	}
	for _, c := range [][2]string{
		{"cmd/accesswatch/app", "collector/store"}, {"probes/runner", "internal/model"},
		{"collector/api", "alerting/detect"}, {"dashboards", "collector/influx/fluxq"},
	} {
		if v := violated(c[0], c[1]); v != "" {
			t.Errorf("%s → %s is caught (%s) but allowed", c[0], c[1], v)
		}
	}
}
