package config

import (
	"errors"
	"testing"
)

// minimal is the smallest valid file; error cases below are variations of it.
const minimal = `vantages: [{id: v1, region: eu, country: DE}]
providers: [{id: p1, kind: anthropic, models: [m1]}]
`

// errorCases hold one small invalid file per rule and the full message it must produce.
// FuzzParse uses them as seeds.
var errorCases = []struct {
	name, yaml, want string
}{
	// Strict decoding.
	{"unknown key with suggestion", `vantages: [{id: v1, region: eu, country: DE}]
providers:
  - id: p1
    kind: anthropic
    models: [m1]
    checks:
      - {kind: models, schedule: "@every 60s"}
      - {kind: model, shedule: "@every 60s"}
`, `t.yml:8: providers[0].checks[1].shedule: unknown key (did you mean "schedule"?)`},
	{"unknown top-level key", "servr: {listen: 127.0.0.1:1}\n" + minimal,
		`t.yml:1: servr: unknown key (did you mean "server"?)`},
	{"unknown key listing known keys", `vantages: [{id: v1, region: eu, country: DE, colour: red}]
providers: [{id: p1, kind: anthropic, models: [m1]}]
`, `t.yml:1: vantages[0].colour: unknown key (want one of id, region, country, source_ip, proxy, concurrency, echo_url)`},
	{"duplicate key", "server:\n  listen: 127.0.0.1:1\n  listen: 127.0.0.1:2\n" + minimal,
		`t.yml:3: server.listen: duplicate key (first at line 2)`},
	{"integer type", "store: {batch_size: ten}\n" + minimal,
		`t.yml:1: store.batch_size: want an integer, got "ten"`},
	{"duration type", "probing:\n  timeout: 10\n" + minimal,
		`t.yml:2: probing.timeout: want a duration like "10s", "5m" or "90d", got "10"`},
	{"list type", `vantages: [{id: v1, region: eu, country: DE}]
providers: [{id: p1, kind: anthropic, models: m1}]
`, `t.yml:2: providers[0].models: want a list, got "m1"`},
	{"mapping type", "server: 8080\n" + minimal, `t.yml:1: server: want a mapping, got "8080"`},
	{"string type", `vantages: [{id: v1, region: {a: b}, country: DE}]
providers: [{id: p1, kind: anthropic, models: [m1]}]
`, `t.yml:1: vantages[0].region: want a string, got a mapping`},
	{"top level not a mapping", "- a\n", `t.yml:1: want a mapping, got a list`},
	{"invalid yaml", "vantages: [\n", `t.yml:1: invalid YAML: did not find expected node content`},
	{"two documents", minimal + "---\nserver: {}\n", `t.yml:3: more than one YAML document`},
	{"merge value not a mapping", `vantages: [{<<: 3, id: v1, region: eu, country: DE}]
providers: [{id: p1, kind: anthropic, models: [m1]}]
`, `t.yml:1: vantages[0]: want a mapping to merge, got "3"`},

	// Environment expansion.
	{"unset variable", `vantages: [{id: v1, region: eu, country: DE}]
providers: [{id: p1, kind: anthropic, models: [m1], api_key: "${NOT_SET}"}]
`, `t.yml:2: providers[0].api_key: environment variable "NOT_SET" is not set`},
	{"unterminated variable", "server: {listen: \"${HOST\"}\n" + minimal,
		`t.yml:1: server.listen: unterminated "${" (write "$$" for a literal dollar)`},
	{"invalid variable name", "server: {listen: \"${1HOST}\"}\n" + minimal,
		`t.yml:1: server.listen: invalid variable name in "${...}" (want letters, digits and "_", not starting with a digit)`},
	{"expanded value of wrong type", "store: {batch_size: \"${TEN}\"}\n" + minimal,
		`t.yml:1: store.batch_size: want an integer, got "ten"`},

	// Server and store.
	{"listen not host:port", "server: {listen: localhost}\n" + minimal,
		`t.yml:1: server.listen: want host:port like "127.0.0.1:8080", got "localhost"`},
	{"listen port not a number", "server: {listen: \"localhost:http\"}\n" + minimal,
		`t.yml:1: server.listen: want host:port like "127.0.0.1:8080", got "localhost:http"`},
	{"batch size zero", "store: {batch_size: 0}\n" + minimal,
		`t.yml:1: store.batch_size: must be at least 1, got 0`},
	{"retention negative", "store: {retention: -1d}\n" + minimal,
		`t.yml:1: store.retention: must not be negative, got "-1d"`},
	{"flush interval zero", "store: {flush_interval: 0s}\n" + minimal,
		`t.yml:1: store.flush_interval: must be greater than 0, got "0s"`},

	// GeoIP.
	{"country db missing", "geoip: {country_db: testdata/missing.mmdb}\n" + minimal,
		`t.yml:1: geoip.country_db: file "testdata/missing.mmdb" does not exist`},
	{"asn db is a directory", "geoip: {asn_db: testdata}\n" + minimal,
		`t.yml:1: geoip.asn_db: "testdata" is a directory, want a database file`},

	// Probing.
	{"timeout too long", "probing: {timeout: 6m}\n" + minimal,
		`t.yml:1: probing.timeout: must be greater than 0 and at most 5m, got "6m"`},
	{"jitter negative", "probing: {jitter: -1s}\n" + minimal,
		`t.yml:1: probing.jitter: must not be negative, got "-1s"`},
	{"concurrency zero", "probing: {concurrency: 0}\n" + minimal,
		`t.yml:1: probing.concurrency: must be at least 1, got 0`},
	{"max body zero", "probing: {max_body_kib: 0}\n" + minimal,
		`t.yml:1: probing.max_body_kib: must be at least 1, got 0`},
	{"max list zero", "probing: {max_list_kib: 0}\n" + minimal,
		`t.yml:1: probing.max_list_kib: must be at least 1, got 0`},
	{"max list too large", "probing: {max_list_kib: 65537}\n" + minimal,
		`t.yml:1: probing.max_list_kib: must be at most 65536 (64 MiB), got 65537`},
	{"verify every zero", "probing: {verify_every: 0s}\n" + minimal,
		`t.yml:1: probing.verify_every: must be greater than 0, got "0s"`},
	{"echo url relative", "probing: {echo_url: /whoami}\n" + minimal,
		`t.yml:1: probing.echo_url: want an absolute http(s) URL, got "/whoami"`},

	// Vantages.
	{"no vantages", "providers: [{id: p1, kind: anthropic, models: [m1]}]\n",
		`t.yml: vantages: at least one vantage is required`},
	{"empty vantage list", "vantages: []\nproviders: [{id: p1, kind: anthropic, models: [m1]}]\n",
		`t.yml:1: vantages: at least one vantage is required`},
	{"vantage id missing", `vantages:
  - {region: eu, country: DE}
providers: [{id: p1, kind: anthropic, models: [m1]}]
`, `t.yml:2: vantages[0].id: required`},
	{"vantage id charset", `vantages: [{id: Mumbai 1, region: eu, country: DE}]
providers: [{id: p1, kind: anthropic, models: [m1]}]
`, `t.yml:1: vantages[0].id: want only a-z, 0-9, ".", "_" and "-", got "Mumbai 1"`},
	{"vantage id duplicate", `vantages:
  - {id: v1, region: eu, country: DE}
  - {id: v1, region: eu, country: FR}
providers: [{id: p1, kind: anthropic, models: [m1]}]
`, `t.yml:3: vantages[1].id: duplicate id "v1" (first at vantages[0])`},
	{"region missing", `vantages:
  - id: v1
    country: DE
providers: [{id: p1, kind: anthropic, models: [m1]}]
`, `t.yml:2: vantages[0].region: required`},
	{"country lower case", `vantages: [{id: v1, region: eu, country: de}]
providers: [{id: p1, kind: anthropic, models: [m1]}]
`, `t.yml:1: vantages[0].country: want two upper-case letters (ISO 3166-1 alpha-2), got "de"`},
	{"source ip", `vantages: [{id: v1, region: eu, country: DE, source_ip: 127.0.0.300}]
providers: [{id: p1, kind: anthropic, models: [m1]}]
`, `t.yml:1: vantages[0].source_ip: want an IP address, got "127.0.0.300"`},
	{"proxy scheme, password redacted", `vantages: [{id: v1, region: eu, country: DE, proxy: "ftp://u:hunter2@127.0.0.1:21"}]
providers: [{id: p1, kind: anthropic, models: [m1]}]
`, `t.yml:1: vantages[0].proxy: want a proxy URL with scheme http, https, socks5 or socks5h and a host, got "ftp://u:xxxxx@127.0.0.1:21"`},
	{"proxy without host", `vantages: [{id: v1, region: eu, country: DE, proxy: "socks5://"}]
providers: [{id: p1, kind: anthropic, models: [m1]}]
`, `t.yml:1: vantages[0].proxy: want a proxy URL with scheme http, https, socks5 or socks5h and a host, got "socks5:"`},
	{"vantage concurrency zero", `vantages: [{id: v1, region: eu, country: DE, concurrency: 0}]
providers: [{id: p1, kind: anthropic, models: [m1]}]
`, `t.yml:1: vantages[0].concurrency: must be at least 1, got 0`},

	// Providers.
	{"no providers", "vantages: [{id: v1, region: eu, country: DE}]\n",
		`t.yml: providers: at least one provider is required`},
	{"provider id duplicate", `vantages: [{id: v1, region: eu, country: DE}]
providers:
  - {id: p1, kind: anthropic, models: [m1]}
  - {id: p1, kind: openai, models: [m1]}
`, `t.yml:4: providers[1].id: duplicate id "p1" (first at providers[0])`},
	{"provider kind unknown", `vantages: [{id: v1, region: eu, country: DE}]
providers: [{id: p1, kind: claude, models: [m1]}]
`, `t.yml:2: providers[0].kind: unknown kind "claude" (want one of anthropic, openai, gemini, mistral, openai_compatible)`},
	{"openai compatible needs base url", `vantages: [{id: v1, region: eu, country: DE}]
providers: [{id: p1, kind: openai_compatible, models: [m1]}]
`, `t.yml:2: providers[0].base_url: required for kind "openai_compatible"`},
	{"base url not absolute", `vantages: [{id: v1, region: eu, country: DE}]
providers: [{id: p1, kind: openai, base_url: api.openai.com/v1, models: [m1]}]
`, `t.yml:2: providers[0].base_url: want an absolute http(s) URL, got "api.openai.com/v1"`},
	{"models missing", `vantages: [{id: v1, region: eu, country: DE}]
providers: [{id: p1, kind: anthropic}]
`, `t.yml:2: providers[0].models: at least one model is required`},
	{"model duplicate", `vantages: [{id: v1, region: eu, country: DE}]
providers:
  - id: p1
    kind: anthropic
    models:
      - m1
      - m1
`, `t.yml:7: providers[0].models[1]: duplicate model "m1" (first at providers[0].models[0])`},
	{"provider vantage unknown", `vantages: [{id: v1, region: eu, country: DE}]
providers: [{id: p1, kind: anthropic, models: [m1], vantages: [v2]}]
`, `t.yml:2: providers[0].vantages[0]: unknown vantage "v2"`},
	{"provider timeout explicit zero", `vantages: [{id: v1, region: eu, country: DE}]
providers: [{id: p1, kind: anthropic, models: [m1], timeout: 0s}]
`, `t.yml:2: providers[0].timeout: must be greater than 0 and at most 5m, got "0s"`},
	{"checks explicitly empty", `vantages: [{id: v1, region: eu, country: DE}]
providers: [{id: p1, kind: anthropic, models: [m1], checks: []}]
`, `t.yml:2: providers[0].checks: at least one check is required (leave checks out for the default models check)`},

	// Checks.
	{"check kind unknown", `vantages: [{id: v1, region: eu, country: DE}]
providers:
  - id: p1
    kind: anthropic
    models: [m1]
    checks: [{kind: ping, schedule: "@hourly"}]
`, `t.yml:6: providers[0].checks[0].kind: unknown check kind "ping" (want one of models, model, count_tokens, generate, status_page)`},
	{"count tokens on openai", `vantages: [{id: v1, region: eu, country: DE}]
providers:
  - id: p1
    kind: openai
    models: [m1]
    checks: [{kind: count_tokens, schedule: "@hourly"}]
`, `t.yml:6: providers[0].checks[0].kind: count_tokens is free only with provider kinds anthropic and gemini, not "openai"`},
	{"schedule missing", `vantages: [{id: v1, region: eu, country: DE}]
providers:
  - id: p1
    kind: anthropic
    models: [m1]
    checks:
      - kind: models
`, `t.yml:7: providers[0].checks[0].schedule: required`},
	{"schedule invalid", `vantages: [{id: v1, region: eu, country: DE}]
providers:
  - id: p1
    kind: anthropic
    models: [m1]
    checks: [{kind: models, schedule: "every 5m"}]
`, `t.yml:6: providers[0].checks[0].schedule: invalid schedule "every 5m": expected 5 to 6 fields, found 2: [every 5m]`},
	{"schedule every too short", `vantages: [{id: v1, region: eu, country: DE}]
providers:
  - id: p1
    kind: anthropic
    models: [m1]
    checks: [{kind: models, schedule: "@every 500ms"}]
`, `t.yml:6: providers[0].checks[0].schedule: invalid schedule "@every 500ms": @every wants a whole number of seconds, at least 1s`},
	{"schedule never fires", `vantages: [{id: v1, region: eu, country: DE}]
providers:
  - id: p1
    kind: anthropic
    models: [m1]
    checks: [{kind: models, schedule: "0 0 30 2 *"}]
`, `t.yml:6: providers[0].checks[0].schedule: schedule "0 0 30 2 *" never fires`},
	{"check model not the provider's", `vantages: [{id: v1, region: eu, country: DE}]
providers:
  - id: p1
    kind: anthropic
    models: [m1]
    checks:
      - kind: generate
        schedule: "@hourly"
        models: [m1, m2]
`, `t.yml:9: providers[0].checks[0].models[1]: "m2" is not one of the provider's models`},
	{"status page with models", `vantages: [{id: v1, region: eu, country: DE}]
providers:
  - id: p1
    kind: anthropic
    models: [m1]
    checks: [{kind: status_page, schedule: "@hourly", models: [m1]}]
`, `t.yml:6: providers[0].checks[0].models: not used by check kind "status_page"`},
	{"check timeout negative", `vantages: [{id: v1, region: eu, country: DE}]
providers:
  - id: p1
    kind: anthropic
    models: [m1]
    checks: [{kind: models, schedule: "@hourly", timeout: -1s}]
`, `t.yml:6: providers[0].checks[0].timeout: must be greater than 0 and at most 5m, got "-1s"`},

	// Detection and alerting.
	{"fail after zero", "detection: {fail_after: 0}\n" + minimal,
		`t.yml:1: detection.fail_after: must be at least 1, got 0`},
	{"recover after negative", "detection: {recover_after: -1}\n" + minimal,
		`t.yml:1: detection.recover_after: must be at least 1, got -1`},
	{"webhook url relative, not echoed", "alerting: {webhooks: [{url: /hooks/T0/B0/XXXX}]}\n" + minimal,
		`t.yml:1: alerting.webhooks[0].url: want an absolute http(s) URL`},
	{"slack without webhook or token", "alerting: {slack: [{channel: '#x'}]}\n" + minimal,
		`t.yml:1: alerting.slack[0]: set exactly one of webhook_url (incoming webhook) or token (bot token, with channel)`},
	{"slack token without channel", "alerting: {slack: [{token: xoxb-SECRET}]}\n" + minimal,
		`t.yml:1: alerting.slack[0].channel: required with a bot token`},
	{"slack webhook not a URL, not echoed", "alerting: {slack: [{webhook_url: hooks.slack.com/services/SECRET}]}\n" + minimal,
		`t.yml:1: alerting.slack[0].webhook_url: want an absolute http(s) URL`},
	{"duplicate receiver names", "alerting: {webhooks: [{name: ops, url: 'https://a.example/h'}], slack: [{name: ops, webhook_url: 'https://hooks.example/x'}]}\n" + minimal,
		`t.yml:1: alerting.slack[0].name: duplicate receiver name "ops" (first at alerting.webhooks[0])`},
	{"route to unknown receiver", "alerting: {webhooks: [{url: 'https://a.example/h'}], routes: [{receivers: [pager]}]}\n" + minimal,
		`t.yml:1: alerting.routes[0].receivers[0]: unknown receiver "pager" (have webhook-1)`},
	{"route without receivers", "alerting: {routes: [{regions: [eu]}]}\n" + minimal,
		`t.yml:1: alerting.routes[0].receivers: required: name at least one receiver`},
	{"route unknown region and kind", "alerting: {webhooks: [{url: 'https://a.example/h'}], routes: [{receivers: [webhook-1], regions: [mars], kinds: [exploded]}]}\n" + minimal,
		"t.yml:1: alerting.routes[0].regions[0]: no vantage is in region \"mars\"\n" +
			`t.yml:1: alerting.routes[0].kinds[0]: want one of revoked, restored, outage, degraded, recovered, vantage_fault, misconfigured, deprecation, retired, got "exploded"`},
	{"silence bad times", "alerting: {silences: [{providers: [p1], starts: tomorrow, ends: '2026-12-01T00:00:00Z'}]}\n" + minimal,
		`t.yml:1: alerting.silences[0].starts: want an RFC 3339 time like 2026-12-01T02:00:00Z, got "tomorrow"`},
	{"silence ends before starts", "alerting: {silences: [{starts: '2026-12-02T00:00:00Z', ends: '2026-12-01T00:00:00Z'}]}\n" + minimal,
		`t.yml:1: alerting.silences[0].ends: must be after starts (2026-12-02T00:00:00Z)`},
	{"reminder too frequent", "alerting: {reminder_interval: 10s}\n" + minimal,
		`t.yml:1: alerting.reminder_interval: must be 0 (no reminders) or at least 1m, got "10s"`},
	{"group interval too short", "alerting: {group_interval: 500ms}\n" + minimal,
		`t.yml:1: alerting.group_interval: must be from 1s to 1h, got "500ms"`},
	{"group interval below group wait", "alerting: {group_wait: 10s, group_interval: 5s}\n" + minimal,
		`t.yml:1: alerting.group_interval: must not be shorter than group_wait (10s), got "5s"`},
	{"public url not a url", "server: {public_url: 'watch.example.org'}\n" + minimal,
		`t.yml:1: server.public_url: want an absolute http(s) URL like https://watch.example.org, got "watch.example.org"`},
	{"public url with query", "server: {public_url: 'https://watch.example.org/?a=b'}\n" + minimal,
		`t.yml:1: server.public_url: want a base URL without query or fragment (pages are appended to it), got "https://watch.example.org/?a=b"`},
	{"public url with credentials", "server: {public_url: 'https://u:p@watch.example.org'}\n" + minimal,
		`t.yml:1: server.public_url: must not carry credentials: it is shown in every notification`},
	{"influx without bucket", "store: {influx: {url: 'http://127.0.0.1:8086'}}\n" + minimal,
		`t.yml:1: store.influx.bucket: required (InfluxDB 1.8: "database/retention-policy", e.g. "accesswatch/autogen")`},
	{"influx settings without url", "store: {influx: {bucket: a/b}}\n" + minimal,
		`t.yml:1: store.influx.url: required when store.influx is configured`},
	{"agent without token", "agent: {id: mumbai, collector_url: 'https://c.example'}\n" + minimal,
		`t.yml:1: agent.token: required`},
	{"agent without collector", "agent: {id: mumbai, token: abcdefghijklmnopq}\n" + minimal,
		`t.yml:1: agent.collector_url: required`},
	{"collector token too short", "collector: {agents: [{id: a1, tokens: [short]}]}\n",
		`t.yml:1: collector.agents[0].tokens[0]: too short: use at least 16 random characters`},
	{"collector token shared", "collector: {agents: [{id: a1, tokens: [abcdefghijklmnopq]}, {id: a2, tokens: [abcdefghijklmnopq]}]}\n",
		`t.yml:1: collector.agents[1].tokens[0]: the same token is already used at collector.agents[0].tokens[0]`},
	{"spool max age too short", "agent: {id: mumbai, collector_url: 'https://c.example', token: abcdefghijklmnopq, spool_max_age: 30s}\n" + minimal,
		`t.yml:1: agent.spool_max_age: must be at least 1m, got "30s"`},
	{"result age too short", "collector:\n  agents: [{id: a1, tokens: [abcdefghijklmnopq]}]\n  max_result_age: 0s\n",
		`t.yml:3: collector.max_result_age: must be at least 1m, got "0s"`},
	{"clock skew too long", "collector:\n  agents: [{id: a1, tokens: [abcdefghijklmnopq]}]\n  max_clock_skew: 2h\n",
		`t.yml:3: collector.max_clock_skew: must be from 1s to 1h, got "2h"`},
	{"collector vantage unknown", "vantages: [{id: v1, region: eu, country: DE}]\ncollector:\n  agents: [{id: a1, tokens: [abcdefghijklmnopq], vantages: [v1, v2]}]\n",
		`t.yml:3: collector.agents[0].vantages[1]: unknown vantage "v2"`},
	{"collector three tokens", "collector: {agents: [{id: a1, tokens: [abcdefghijklmnop1, abcdefghijklmnop2, abcdefghijklmnop3]}]}\n",
		`t.yml:1: collector.agents[0].tokens: want one token, or two while rotating, got 3`},
	{"status page of an unknown vendor", "vantages: [{id: v1, region: eu, country: DE}]\nproviders: [{id: p1, kind: mistral, models: [m1], checks: [{kind: status_page, schedule: '@every 5m'}]}]\n",
		`t.yml:2: providers[0].checks[0].url: required: no status page is known for provider kind "mistral" (give its /api/v2/summary.json)`},
	{"url on a probe check", "vantages: [{id: v1, region: eu, country: DE}]\nproviders: [{id: p1, kind: anthropic, models: [m1], checks: [{kind: models, schedule: '@every 5m', url: 'https://x.example'}]}]\n",
		`t.yml:2: providers[0].checks[0].url: only status_page checks take a url`},
	{"grafana without token", "grafana: {url: 'http://127.0.0.1:3000'}\n" + minimal,
		`t.yml:1: grafana.token: required: a Grafana service-account token`},
	{"bool not a bool", "probing: {http2: maybe}\n" + minimal,
		`t.yml:1: probing.http2: want true or false, got "maybe"`},

	// Several problems come back together, in line order.
	{"all problems in line order", `vantages:
  - {id: v1, region: eu, country: de}
server: {listen: nope}
providers: [{id: p1, kind: anthropic, models: [m1]}]
`, "t.yml:2: vantages[0].country: want two upper-case letters (ISO 3166-1 alpha-2), got \"de\"\n" +
		`t.yml:3: server.listen: want host:port like "127.0.0.1:8080", got "nope"`},
}

