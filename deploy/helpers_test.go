package deploy

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// image is the repository every manifest runs; the Dockerfile's documented build tags it.
const image = "ghcr.io/accesswatch/accesswatch"

// readDocs decodes every YAML document of a file.
func readDocs(t *testing.T, path string) []map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return decodeDocs(t, path, data)
}

func decodeDocs(t *testing.T, name string, data []byte) []map[string]any {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []map[string]any
	for i := 0; i < 100; i++ {
		var m map[string]any
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			t.Fatalf("%s: document %d: %v", name, i, err)
		}
		if m != nil {
			docs = append(docs, m)
		}
	}
	t.Fatalf("%s: more than 100 documents", name)
	return nil
}

// get walks a decoded YAML tree by map keys and list indexes ("spec", "containers", 0, ...).
func get(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func str(v any, path ...any) string {
	s, _ := get(v, path...).(string)
	return s
}

func list(v any, path ...any) []any {
	l, _ := get(v, path...).([]any)
	return l
}

func strings_(v any, path ...any) []string {
	var out []string
	for _, x := range list(v, path...) {
		out = append(out, toString(x))
	}
	return out
}

func toString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int:
		return strconv.Itoa(x)
	}
	return ""
}

var varRE = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*|:\?[^}]*)?\}`)

// vars returns the ${VAR}s written in text (config or compose syntax), each with whether it
// has a default (${VAR:-x}). "$${" is a literal and is skipped.
func vars(text string) map[string]bool {
	text = strings.ReplaceAll(text, "$$", "")
	out := map[string]bool{}
	for _, m := range varRE.FindAllStringSubmatch(text, -1) {
		hasDef := strings.HasPrefix(m[2], ":-")
		if prev, seen := out[m[1]]; seen {
			hasDef = hasDef && prev
		}
		out[m[1]] = hasDef
	}
	return out
}

// dummyEnv gives every variable without a default a valid dummy value (distinct per name, long
// enough for a token, a URL for *_URL) and leaves the others unset so their defaults apply.
func dummyEnv(text string) func(string) (string, bool) {
	vs := vars(text)
	return func(name string) (string, bool) {
		if hasDef, ok := vs[name]; !ok || hasDef {
			return "", false
		}
		if strings.HasSuffix(name, "_URL") {
			return "https://example.org/" + strings.ToLower(name), true
		}
		if strings.HasPrefix(name, "PROXY_") {
			return "socks5h://" + strings.ToLower(strings.TrimPrefix(name, "PROXY_")) + ".proxy.example.net:1080", true
		}
		if name == "LOCAL_COUNTRY" {
			return "DE", true
		}
		return "dummy-" + strings.ToLower(strings.ReplaceAll(name, "_", "-")) + "-0123456789", true
	}
}

// listenPort is the port of a host:port.
func listenPort(t *testing.T, listen string) string {
	t.Helper()
	_, port, err := net.SplitHostPort(listen)
	if err != nil {
		t.Fatalf("server.listen %q: %v", listen, err)
	}
	return port
}

// envFile reads KEY=value lines (comments and blanks skipped).
func envFile(t *testing.T, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("%s: not KEY=value: %q", path, line)
		}
		out[k] = v
	}
	return out
}

// unit is a systemd unit file: section → key → values (a key may repeat).
type unit map[string]map[string][]string

func readUnit(t *testing.T, path string) unit {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	u, section := unit{}, ""
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = strings.Trim(line, "[]")
			u[section] = map[string][]string{}
		case section == "":
			t.Fatalf("%s:%d: key outside a section", path, i+1)
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				t.Fatalf("%s:%d: not Key=value: %q", path, i+1, line)
			}
			u[section][k] = append(u[section][k], v)
		}
	}
	return u
}

// dockerfile is the instructions of a Dockerfile, continuation lines joined.
func dockerfile(t *testing.T, path string) [][2]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out [][2]string
	var cur strings.Builder
	for _, line := range strings.Split(string(data), "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") || (trimmed == "" && cur.Len() == 0) {
			continue
		}
		if strings.HasSuffix(trimmed, "\\") {
			cur.WriteString(strings.TrimSuffix(trimmed, "\\") + " ")
			continue
		}
		cur.WriteString(trimmed)
		ins, args, _ := strings.Cut(cur.String(), " ")
		out = append(out, [2]string{strings.ToUpper(ins), strings.TrimSpace(args)})
		cur.Reset()
	}
	return out
}

// yamlFiles lists the YAML files under dir, sorted.
func yamlFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && (strings.HasSuffix(p, ".yml") || strings.HasSuffix(p, ".yaml")) {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}
