package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

const testKey = "sk-ant-api03-TESTSECRET-0123456789"

func TestLoadExample(t *testing.T) {
	c, err := Load("testdata/example.yml", testEnv(map[string]string{"ANTHROPIC_API_KEY": testKey}))
	if err != nil {
		t.Fatal(err)
	}
	models := []string{"claude-fable-5", "claude-mythos-5", "claude-sonnet-4-5"}
	echo := "http://127.0.0.1:8080/api/v1/whoami"
	want := &Config{
		Server: Server{Listen: "127.0.0.1:8080", PageRefresh: Duration(30 * time.Second), FrameAncestors: []string{"*"}},
		Store: Store{Path: "./data/accesswatch.db", Retention: Duration(90 * 24 * time.Hour),
			BatchSize: 500, FlushInterval: Duration(time.Second)},
		Probing: Probing{Timeout: Duration(10 * time.Second), Jitter: Duration(2 * time.Second),
			Concurrency: 8, EchoURL: echo, ControlURL: echo, MaxBodyKiB: 64, MaxListKiB: 4096,
			UserAgent: "accesswatch/dev", Verify: Duration(5 * time.Minute)},
		Vantages: []Vantage{
			{ID: "in-mumbai-1", Region: "india", Country: "IN", SourceIP: "127.0.1.1", Concurrency: 8, EchoURL: echo, Line: 5},
			{ID: "us-virginia-1", Region: "us", Country: "US", Proxy: "socks5://proxy.example.net:1080", Concurrency: 8, EchoURL: echo, Line: 6},
		},
		Providers: []Provider{{
			ID: "anthropic", Kind: "anthropic", BaseURL: "https://api.anthropic.com", APIKey: testKey,
			Models: models, Timeout: Duration(10 * time.Second), Line: 8,
			Checks: []Check{
				{Kind: "models", Schedule: "@every 60s", Models: models, Timeout: Duration(10 * time.Second), Line: 14},
				{Kind: "generate", Schedule: "@every 5m", Models: models, Timeout: Duration(10 * time.Second), Line: 15},
			},
		}},
		Detection: Detection{FailAfter: 2, RecoverAfter: 2},
		Alerting: Alerting{Webhooks: []Webhook{{Name: "webhook-1", URL: "https://example.org/hook"}},
			GroupWait: Duration(time.Second), GroupInterval: Duration(time.Minute), IncidentWindow: Duration(10 * time.Minute)},
		Collector: Collector{MaxBodyMiB: 16, MaxResultAge: Duration(24 * time.Hour), MaxClockSkew: Duration(5 * time.Minute)},
		Path:      "testdata/example.yml",
	}
	if c.src == nil {
		t.Error("parsed config has no source positions")
	}
	c.src = nil
	if !reflect.DeepEqual(c, want) {
		t.Errorf("config:\n got %+v\nwant %+v", c, want)
	}
	if c.Providers[0].APIKey.Reveal() != testKey {
		t.Error("api_key not expanded")
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "none.yml"), nil)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load of a missing file: %v, want fs.ErrNotExist", err)
	}
}

