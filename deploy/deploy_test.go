package deploy

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/accesswatch/accesswatch/internal/config"
)

// k8sObject is one Kubernetes manifest document.
type k8sObject struct {
	file string
	doc  map[string]any
}

func (o k8sObject) kind() string { return str(o.doc, "kind") }
func (o k8sObject) name() string { return str(o.doc, "metadata", "name") }

func k8sObjects(t *testing.T) []k8sObject {
	t.Helper()
	var out []k8sObject
	for _, f := range yamlFiles(t, "k8s") {
		for _, d := range readDocs(t, f) {
			if str(d, "kind") == "" || str(d, "apiVersion") == "" {
				t.Errorf("%s: a document without kind or apiVersion", f)
			}
			out = append(out, k8sObject{f, d})
		}
	}
	return out
}

func find(objs []k8sObject, kind, name string) (k8sObject, bool) {
	for _, o := range objs {
		if o.kind() == kind && o.name() == name {
			return o, true
		}
	}
	return k8sObject{}, false
}

// TestEveryYAMLParses decodes every YAML file under deploy/ (all documents).
func TestEveryYAMLParses(t *testing.T) {
	files := yamlFiles(t, ".")
	if len(files) < 20 {
		t.Fatalf("found only %d YAML files: %v", len(files), files)
	}
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			if len(readDocs(t, f)) == 0 {
				t.Error("no document")
			}
		})
	}
}

// TestKustomizationListsEveryManifest keeps kustomization.yaml and the folder in step.
func TestKustomizationListsEveryManifest(t *testing.T) {
	k := readDocs(t, "k8s/kustomization.yaml")[0]
	listed := strings_(k, "resources")
	var files []string
	for _, f := range yamlFiles(t, "k8s") {
		if filepath.Base(f) != "kustomization.yaml" {
			files = append(files, filepath.Base(f))
		}
	}
	slices.Sort(listed)
	if !slices.Equal(listed, files) {
		t.Errorf("kustomization resources %v, files %v", listed, files)
	}
	if got := str(k, "images", 0, "name"); got != image {
		t.Errorf("kustomization image %q, want %q", got, image)
	}
}

type configCase struct {
	name, mode string
	data       []byte
}

// configsToValidate is every accesswatch config in deploy/ with the mode it runs in.
func configsToValidate(t *testing.T) []configCase {
	t.Helper()
	var out []configCase
	add := func(name, mode string) {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, configCase{name, mode, data})
	}
	examples, _ := filepath.Glob("examples/*.yml")
	for _, f := range examples {
		switch base := filepath.Base(f); {
		case strings.HasPrefix(base, "agent-"):
			add(f, config.ModeAgent)
		case base == "collector.yml":
			add(f, config.ModeCollector)
		default:
			add(f, config.ModeRun)
		}
	}
	add("compose/collector.yml", config.ModeCollector)
	add("compose/agent.yml", config.ModeAgent)
	for _, o := range k8sObjects(t) {
		if o.kind() != "ConfigMap" {
			continue
		}
		for key, v := range get(o.doc, "data").(map[string]any) {
			mode := strings.TrimSuffix(key, ".yml")
			out = append(out, configCase{o.file + ":" + o.name() + "/" + key, mode, []byte(v.(string))})
		}
	}
	return out
}

// TestConfigsValidate runs what `accesswatch config check` runs on every config, with dummy
// values for the variables that have no default, and Require for the mode it is deployed in.
func TestConfigsValidate(t *testing.T) {
	cases := configsToValidate(t)
	if len(cases) < 14 {
		t.Fatalf("only %d configs found", len(cases))
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := config.Parse(c.data, c.name, dummyEnv(string(c.data)))
			if err != nil {
				t.Fatalf("invalid: %v", err)
			}
			if err := cfg.Require(c.mode); err != nil {
				t.Fatalf("not a %s config: %v", c.mode, err)
			}
		})
	}
}