func testEnv(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := vars[k]
		return v, ok
	}
}

func TestParseErrors(t *testing.T) {
	env := testEnv(map[string]string{"TEN": "ten"})
	for _, tc := range errorCases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse([]byte(tc.yaml), "t.yml", env)
			if err == nil {
				t.Fatalf("Parse succeeded, want error %q; config %+v", tc.want, c)
			}
			if c != nil {
				t.Errorf("Parse returned a config with an error")
			}
			if err.Error() != tc.want {
				t.Errorf("error:\n got %s\nwant %s", err, tc.want)
			}
			var e *Error
			if !errors.As(err, &e) || e.File != "t.yml" {
				t.Errorf("error %v is not an *Error naming the file", err)
			}
		})
	}
}

// TestMinimalIsValid keeps the base of errorCases honest: each case fails for its own reason.
func TestMinimalIsValid(t *testing.T) {
	if _, err := Parse([]byte(minimal), "t.yml", nil); err != nil {
		t.Fatal(err)
	}
}

func TestValidateCodeBuiltConfig(t *testing.T) {
	c := &Config{
		Vantages:  []Vantage{{ID: "v1", Region: "eu", Country: "DE", Line: 7}},
		Providers: []Provider{{ID: "p1", Kind: "anthropic", Models: []string{"m1"}, Line: 9}},
	}
	c.ApplyDefaults()
	if err := c.Validate(); err != nil {
		t.Fatalf("valid code-built config: %v", err)
	}
	c.Vantages[0].Country = "Germany"
	c.Providers[0].Checks[0].Schedule = "@sometimes" // the default check: it has the provider's line
	err := c.Validate()
	want := "config:7: vantages[0].country: want two upper-case letters (ISO 3166-1 alpha-2), got \"Germany\"\n" +
		"config:9: providers[0].checks[0].schedule: invalid schedule \"@sometimes\": unrecognized descriptor: @sometimes"
	if err == nil || err.Error() != want {
		t.Errorf("error:\n got %v\nwant %s", err, want)
	}
}