func TestEnvExpansion(t *testing.T) {
	env := testEnv(map[string]string{"HOST": "127.0.0.2", "PORT": "9000", "EMPTY": "", "N": "7", "UA": "ua/${NOT}"})
	tests := []struct {
		name, in, want, wantErr string
	}{
		{name: "plain", in: "abc", want: "abc"},
		{name: "two variables", in: "${HOST}:${PORT}", want: "127.0.0.2:9000"},
		{name: "default unused", in: "${PORT:-1}", want: "9000"},
		{name: "default for unset", in: "${NOPE:-127.0.0.1:80}", want: "127.0.0.1:80"},
		{name: "default for empty", in: "${EMPTY:-x}", want: "x"},
		{name: "empty default", in: "a${NOPE:-}b", want: "ab"},
		{name: "set but empty", in: "a${EMPTY}b", want: "ab"},
		{name: "dollar escape", in: "$${HOST}", want: "${HOST}"},
		{name: "double escape", in: "$$$$", want: "$$"},
		{name: "lone dollar kept", in: "pa$ $5 $-x $", want: "pa$ $5 $-x $"},
		{name: "escaped name kept", in: "pa$$word", want: "pa$word"},
		{name: "bare variable", in: "$OPENAI_KEY", wantErr: `"$OPENAI_KEY" looks like a variable: write ${OPENAI_KEY}, or $$ for a literal $`},
		{name: "bare variable inside", in: "pa$word", wantErr: `"$word" looks like a variable: write ${word}, or $$ for a literal $`},
		{name: "value not expanded again", in: "${UA}", want: "ua/${NOT}"},
		{name: "unset", in: "x${NOPE}", wantErr: `environment variable "NOPE" is not set`},
		{name: "unterminated", in: "${HOST", wantErr: `unterminated "${" (write "$$" for a literal dollar)`},
		{name: "bad name", in: "${A-B}", wantErr: `invalid variable name in "${...}" (want letters, digits and "_", not starting with a digit)`},
		{name: "empty name", in: "${}", wantErr: `invalid variable name in "${...}" (want letters, digits and "_", not starting with a digit)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := expand(tc.in, env)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Errorf("expand(%q) = %q, %v; want error %q", tc.in, got, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("expand(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestEnvExpansionInConfig(t *testing.T) {
	env := testEnv(map[string]string{"PORT": "9000", "N": "7", "KEY": testKey, "REGION": "eu"})
	const doc = `server: {listen: "${HOST:-0.0.0.0}:${PORT}"}
store: {batch_size: "${N}"}
vantages: [{id: v1, region: "${REGION}", country: DE}]
providers:
  - id: p1
    kind: anthropic
    api_key: ${KEY}
    models: ['${REGION}-model']
    headers: {X-Literal: "$${KEY}"}
`
	c, err := Parse([]byte(doc), "t.yml", env)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct{ name, got, want string }{
		{"listen", c.Server.Listen, "0.0.0.0:9000"},
		{"echo url uses loopback", c.Probing.EchoURL, "http://127.0.0.1:9000/api/v1/whoami"},
		{"region", c.Vantages[0].Region, "eu"},
		{"single-quoted model", c.Providers[0].Models[0], "eu-model"},
		{"escaped header", c.Providers[0].Headers["X-Literal"], "${KEY}"},
		{"api key", c.Providers[0].APIKey.Reveal(), testKey},
		{"batch size", fmt.Sprint(c.Store.BatchSize), "7"},
	}
	for _, ck := range checks {
		if ck.got != ck.want {
			t.Errorf("%s = %q, want %q", ck.name, ck.got, ck.want)
		}
	}
	// Keys are never expanded: a key written as ${X} stays unknown.
	_, err = Parse([]byte("${KEY}: 1\n"+minimal), "t.yml", env)
	if want := "t.yml:1: ${KEY}: unknown key (want one of server, store, geoip, probing, vantages, providers, detection, alerting, grafana, agent, collector)"; err == nil || err.Error() != want {
		t.Errorf("expanded key: %v, want %s", err, want)
	}
}

func TestDefaults(t *testing.T) {
	const doc = `server: {listen: "[::]:9000"}
store: {retention: 0}
probing: {jitter: 0s, timeout: 20s}
vantages:
  - {id: v1, region: eu, country: DE, concurrency: 2}
  - {id: v2, region: eu, country: FR, echo_url: "http://127.0.0.3/ip"}
providers:
  - {id: o, kind: openai, models: [a, b], timeout: 30s, checks: [{kind: model, schedule: "@hourly", models: [b]}, {kind: generate, schedule: "@daily", timeout: 40s}, {kind: status_page, schedule: "@hourly"}]}
  - {id: g, kind: gemini, models: [c]}
  - {id: m, kind: mistral, models: [c], vantages: [v2]}
`
	c, err := Parse([]byte(doc), "t.yml", nil)
	if err != nil {
		t.Fatal(err)
	}
	o, g, m := c.Providers[0], c.Providers[1], c.Providers[2]
	tests := []struct {
		name      string
		got, want any
	}{
		{"explicit zero retention kept", c.Store.Retention, Duration(0)},
		{"explicit zero jitter kept", c.Probing.Jitter, Duration(0)},
		{"wildcard listen host reached on loopback", c.Probing.EchoURL, "http://127.0.0.1:9000/api/v1/whoami"},
		{"control url is the echo url", c.Probing.ControlURL, c.Probing.EchoURL},
		{"vantage concurrency kept", c.Vantages[0].Concurrency, 2},
		{"vantage concurrency inherited", c.Vantages[1].Concurrency, 8},
		{"vantage echo url inherited", c.Vantages[0].EchoURL, c.Probing.EchoURL},
		{"vantage echo url kept", c.Vantages[1].EchoURL, "http://127.0.0.3/ip"},
		{"openai base url", o.BaseURL, "https://api.openai.com/v1"},
		{"gemini base url", g.BaseURL, "https://generativelanguage.googleapis.com"},
		{"mistral base url", m.BaseURL, "https://api.mistral.ai"},
		{"provider timeout kept", o.Timeout, Duration(30 * time.Second)},
		{"provider timeout inherited", g.Timeout, Duration(20 * time.Second)},
		{"check timeout inherited", o.Checks[0].Timeout, Duration(30 * time.Second)},
		{"check timeout kept", o.Checks[1].Timeout, Duration(40 * time.Second)},
		{"check models kept", o.Checks[0].Models, []string{"b"}},
		{"check models default to all", o.Checks[1].Models, []string{"a", "b"}},
		{"status page has no models", o.Checks[2].Models, []string(nil)},
		{"default checks", g.Checks, []Check{{Kind: "models", Schedule: "@every 60s", Models: []string{"c"}, Timeout: Duration(20 * time.Second), Line: 9}}},
		{"vantages for restricted provider", ids(c.VantagesFor(m)), []string{"v2"}},
		{"vantages for provider", ids(c.VantagesFor(g)), []string{"v1", "v2"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !reflect.DeepEqual(tc.got, tc.want) {
				t.Errorf("got %#v, want %#v", tc.got, tc.want)
			}
		})
	}
	before := fmt.Sprintf("%+v", c)
	c.ApplyDefaults()
	if after := fmt.Sprintf("%+v", c); after != before {
		t.Errorf("ApplyDefaults is not idempotent:\n%s\n%s", before, after)
	}
}

func ids(vs []Vantage) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.ID)
	}
	return out
}

func TestMergeKeysAndAliases(t *testing.T) {
	const doc = `vantages:
  - &base {id: v1, region: eu, country: DE}
  - {<<: *base, id: v2}
providers:
  - id: p1
    kind: anthropic
    models: &models [m1, m2]
    checks: [{kind: generate, schedule: "@hourly", models: *models}]
`
	c, err := Parse([]byte(doc), "t.yml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if v := c.Vantages[1]; v.ID != "v2" || v.Region != "eu" || v.Country != "DE" {
		t.Errorf("merged vantage = %+v", v)
	}
	if got := c.Providers[0].Checks[0].Models; !reflect.DeepEqual(got, []string{"m1", "m2"}) {
		t.Errorf("aliased models = %v", got)
	}
}

func TestAliasBomb(t *testing.T) {
	// 20 providers × 60 checks × 100 models: a 2 KB file that expands to 120,000 values.
	var models []string
	for i := range 100 {
		models = append(models, fmt.Sprintf("m%d", i))
	}
	doc := "vantages: [{id: v1, region: eu, country: DE}]\nproviders:\n" +
		"  - &p {id: p0, kind: anthropic, models: &m [" + strings.Join(models, ", ") + "], checks: [" +
		"&c {kind: model, schedule: '@hourly', models: *m}" + strings.Repeat(", *c", 59) + "]}\n" +
		strings.Repeat("  - *p\n", 19)
	_, err := Parse([]byte(doc), "t.yml", nil)
	want := "t.yml:3: providers[15].checks[18].models[11]: too many values after expanding aliases (limit 100000)"
	if err == nil || err.Error() != want {
		t.Errorf("alias bomb: %.300v\nwant %s", err, want)
	}
}

// TestSecretNeverPrinted checks every way this package shows a Config, a plan or an error.
func TestSecretNeverPrinted(t *testing.T) {
	env := testEnv(map[string]string{"ANTHROPIC_API_KEY": testKey, "HOOK_SECRET": testKey + "-hook"})
	c, err := Load("testdata/example.yml", env)
	if err != nil {
		t.Fatal(err)
	}
	c.Alerting.Webhooks[0].Secret = Secret(testKey + "-hook")
	jsonConfig, _ := json.Marshal(c)
	yamlConfig, _ := yaml.Marshal(c)
	plan := BuildPlan(c)
	jsonPlan, _ := json.Marshal(plan)
	var text strings.Builder
	if err := plan.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	// An invalid file with a secret: the errors must not carry it.
	bad := `vantages: [{id: v1, region: eu, country: de}]
providers: [{id: p1, kind: nope, models: [m1], api_key: "${ANTHROPIC_API_KEY}", checks: [{kind: models, schedule: x}]}]
alerting: {webhooks: [{url: /x, secret: "${HOOK_SECRET}"}]}
`
	_, badErr := Parse([]byte(bad), "t.yml", env)
	if badErr == nil {
		t.Fatal("invalid file parsed")
	}
	outputs := map[string]string{
		"%v": fmt.Sprintf("%v", c), "%+v": fmt.Sprintf("%+v", c), "%#v": fmt.Sprintf("%#v", *c),
		"%v providers": fmt.Sprintf("%v", c.Providers), "json": string(jsonConfig), "yaml": string(yamlConfig),
		"plan json": string(jsonPlan), "plan text": text.String(), "errors": badErr.Error(),
	}
	for name, out := range outputs {
		if strings.Contains(out, "TESTSECRET") {
			t.Errorf("%s shows the secret: %s", name, out)
		}
	}
	if !strings.Contains(outputs["%+v"], "APIKey:<secret>") || !strings.Contains(outputs["json"], `"APIKey":"\u003csecret\u003e"`) {
		t.Errorf("secret not shown as <secret>: %s", outputs["%+v"])
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"10s", 10 * time.Second, true},
		{"1h30m", 90 * time.Minute, true},
		{"90d", 90 * day, true},
		{"1d12h", 36 * time.Hour, true},
		{"-1d", -day, true},
		{"0", 0, true},
		{"d", 0, false},
		{"1.5d", 0, false},
		{"1d-1h", 0, false},
		{"+1d", 0, false},
		{"10", 0, false},
		{"99999999999999d", 0, false},
		{"", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseDuration(tc.in)
			if (err == nil) != tc.ok || got != tc.want {
				t.Errorf("ParseDuration(%q) = %v, %v; want %v, ok %v", tc.in, got, err, tc.want, tc.ok)
			}
		})
	}
}

func TestDurationText(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"}, {time.Second, "1s"}, {90 * time.Second, "1m30s"}, {5 * time.Minute, "5m"},
		{time.Hour, "1h"}, {90 * day, "90d"}, {36 * time.Hour, "1d12h"}, {-2 * time.Minute, "-2m"},
		{1500 * time.Millisecond, "1.5s"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			got := Duration(tc.d).String()
			if got != tc.want {
				t.Errorf("String() = %q, want %q", got, tc.want)
			}
			var back Duration
			if err := back.UnmarshalText([]byte(got)); err != nil || back.D() != tc.d {
				t.Errorf("UnmarshalText(%q) = %v, %v", got, back.D(), err)
			}
		})
	}
	var d struct {
		T Duration `yaml:"t"`
	}
	if err := yaml.Unmarshal([]byte("t: 2d"), &d); err != nil || d.T.D() != 2*day {
		t.Errorf("yaml.Unmarshal: %v, %v", d.T, err)
	}
}

func TestBareVariableNamesKeyAndLine(t *testing.T) {
	data := "vantages: [{id: v1, region: eu, country: DE}]\nproviders:\n  - id: openai\n    kind: openai\n" +
		"    base_url: \"https://api.openai.com/v1\"\n    models: [gpt-4o]\n    api_key: \"$OPENAI_KEY\"\n" +
		"    checks: [{kind: models, schedule: \"@hourly\"}]\n"
	_, err := Parse([]byte(data), "accesswatch.yml", testEnv(map[string]string{"OPENAI_KEY": "sk-x"}))
	want := `accesswatch.yml:7: providers[0].api_key: "$OPENAI_KEY" looks like a variable: write ${OPENAI_KEY}, or $$ for a literal $`
	if err == nil || err.Error() != want {
		t.Fatalf("error %v\nwant  %s", err, want)
	}
	// A secret's bare "$word" that is not shaped like a variable stays out of the message.
	_, err = Parse([]byte(strings.Replace(data, "$OPENAI_KEY", "hun$ter2", 1)), "accesswatch.yml", nil)
	if err == nil || strings.Contains(err.Error(), "ter2") || !strings.Contains(err.Error(), "providers[0].api_key: a \"$\" followed by a name") {
		t.Fatalf("secret: %v", err)
	}
	// $$ keeps a literal dollar.
	c, err := Parse([]byte(strings.Replace(data, "$OPENAI_KEY", "hun$$ter2", 1)), "accesswatch.yml", nil)
	if err != nil || c.Providers[0].APIKey.Reveal() != "hun$ter2" {
		t.Fatalf("escaped: %v", err)
	}
}

func TestAllowUnset(t *testing.T) {
	data := "vantages: [{id: v1, region: eu, country: DE}]\nproviders:\n  - id: openai\n    kind: openai\n" +
		"    base_url: \"${OPENAI_URL}\"\n    models: [gpt-4o]\n    api_key: \"${OPENAI_KEY}\"\n" +
		"    checks: [{kind: models, schedule: \"@hourly\"}]\n"
	if _, err := Parse([]byte(data), "c.yml", nil); err == nil {
		t.Fatal("unset variables must fail a plain Parse")
	}
	c, err := ParseWith([]byte(data), "c.yml", nil, Options{AllowUnset: true})
	if err != nil {
		t.Fatalf("AllowUnset: %v", err)
	}
	var got []string
	for _, u := range c.Unset {
		got = append(got, u.String())
	}
	want := []string{`c.yml:5: providers[0].base_url: environment variable "OPENAI_URL" is not set`,
		`c.yml:7: providers[0].api_key: environment variable "OPENAI_KEY" is not set`}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("Unset:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The rest is still validated.
	_, err = ParseWith([]byte(strings.Replace(data, "kind: models,", "kind: modelz,", 1)), "c.yml", nil, Options{AllowUnset: true})
	if err == nil || !strings.Contains(err.Error(), "c.yml:8: providers[0].checks[0].kind") {
		t.Fatalf("other errors must remain: %v", err)
	}
}
