package config

import (
	"time"
)

// Config is the whole accesswatch configuration file.
type Config struct {
	Server    Server     `yaml:"server"`
	Store     Store      `yaml:"store"`
	GeoIP     GeoIP      `yaml:"geoip"`
	Probing   Probing    `yaml:"probing"`
	Vantages  []Vantage  `yaml:"vantages"`
	Providers []Provider `yaml:"providers"`
	Detection Detection  `yaml:"detection"`
	Alerting  Alerting   `yaml:"alerting"`
	Grafana   Grafana    `yaml:"grafana"`   // dashboards publishing and event annotations
	Agent     Agent      `yaml:"agent"`     // for `accesswatch agent`
	Collector Collector  `yaml:"collector"` // for `accesswatch collector`

	// Path is the file the config was loaded from ("" when built in code).
	Path string `yaml:"-"`

	// src remembers where each key was written, for messages and for telling an explicit
	// zero from an omitted key; nil for a Config built in code.
	src *source
	// Unset lists the ${VAR}s that were not set, when loaded with Options.AllowUnset.
	Unset []Warning `yaml:"-"`
}

// Server is the HTTP listener of run/collector.
type Server struct {
	Listen string `yaml:"listen"` // default 127.0.0.1:8080
	// PageRefresh is how often the status page refreshes its sections in place; default 30s.
	PageRefresh Duration `yaml:"page_refresh"`
	// FrameAncestors may embed the /embed widget (CSP frame-ancestors); default ["*"].
	FrameAncestors []string `yaml:"frame_ancestors"`
	// PublicURL is where readers reach this server (https://watch.example.org, or with a path
	// prefix behind a proxy); notifications and alert annotations link incident pages under it
	// (PublicURL + /incidents/{id}). Empty: they carry the path only.
	PublicURL string `yaml:"public_url"`
}

// Store configures the embedded SQLite store.
type Store struct {
	Path          string   `yaml:"path"`           // default ./data/accesswatch.db
	Retention     Duration `yaml:"retention"`      // default 90d; an explicit 0 keeps forever
	BatchSize     int      `yaml:"batch_size"`     // default 500 results a transaction
	FlushInterval Duration `yaml:"flush_interval"` // default 1s
	Influx        Influx   `yaml:"influx"`         // optional: every result also goes to InfluxDB
}

// Influx is an InfluxDB 2.x/3.x, or 1.8+ through its v2-compatible API (bucket "db/rp", token
// "user:password" or empty, org ignored).
type Influx struct {
	URL           string   `yaml:"url"`
	Token         Secret   `yaml:"token"`
	Org           string   `yaml:"org"`
	Bucket        string   `yaml:"bucket"`
	BatchSize     int      `yaml:"batch_size"`     // points a write; default 1000
	FlushInterval Duration `yaml:"flush_interval"` // default 1s
	Buffer        int      `yaml:"buffer"`         // points held while InfluxDB is slow or down; default 100000, oldest dropped beyond
}

// Grafana is where `accesswatch dashboards publish` puts the dashboards and where the collector
// posts an annotation for every event.
type Grafana struct {
	URL    string `yaml:"url"`
	Token  Secret `yaml:"token"`  // a service-account token
	Folder string `yaml:"folder"` // default accesswatch
	// Annotations posts every event update as an annotation; default true when url is set.
	Annotations bool `yaml:"annotations"`
}

// Agent is where an agent pushes its results.
type Agent struct {
	ID            string   `yaml:"id"`
	CollectorURL  string   `yaml:"collector_url"`
	Token         Secret   `yaml:"token"`
	SpoolDir      string   `yaml:"spool_dir"`      // default ./data/spool
	SpoolMaxMiB   int      `yaml:"spool_max_mib"`  // default 256; the oldest results are dropped beyond it
	BatchSize     int      `yaml:"batch_size"`     // results a push; default 1000
	FlushInterval Duration `yaml:"flush_interval"` // default 1s
	// SpoolMaxAge is the oldest a spooled result may be when it is sent; older ones are dropped
	// and counted (the collector refuses them past collector.max_result_age). Default 24h.
	SpoolMaxAge Duration `yaml:"spool_max_age"`
}