// TestFleetsAgree checks each set of agent configs against its collector: the agent id is
// known and its vantages are the ones the collector allows it.
func TestFleetsAgree(t *testing.T) {
	load := func(name string, data []byte) *config.Config {
		cfg, err := config.Parse(data, name, dummyEnv(string(data)))
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	byName := map[string]configCase{}
	for _, c := range configsToValidate(t) {
		byName[c.name] = c
	}
	fleets := map[string][]string{ // collector → its agents
		"examples/collector.yml": {"examples/agent-mumbai.yml", "examples/agent-sydney.yml", "examples/agent-frankfurt.yml", "examples/agent-virginia.yml"},
		"compose/collector.yml":  {"compose/agent.yml"},
		"k8s/collector.yaml:collector-config/collector.yml": {
			"k8s/agent-india.yaml:agent-india-config/agent.yml", "k8s/agent-australia.yaml:agent-australia-config/agent.yml",
			"k8s/agent-europe.yaml:agent-europe-config/agent.yml", "k8s/agent-us.yaml:agent-us-config/agent.yml"},
	}
	for col, agents := range fleets {
		t.Run(col, func(t *testing.T) {
			cc, ok := byName[col]
			if !ok {
				t.Fatalf("no config %s", col)
			}
			ccfg := load(col, cc.data)
			allowed := map[string][]string{}
			for _, a := range ccfg.Collector.Agents {
				allowed[a.ID] = a.Vantages
			}
			// The collector refuses a result whose region or country is not its vantage's, or
			// whose model it does not watch: the agents must agree with it.
			where := map[string]config.Vantage{}
			for _, v := range ccfg.Vantages {
				where[v.ID] = v
			}
			watched := map[string][]string{}
			for _, p := range ccfg.Providers {
				watched[p.ID] = p.Models
			}
			if len(allowed) != len(agents) {
				t.Errorf("collector knows %d agents, fleet has %d", len(allowed), len(agents))
			}
			for _, name := range agents {
				ac, ok := byName[name]
				if !ok {
					t.Fatalf("no config %s", name)
				}
				cfg := load(name, ac.data)
				want, ok := allowed[cfg.Agent.ID]
				if !ok {
					t.Errorf("%s: agent %q unknown to the collector", name, cfg.Agent.ID)
				}
				for _, v := range cfg.Vantages {
					if !slices.Contains(want, v.ID) {
						t.Errorf("%s: vantage %q not allowed for agent %q (%v)", name, v.ID, cfg.Agent.ID, want)
					}
					if cv := where[v.ID]; cv.Region != v.Region || cv.Country != v.Country {
						t.Errorf("%s: vantage %q is %s/%s, the collector has %s/%s", name, v.ID, v.Region, v.Country, cv.Region, cv.Country)
					}
				}
				for _, p := range cfg.Providers {
					for _, m := range p.Models {
						if !slices.Contains(watched[p.ID], m) {
							t.Errorf("%s: model %s/%s is not in the collector's watch list", name, p.ID, m)
						}
					}
				}
			}
		})
	}
}

// cliCommands asks the binary for its command list (nothing imports cmd/accesswatch: the test
// runs it as a deployment would).
func cliCommands(t *testing.T) []string {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := exec.Command("go", "run", "./cmd/accesswatch", "help")
	cmd.Dir, cmd.Stdout, cmd.Stderr = "..", &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("accesswatch help: %v: %s", err, errb.String())
	}
	var cmds []string
	for _, m := range regexp.MustCompile(`(?m)^  ([a-z]+) `).FindAllStringSubmatch(out.String(), -1) {
		cmds = append(cmds, m[1])
	}
	if !slices.Contains(cmds, "version") {
		t.Fatalf("help lists no commands: %q", out.String())
	}
	return cmds
}

// checkCommand wants [mode --config path] with a CLI subcommand.
func checkCommand(t *testing.T, where string, args, cmds []string) {
	t.Helper()
	if len(args) != 3 || !slices.Contains(cmds, args[0]) || args[1] != "--config" || !strings.HasPrefix(args[2], "/etc/accesswatch/") {
		t.Errorf("%s: command %q: want [<one of %v> --config /etc/accesswatch/...]", where, args, cmds)
	}
}

// TestCommandsExist checks every command line the deployments start against the CLI.
func TestCommandsExist(t *testing.T) {
	cmds := cliCommands(t)
	for _, in := range dockerfile(t, "docker/Dockerfile") {
		if in[0] == "CMD" {
			var args []string
			if err := json.Unmarshal([]byte(in[1]), &args); err != nil {
				t.Fatalf("CMD is not exec form: %v", err)
			}
			checkCommand(t, "Dockerfile CMD", args, cmds)
		}
	}
	compose := readDocs(t, "compose/docker-compose.yml")[0]
	for _, svc := range []string{"collector", "agent"} {
		args := strings_(compose, "services", svc, "command")
		checkCommand(t, "compose "+svc, args, cmds)
		if args[0] != svc {
			t.Errorf("compose service %s runs %q", svc, args[0])
		}
	}
	for _, o := range k8sObjects(t) {
		if o.kind() == "Deployment" {
			checkCommand(t, o.file, strings_(o.doc, "spec", "template", "spec", "containers", 0, "args"), cmds)
		}
	}
	for _, mode := range []string{"agent", "collector"} {
		u := readUnit(t, "systemd/accesswatch-"+mode+".service")
		exec := strings.Fields(strings.Join(u["Service"]["ExecStart"], " "))
		if len(exec) != 4 || exec[0] != "/usr/local/bin/accesswatch" || exec[1] != mode {
			t.Errorf("%s unit ExecStart %q", mode, exec)
			continue
		}
		checkCommand(t, mode+" unit", exec[1:], cmds)
	}
}

// TestImagesAgree: compose, k8s and the Dockerfile's documented tag name one repository.
func TestImagesAgree(t *testing.T) {
	data, err := os.ReadFile("docker/Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`-t (\S+):\S+`).FindSubmatch(data)
	if m == nil || string(m[1]) != image {
		t.Errorf("Dockerfile build tag %q, want %q", m, image)
	}
	repo := func(where, ref string) {
		r, _, _ := strings.Cut(ref, ":")
		if r != image {
			t.Errorf("%s: image %q, want %s:<tag>", where, ref, image)
		}
	}
	compose := readDocs(t, "compose/docker-compose.yml")[0]
	for _, svc := range []string{"collector", "agent"} {
		repo("compose "+svc, str(compose, "services", svc, "image"))
		if df := str(compose, "services", svc, "build", "dockerfile"); df != "deploy/docker/Dockerfile" {
			t.Errorf("compose %s builds %q", svc, df)
		}
	}
	n := 0
	for _, o := range k8sObjects(t) {
		if o.kind() == "Deployment" {
			repo(o.file, str(o.doc, "spec", "template", "spec", "containers", 0, "image"))
			n++
		}
	}
	if n != 5 {
		t.Errorf("%d Deployments, want the collector and 4 agents", n)
	}
}
