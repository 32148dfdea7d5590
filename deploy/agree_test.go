package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/accesswatch/accesswatch/internal/config"
)

func listenOf(t *testing.T, name string, data []byte) string {
	t.Helper()
	cfg, err := config.Parse(data, name, dummyEnv(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	return listenPort(t, cfg.Server.Listen)
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestPortsAgree: EXPOSE, compose ports, Prometheus targets, k8s ports and annotations all name
// the port of the server.listen of the config they serve.
func TestPortsAgree(t *testing.T) {
	var exposed []string
	for _, in := range dockerfile(t, "docker/Dockerfile") {
		if in[0] == "EXPOSE" {
			exposed = append(exposed, strings.Fields(in[1])...)
		}
	}
	collectorPort := listenOf(t, "compose/collector.yml", readFile(t, "compose/collector.yml"))
	agentPort := listenOf(t, "compose/agent.yml", readFile(t, "compose/agent.yml"))
	for _, p := range []string{collectorPort, agentPort} {
		if !slices.Contains(exposed, p) {
			t.Errorf("Dockerfile EXPOSE %v lacks %s", exposed, p)
		}
	}
	compose := readDocs(t, "compose/docker-compose.yml")[0]
	var containerPorts []string
	for _, p := range strings_(compose, "services", "collector", "ports") {
		containerPorts = append(containerPorts, p[strings.LastIndex(p, ":")+1:])
	}
	if !slices.Equal(containerPorts, []string{collectorPort}) {
		t.Errorf("compose collector publishes %v, its config listens on %s", containerPorts, collectorPort)
	}
	if got := strings_(compose, "services", "agent", "expose"); !slices.Equal(got, []string{agentPort}) {
		t.Errorf("compose agent exposes %v, its config listens on %s", got, agentPort)
	}
	prom := readDocs(t, "compose/prometheus.yml")[0]
	var targets []string
	for _, sc := range list(prom, "scrape_configs") {
		targets = append(targets, strings_(sc, "static_configs", 0, "targets")...)
	}
	if want := []string{"collector:" + collectorPort, "agent:" + agentPort}; !slices.Equal(targets, want) {
		t.Errorf("prometheus targets %v, want %v", targets, want)
	}
	objs := k8sObjects(t)
	for _, o := range objs {
		if o.kind() == "Deployment" {
			t.Run(o.name(), func(t *testing.T) { k8sPorts(t, objs, o) })
		}
	}
}

// k8sPorts checks one Deployment against the config in its ConfigMap and against its Service.
func k8sPorts(t *testing.T, objs []k8sObject, d k8sObject) {
	pod := get(d.doc, "spec", "template")
	cmName := str(pod, "spec", "volumes", 0, "configMap", "name")
	cm, ok := find(objs, "ConfigMap", cmName)
	if !ok {
		t.Fatalf("no ConfigMap %q", cmName)
	}
	args := strings_(pod, "spec", "containers", 0, "args")
	key := filepath.Base(args[len(args)-1])
	data := str(cm.doc, "data", key)
	if data == "" {
		t.Fatalf("ConfigMap %s has no %s", cmName, key)
	}
	port := listenOf(t, cmName+"/"+key, []byte(data))
	c := get(pod, "spec", "containers", 0)
	if got := toString(get(c, "ports", 0, "containerPort")); got != port {
		t.Errorf("containerPort %s, config listens on %s", got, port)
	}
	ann := get(pod, "metadata", "annotations")
	if str(ann, "prometheus.io/scrape") != "true" || str(ann, "prometheus.io/port") != port || str(ann, "prometheus.io/path") != "/metrics" {
		t.Errorf("scrape annotations %v, want scrape true, port %s, path /metrics", ann, port)
	}
	for _, probe := range []string{"readinessProbe", "livenessProbe"} {
		if str(c, probe, "httpGet", "path") != "/healthz" || str(c, probe, "httpGet", "port") != "http" {
			t.Errorf("%s %v, want GET /healthz on http", probe, get(c, probe))
		}
	}
	if get(c, "resources", "requests", "memory") == nil || get(c, "resources", "limits", "memory") == nil {
		t.Errorf("resources %v: want requests and limits", get(c, "resources"))
	}
	if get(pod, "spec", "securityContext", "runAsNonRoot") != true || get(c, "securityContext", "allowPrivilegeEscalation") != false {
		t.Error("want runAsNonRoot and no privilege escalation")
	}
	// Every variable without a default comes from the Secret the pod reads.
	secName := str(c, "envFrom", 0, "secretRef", "name")
	sec, ok := find(objs, "Secret", secName)
	if !ok {
		t.Fatalf("no Secret %q", secName)
	}
	for v, hasDef := range vars(data) {
		if _, ok := get(sec.doc, "stringData").(map[string]any)[v]; !ok && !hasDef {
			t.Errorf("${%s} is not in Secret %s", v, secName)
		}
	}
	if d.name() == "collector" {
		svc, ok := find(objs, "Service", "collector")
		if !ok {
			t.Fatal("no collector Service")
		}
		if got := toString(get(svc.doc, "spec", "ports", 0, "port")); got != port {
			t.Errorf("Service port %s, config listens on %s", got, port)
		}
		if str(svc.doc, "metadata", "annotations", "prometheus.io/port") != port {
			t.Error("Service scrape port differs")
		}
	}
}

// TestComposeEnvironment: every ${VAR} of the mounted configs reaches the container and is
// documented in .env.example, and so is every variable docker-compose.yml interpolates.
func TestComposeEnvironment(t *testing.T) {
	example := envFile(t, "compose/.env.example")
	composeText := string(readFile(t, "compose/docker-compose.yml"))
	for v := range vars(composeText) {
		if _, ok := example[v]; !ok {
			t.Errorf("docker-compose.yml uses ${%s}, not in .env.example", v)
		}
	}
	compose := readDocs(t, "compose/docker-compose.yml")[0]
	for _, svc := range []string{"collector", "agent"} {
		t.Run(svc, func(t *testing.T) {
			env, _ := get(compose, "services", svc, "environment").(map[string]any)
			file := "compose/" + svc + ".yml"
			mount := "./" + svc + ".yml:/etc/accesswatch/" + svc + ".yml:ro"
			if !slices.Contains(strings_(compose, "services", svc, "volumes"), mount) {
				t.Errorf("service does not mount %s", mount)
			}
			used := vars(string(readFile(t, file)))
			if len(used) == 0 {
				t.Fatal("config uses no variables")
			}
			for v := range used {
				if _, ok := env[v]; !ok {
					t.Errorf("%s uses ${%s}, not in the service environment", file, v)
				}
				if _, ok := example[v]; !ok {
					t.Errorf("%s uses ${%s}, not in .env.example", file, v)
				}
			}
		})
	}
	if src := str(compose, "services", "influxdb", "environment", "DOCKER_INFLUXDB_INIT_ADMIN_TOKEN"); src != "${INFLUX_TOKEN:?set INFLUX_TOKEN in .env}" {
		t.Errorf("InfluxDB admin token %q is not the collector's INFLUX_TOKEN", src)
	}
}

// TestSystemdUnits asserts the hardening and wiring of both units.
func TestSystemdUnits(t *testing.T) {
	for _, mode := range []string{"agent", "collector"} {
		t.Run(mode, func(t *testing.T) {
			u := readUnit(t, "systemd/accesswatch-"+mode+".service")
			want := map[string]string{
				"DynamicUser": "yes", "ProtectSystem": "strict", "StateDirectory": "accesswatch",
				"WorkingDirectory": "/var/lib/accesswatch", "EnvironmentFile": "/etc/accesswatch/" + mode + ".env",
				"Restart": "on-failure", "NoNewPrivileges": "yes", "ProtectHome": "yes", "CapabilityBoundingSet": "",
			}
			for k, v := range want {
				if got := u["Service"][k]; !slices.Equal(got, []string{v}) {
					t.Errorf("[Service] %s = %q, want %q", k, got, v)
				}
			}
			if got := u["Install"]["WantedBy"]; !slices.Equal(got, []string{"multi-user.target"}) {
				t.Errorf("WantedBy %q", got)
			}
		})
	}
}

func runScript(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("bash", append([]string{"systemd/install-agent.sh"}, args...)...)
	cmd.Dir = "."
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestInstallAgentScript: the script parses, --dry-run works for every site and writes
// nothing, an unknown site is refused, and a real install (root only) is idempotent.
func TestInstallAgentScript(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	if out, err := exec.Command("bash", "-n", "systemd/install-agent.sh").CombinedOutput(); err != nil {
		t.Fatalf("bash -n: %v\n%s", err, out)
	}
	for _, site := range []string{"mumbai", "sydney", "frankfurt", "virginia"} {
		t.Run(site, func(t *testing.T) {
			root := t.TempDir()
			out, err := runScript(t, "--dry-run", "--root", root, site)
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			if !strings.Contains(out, "examples/agent-"+site+".yml "+root+"/etc/accesswatch/agent.yml") {
				t.Errorf("dry run does not install agent-%s.yml:\n%s", site, out)
			}
			if entries, _ := os.ReadDir(root); len(entries) != 0 {
				t.Errorf("dry run wrote %v", entries)
			}
		})
	}
	if out, err := runScript(t, "--dry-run", "tokyo"); err == nil || !strings.Contains(out, "SITE must be one of") {
		t.Errorf("unknown site accepted: %v\n%s", err, out)
	}
	if os.Geteuid() != 0 {
		if out, err := runScript(t, "mumbai"); err == nil || !strings.Contains(out, "must run as root") {
			t.Errorf("ran without root: %v\n%s", err, out)
		}
		return
	}
	root := t.TempDir()
	bin := filepath.Join(t.TempDir(), "accesswatch")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"+ write", "= " + root + "/etc/accesswatch/agent.env exists"} {
		out, err := runScript(t, "--binary", bin, "--root", root, "frankfurt")
		if err != nil || !strings.Contains(out, want) {
			t.Fatalf("install %d: %v, want %q in:\n%s", i, err, want, out)
		}
		if i == 1 && strings.Contains(out, "+ install") {
			t.Errorf("second install changed files:\n%s", out)
		}
	}
	got := readFile(t, filepath.Join(root, "etc/accesswatch/agent.yml"))
	if string(got) != string(readFile(t, "examples/agent-frankfurt.yml")) {
		t.Error("agent.yml is not agent-frankfurt.yml")
	}
	if fi, err := os.Stat(filepath.Join(root, "etc/accesswatch/agent.env")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("agent.env: %v, mode %v", err, fi)
	}
}