// Collector lists the agents allowed to push. What a collector trusts of a push comes from
// this same file: each result's vantage must be one of vantages[] (its region and country are
// the collector's, not the agent's), and its provider and model must be in providers[].
type Collector struct {
	Agents     []AgentAuth `yaml:"agents"`
	MaxBodyMiB int         `yaml:"max_body_mib"` // compressed push body limit; default 16
	// MaxResultAge refuses results whose time is older than this on arrival; default 24h, as
	// agent.spool_max_age (keep it at least that).
	MaxResultAge Duration `yaml:"max_result_age"`
	// MaxClockSkew refuses results dated more than this ahead of the collector's clock; default 5m.
	MaxClockSkew Duration `yaml:"max_clock_skew"`
}

// AgentAuth is one agent: its bearer tokens (two during a rotation) and the vantages it may
// report for (empty: any).
type AgentAuth struct {
	ID       string   `yaml:"id"`
	Tokens   []Secret `yaml:"tokens"`
	Vantages []string `yaml:"vantages"`

	Line int `yaml:"-"`
}

// GeoIP names MaxMind databases used to verify vantages and answer whoami.
type GeoIP struct {
	CountryDB string `yaml:"country_db"`
	ASNDB     string `yaml:"asn_db"` // optional
}

// Probing holds defaults for every probe.
type Probing struct {
	Timeout     Duration `yaml:"timeout"`      // per probe; default 10s
	Jitter      Duration `yaml:"jitter"`       // max random delay before a probe; default 2s, an explicit 0 disables (capped below the schedule interval)
	Concurrency int      `yaml:"concurrency"`  // per vantage; default 8
	EchoURL     string   `yaml:"echo_url"`     // egress-IP echo; default http://<server.listen>/api/v1/whoami (host 127.0.0.1 when listen's host is empty, 0.0.0.0 or ::)
	ControlURL  string   `yaml:"control_url"`  // neutral control endpoint; default the echo URL
	MaxBodyKiB  int      `yaml:"max_body_kib"` // how much of an answer is read; default 64
	MaxListKiB  int      `yaml:"max_list_kib"` // how much of one models-list page is read (lists are large); default 4096
	UserAgent   string   `yaml:"user_agent"`   // default accesswatch/dev
	Verify      Duration `yaml:"verify_every"` // how often vantages re-verify their egress; default 5m
	// PostQuantumTLS offers hybrid ML-KEM key exchange like current browsers; default off
	// (X25519 and P-256), since every probe pays a fresh handshake.
	PostQuantumTLS bool `yaml:"post_quantum_tls"`
	// HTTP2 negotiates HTTP/2; default off: probes speak HTTP/1.1 like the vendors' SDKs.
	HTTP2 bool `yaml:"http2"`
}

// Vantage is one point from which probes are sent.
type Vantage struct {
	ID          string `yaml:"id"`
	Region      string `yaml:"region"`
	Country     string `yaml:"country"`     // ISO 3166-1 alpha-2, upper case
	SourceIP    string `yaml:"source_ip"`   // optional local address to bind
	Proxy       string `yaml:"proxy"`       // optional http://, https:// or socks5:// egress proxy
	Concurrency int    `yaml:"concurrency"` // overrides probing.concurrency (the default)
	EchoURL     string `yaml:"echo_url"`    // overrides probing.echo_url (the default)

	Line int `yaml:"-"` // line in the config file, for messages
}

// Provider is one vendor API and what to check on it.
type Provider struct {
	ID       string            `yaml:"id"`
	Kind     string            `yaml:"kind"`     // anthropic | openai | gemini | mistral | openai_compatible
	BaseURL  string            `yaml:"base_url"` // default by kind (see defaultBaseURL); required for openai_compatible
	APIKey   Secret            `yaml:"api_key"`
	Models   []string          `yaml:"models"`   // at least one
	Checks   []Check           `yaml:"checks"`   // default [{kind: models, schedule: "@every 60s"}] when omitted
	Headers  map[string]string `yaml:"headers"`  // extra request headers (e.g. OpenAI-Organization)
	Vantages []string          `yaml:"vantages"` // restrict to these vantage ids; default all
	Timeout  Duration          `yaml:"timeout"`  // overrides probing.timeout (the default)
	// TokenParam is the token-limit field of a generate check on an openai or
	// openai_compatible provider: max_tokens | max_completion_tokens. Default by base URL:
	// max_completion_tokens for api.openai.com (and kind openai), max_tokens for the other
	// vendors (see vendors.DefaultTokenParam).
	TokenParam string `yaml:"token_param"`

	Line int `yaml:"-"` // line in the config file, for messages
}

