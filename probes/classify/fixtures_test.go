package classify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/accesswatch/accesswatch/internal/model"
	"github.com/accesswatch/accesswatch/internal/testkit"
)

const goldenPath = "testdata/classify.golden.json"

// fixture is one captured (or documented) vendor answer from testdata/fixtures/<name>.txt:
// "key: value" lines ("#" comments; kind, check, model, status, want, want_access, and one
// "header: Name: value" per header), a blank line, then the verbatim body.
type fixture struct {
	name       string
	obs        Observation
	want       model.Class
	wantAccess model.Access
}

func parseFixture(name string, data []byte) (fixture, error) {
	head, body, ok := bytes.Cut(data, []byte("\n\n"))
	if !ok {
		return fixture{}, fmt.Errorf("%s: no blank line before the body", name)
	}
	f := fixture{name: name, obs: Observation{Header: http.Header{}, Body: bytes.TrimSuffix(body, []byte("\n"))}}
	for line := range strings.SplitSeq(string(head), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, ": ")
		if !ok {
			return fixture{}, fmt.Errorf("%s: bad line %q", name, line)
		}
		switch k {
		case "kind":
			f.obs.Kind = v
		case "check":
			f.obs.Check = v
		case "model":
			f.obs.Model = v
		case "status":
			n, err := strconv.Atoi(v)
			if err != nil {
				return fixture{}, fmt.Errorf("%s: status: %w", name, err)
			}
			f.obs.Status = n
		case "want":
			f.want = model.Class(v)
		case "want_access":
			f.wantAccess = model.Access(v)
		case "header":
			hk, hv, ok := strings.Cut(v, ": ")
			if !ok {
				return fixture{}, fmt.Errorf("%s: bad header %q", name, v)
			}
			f.obs.Header.Add(hk, hv)
		default:
			return fixture{}, fmt.Errorf("%s: unknown key %q", name, k)
		}
	}
	if f.obs.Status == 0 || f.want == "" || f.obs.Kind == "" || f.obs.Check == "" {
		return fixture{}, fmt.Errorf("%s: kind, check, status and want are required", name)
	}
	return f, nil
}

func loadFixtures(tb testing.TB) []fixture {
	tb.Helper()
	paths, err := filepath.Glob("testdata/fixtures/*.txt")
	if err != nil || len(paths) == 0 {
		tb.Fatalf("no fixtures: %v", err)
	}
	fs := make([]fixture, 0, len(paths))
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		f, err := parseFixture(strings.TrimSuffix(filepath.Base(p), ".txt"), data)
		if err != nil {
			tb.Fatal(err)
		}
		fs = append(fs, f)
	}
	return fs
}

func TestFixtures(t *testing.T) {
	t.Parallel()
	got := map[string]model.Classification{}
	for _, f := range loadFixtures(t) {
		c := Classify(f.obs)
		got[f.name] = c
		t.Run(f.name, func(t *testing.T) {
			if c.Class != f.want {
				t.Errorf("class = %s (rule %s), want %s; signature %q", c.Class, c.Rule, f.want, c.Signature)
			}
			wantAccess := f.wantAccess
			if wantAccess == "" {
				wantAccess = model.AccessOf(f.want)
			}
			if c.Access != wantAccess {
				t.Errorf("access = %s, want %s", c.Access, wantAccess)
			}
			checkInvariants(t, c)
			if c.Failure != "" {
				t.Errorf("failure = %q for an HTTP answer", c.Failure)
			}
			if strings.HasPrefix(c.Rule, "status.") && f.want != model.ClassOK {
				// Fallbacks are fine, but a fixture's class should not hinge on them alone when a
				// vendor-specific rule exists for its shape; list the accepted ones here.
				if !slices.Contains(statusOnlyFixtures, f.name) {
					t.Errorf("classified by fallback %s; add a rule or list it in statusOnlyFixtures", c.Rule)
				}
			}
		})
	}
	compareGolden(t, got)
}

// statusOnlyFixtures are answers whose body carries no signal beyond the status.
var statusOnlyFixtures = []string{
	"mistral_401_detail", "mistral_401_message_request_id", "mistral_429_old_message",
	"deepseek_401_authentication_fails", "deepseek_503_server_overloaded",
	"azure_401_invalid_subscription_key", "azure_401_unauthorized_code",
	"openai_500_server_error", "openrouter_402_credits", "openrouter_200_error_502", "generic_502_empty",
}

func compareGolden(t *testing.T, got map[string]model.Classification) {
	t.Helper()
	data, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	data = append(data, '\n')
	if testkit.Update() {
		if err := os.WriteFile(goldenPath, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(want, data) {
		var wantMap map[string]model.Classification
		if err := json.Unmarshal(want, &wantMap); err != nil {
			t.Fatalf("golden: %v", err)
		}
		for name, c := range got {
			if wantMap[name] != c {
				t.Errorf("golden mismatch for %s:\n got %+v\nwant %+v", name, c, wantMap[name])
			}
		}
		for name := range wantMap {
			if _, ok := got[name]; !ok {
				t.Errorf("golden has %s, which is no longer a fixture", name)
			}
		}
		t.Log("run go test ./probes/classify -run TestFixtures -update if the change is intended")
	}
}

// checkInvariants holds for every classification.
func checkInvariants(t *testing.T, c model.Classification) {
	t.Helper()
	if !slices.Contains(model.Classes(), c.Class) {
		t.Errorf("class %q is not in model.Classes()", c.Class)
	}
	if c.Signature == "" || len(c.Signature) > MaxSignature {
		t.Errorf("signature %q: length %d not in 1..%d", c.Signature, len(c.Signature), MaxSignature)
	}
	if c.Rule == "" {
		t.Error("no rule named")
	}
	switch c.Layer {
	case model.LayerDNS, model.LayerTCP, model.LayerTLS, model.LayerHTTP, model.LayerAPI:
	default:
		t.Errorf("layer %q", c.Layer)
	}
	if c.Access == "" {
		t.Error("no access")
	}
}
