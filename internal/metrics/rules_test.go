package metrics

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"gopkg.in/yaml.v3"
)

var rulesDir = filepath.Join("..", "..", "deploy", "prometheus")

type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Record      string            `yaml:"record"`
			Alert       string            `yaml:"alert"`
			Expr        string            `yaml:"expr"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

type ruleTestFile struct {
	Tests []struct {
		Name      string `yaml:"name"`
		AlertTest []struct {
			Alertname string `yaml:"alertname"`
			ExpAlerts []any  `yaml:"exp_alerts"`
		} `yaml:"alert_rule_test"`
	} `yaml:"tests"`
}

func readYAML(t *testing.T, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(rulesDir, name))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// identifiers matches PromQL metric and recording-rule names; only whole identifiers count, so
// the "accesswatch_…" inside a recorded name "x:accesswatch_…:rate5m" is not taken for a metric.
var identifiers = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*`)

// usedMetrics is every accesswatch_ metric name the rules' expressions use, histogram series
// (_bucket, _sum, _count) folded into their family.
func usedMetrics(t *testing.T, rf ruleFile) map[string][]string {
	t.Helper()
	used := make(map[string][]string) // name → rules using it
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			rule := r.Alert + r.Record
			for _, id := range identifiers.FindAllString(r.Expr, -1) {
				if strings.HasPrefix(id, Namespace+"_") && !strings.Contains(id, ":") {
					used[id] = append(used[id], rule)
				}
			}
		}
	}
	return used
}

func TestRulesUseRegisteredMetrics(t *testing.T) {
	var rf ruleFile
	readYAML(t, "rules.yml", &rf)
	used := usedMetrics(t, rf)
	if len(used) < 10 {
		t.Fatalf("found only %d metric names in rules.yml: %v", len(used), used)
	}

	reg := prometheus.NewPedanticRegistry()
	m := New(reg, smallOptions())
	feedAll(m)
	feedIncident(m) // incident series exist only while an incident is open
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	exported := make(map[string]bool)
	for _, mf := range mfs {
		exported[mf.GetName()] = true
		if mf.GetType().String() == "HISTOGRAM" {
			for _, s := range []string{"_bucket", "_sum", "_count"} {
				exported[mf.GetName()+s] = true
			}
		}
	}
	var names []string
	for n := range used {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if !exported[n] {
			t.Errorf("rules %v use %s, which Metrics does not export", used[n], n)
		}
	}
}

func TestRulesEveryAlertTestedBothWays(t *testing.T) {
	var rf ruleFile
	readYAML(t, "rules.yml", &rf)
	var tf ruleTestFile
	readYAML(t, "rules_test.yml", &tf)

	firing, silent := make(map[string]bool), make(map[string]bool)
	for _, tc := range tf.Tests {
		for _, a := range tc.AlertTest {
			if len(a.ExpAlerts) > 0 {
				firing[a.Alertname] = true
			} else {
				silent[a.Alertname] = true
			}
		}
	}
	alerts := 0
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			alerts++
			t.Run(r.Alert, func(t *testing.T) {
				if !firing[r.Alert] {
					t.Error("no rules_test.yml case where it fires")
				}
				if !silent[r.Alert] {
					t.Error("no rules_test.yml case where it does not fire")
				}
				if s := r.Labels["severity"]; s != "page" && s != "warning" {
					t.Errorf("severity %q, want page or warning", s)
				}
				if r.Annotations["summary"] == "" || r.Annotations["description"] == "" {
					t.Error("missing summary or description annotation")
				}
			})
		}
	}
	if alerts == 0 {
		t.Fatal("no alerts in rules.yml")
	}
}

// TestPromtool runs the same checks as scripts/promtool.sh when promtool is installed.
func TestPromtool(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not installed (scripts/promtool.sh installs it)")
	}
	for _, args := range [][]string{
		{"check", "rules", "rules.yml"},
		{"test", "rules", "rules_test.yml"},
	} {
		cmd := exec.Command(promtool, args...)
		cmd.Dir = rulesDir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}
