package config

import (
	"io"
	"os"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// fuzzEnv sets every variable whose name starts with A to M to a value derived from its name,
// so a leak of an expanded secret can be traced; others are unset (defaults, errors).
func fuzzEnv(name string) (string, bool) {
	if name == "" || name[0] < 'A' || name[0] > 'M' {
		return "", false
	}
	return "Zq9-" + name + "-secretvalue", true
}

// FuzzParse: Parse never panics, nor does building and printing the plan of what it accepts,
// and no error shows a value written (or expanded) under api_key or secret.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"testdata/example.yml", "testdata/plan.yml"} {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, tc := range errorCases {
		f.Add([]byte(tc.yaml))
	}
	f.Add([]byte(`vantages: [{id: v1, region: eu, country: de}]
providers: [{id: p1, kind: openai, models: [m1], api_key: "sk-fuzz-literal-secret", checks: [{kind: count_tokens, schedule: x}]}]
alerting: {webhooks: [{url: x, secret: "${HOOK_SECRET}"}]}
`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, "f.yml", fuzzEnv)
		if err == nil {
			if err := BuildPlan(c).WriteText(io.Discard); err != nil {
				t.Fatal(err)
			}
			return
		}
		msg := err.Error()
		for _, s := range secretValues(data) {
			if strings.Contains(msg, s) {
				t.Fatalf("error shows secret %q:\n%s", s, msg)
			}
		}
	})
}

// secretValues lists the values a file puts under api_key and secret keys that must not show:
// literal values, and the expansions of the variables they name. Values that also occur
// elsewhere in the file (under an anchor, alias, another key) may rightly show and are left
// out, as are short literals, which ordinary message words could contain.
func secretValues(data []byte) []string {
	var root yaml.Node
	if yaml.Unmarshal(data, &root) != nil {
		return nil
	}
	var secret, other []*yaml.Node
	var walk func(n *yaml.Node, underSecret bool, depth int)
	walk = func(n *yaml.Node, underSecret bool, depth int) {
		if n == nil || depth > 50 {
			return
		}
		switch n.Kind {
		case yaml.ScalarNode:
			if underSecret && n.Anchor == "" {
				secret = append(secret, n)
			} else {
				other = append(other, n)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i]
				walk(k, false, depth+1)
				walk(n.Content[i+1], k.Value == "api_key" || k.Value == "secret", depth+1)
			}
		default:
			for _, c := range n.Content {
				walk(c, false, depth+1)
			}
		}
	}
	walk(&root, false, 0)
	elsewhere := func(s string) bool {
		for _, n := range other {
			if strings.Contains(n.Value, s) {
				return true
			}
		}
		return false
	}
	var out []string
	for _, n := range secret {
		if !strings.Contains(n.Value, "$") && len(n.Value) >= 12 && !elsewhere(n.Value) {
			out = append(out, n.Value)
		}
		for rest := n.Value; ; {
			i := strings.Index(rest, "${")
			if i < 0 {
				break
			}
			rest = rest[i+2:]
			name, _, _ := strings.Cut(rest, "}")
			name, _, _ = strings.Cut(name, ":-")
			if v, ok := fuzzEnv(name); ok && !elsewhere(name) {
				out = append(out, v)
			}
		}
	}
	return out
}