// Check is one scheduled probe kind of a provider.
type Check struct {
	Kind     string   `yaml:"kind"`     // models | model | count_tokens (anthropic, gemini) | generate | status_page
	Schedule string   `yaml:"schedule"` // required: cron with optional seconds field, descriptor (@hourly) or @every 60s
	Models   []string `yaml:"models"`   // subset of the provider's models; default all (none for status_page)
	Timeout  Duration `yaml:"timeout"`  // overrides the provider's (the default)
	// URL is a status_page check's Statuspage-compatible summary.json; default by provider kind
	// (anthropic and openai have known pages), required otherwise.
	URL string `yaml:"url"`

	Line int `yaml:"-"` // line in the config file (the provider's for the default check)
}

// Detection sets hysteresis for state changes.
type Detection struct {
	FailAfter    int `yaml:"fail_after"`    // default 2
	RecoverAfter int `yaml:"recover_after"` // default 2
}

// Alerting lists receivers and how updates reach them.
type Alerting struct {
	Webhooks []Webhook `yaml:"webhooks"`
	Slack    []Slack   `yaml:"slack"`
	Routes   []Route   `yaml:"routes"`   // none: every update goes to every receiver
	Silences []Silence `yaml:"silences"` // maintenance windows
	// GroupWait collects the updates of one incident before sending, so two models revoked in
	// three regions are one message; default 1s.
	GroupWait Duration `yaml:"group_wait"`
	// GroupInterval is the least time between two notifications of one incident (its end
	// excepted): later changes are coalesced into the next; default 1m.
	GroupInterval Duration `yaml:"group_interval"`
	// IncidentWindow groups events of one provider and condition opened this close together
	// into one incident; default 10m.
	IncidentWindow Duration `yaml:"incident_window"`
	// ReminderInterval repeats open revocations and outages this often; default 0 (never).
	ReminderInterval Duration `yaml:"reminder_interval"`
}

// Webhook is a generic JSON receiver.
type Webhook struct {
	Name   string `yaml:"name"` // for routes; default webhook-<n>
	URL    string `yaml:"url"`
	Secret Secret `yaml:"secret"` // HMAC-SHA256 key, optional
}

// Slack is a Slack receiver: an incoming webhook, or a bot token and a channel (which threads
// a restoration under its revocation).
type Slack struct {
	Name       string `yaml:"name"` // for routes; default slack-<n>
	WebhookURL Secret `yaml:"webhook_url"`
	Token      Secret `yaml:"token"`
	Channel    string `yaml:"channel"`
	APIURL     string `yaml:"api_url"` // Slack Web API base; default https://slack.com/api/
}

// Route sends the updates that match every set field to its receivers.
type Route struct {
	Receivers []string `yaml:"receivers"`
	Providers []string `yaml:"providers"`
	Models    []string `yaml:"models"`
	Regions   []string `yaml:"regions"`
	Kinds     []string `yaml:"kinds"` // event kinds: revoked, restored, outage, degraded, recovered, vantage_fault, misconfigured
}

// Silence suppresses matching notifications between Starts and Ends (RFC 3339); events are
// still recorded.
type Silence struct {
	Providers []string `yaml:"providers"`
	Models    []string `yaml:"models"`
	Regions   []string `yaml:"regions"`
	Kinds     []string `yaml:"kinds"`
	Starts    string   `yaml:"starts"`
	Ends      string   `yaml:"ends"`
	Comment   string   `yaml:"comment"`
}

// Duration is a time.Duration written as "10s", "5m", "90d" in YAML (see ParseDuration).
type Duration time.Duration

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// Secret is a string that never prints: String, MarshalJSON, MarshalYAML and %v all give "<secret>".
type Secret string

// Reveal returns the secret's value, for the one place that must send it.
func (s Secret) Reveal() string { return string(s) }

// String hides the value.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "<secret>"
}

// GoString hides the value from %#v.
func (s Secret) GoString() string { return s.String() }

// MarshalJSON hides the value.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + s.String() + `"`), nil }

// MarshalYAML hides the value.
func (s Secret) MarshalYAML() (any, error) { return s.String(), nil }
