package config

import (
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
	"github.com/accesswatch/accesswatch/internal/vendors"
)

// Defaults. They are also written in the type comments of types.go.
const (
	defaultListen        = "127.0.0.1:8080"
	defaultStorePath     = "./data/accesswatch.db"
	defaultRetention     = 90 * day
	defaultBatchSize     = 500
	defaultFlushInterval = time.Second
	defaultTimeout       = 10 * time.Second
	defaultJitter        = 2 * time.Second
	defaultConcurrency   = 8
	defaultMaxBodyKiB    = 64
	defaultMaxListKiB    = 4096
	defaultUserAgent     = "accesswatch/dev"
	defaultVerifyEvery   = 5 * time.Minute
	defaultFailAfter     = 2
	defaultRecoverAfter  = 2
	defaultCheckSchedule = "@every 60s"
	defaultGroupWait     = time.Second
	defaultGroupInterval = time.Minute
	defaultIncidentWin   = 10 * time.Minute
	defaultSlackAPIURL   = "https://slack.com/api/"
	whoamiPath           = "/api/v1/whoami"
	// defaultMaxResultAge is both agent.spool_max_age and collector.max_result_age.
	defaultMaxResultAge = 24 * time.Hour
	defaultMaxClockSkew = 5 * time.Minute
)

// defaultStatusPage is each provider kind's machine-readable status page, where one is known
// (vendors.md §12).
var defaultStatusPage = map[string]string{
	"anthropic": "https://status.claude.com/api/v2/summary.json",
	"openai":    "https://status.openai.com/api/v2/summary.json",
}

// defaultBaseURL is each provider kind's API root; openai_compatible has none.
var defaultBaseURL = map[string]string{
	"anthropic": "https://api.anthropic.com",
	"openai":    "https://api.openai.com/v1",
	"gemini":    "https://generativelanguage.googleapis.com",
	"mistral":   "https://api.mistral.ai",
}

// omitted reports whether the key at path was left out of the file (or set to null). For a
// Config built in code every zero value counts as omitted. Numbers, durations and lists
// written explicitly as zero or empty keep that value, so Validate can reject it (or, for
// store.retention and probing.jitter, honour it).
func (c *Config) omitted(path string) bool { return c.src == nil || !c.src.set[path] }

// ApplyDefaults fills every omitted setting with its default and resolves the per-vantage,
// per-provider and per-check overrides, so users of a Config need not. Parse calls it; it is
// safe to call again.
func (c *Config) ApplyDefaults() {
	defStr(&c.Server.Listen, defaultListen)
	c.defDur(&c.Server.PageRefresh, "server.page_refresh", 30*time.Second)
	if len(c.Server.FrameAncestors) == 0 && c.omitted("server.frame_ancestors") {
		c.Server.FrameAncestors = []string{"*"}
	}
	defStr(&c.Store.Path, defaultStorePath)
	c.defDur(&c.Store.Retention, "store.retention", defaultRetention)
	c.defInt(&c.Store.BatchSize, "store.batch_size", defaultBatchSize)
	c.defDur(&c.Store.FlushInterval, "store.flush_interval", defaultFlushInterval)

	p := &c.Probing
	c.defDur(&p.Timeout, "probing.timeout", defaultTimeout)
	c.defDur(&p.Jitter, "probing.jitter", defaultJitter)
	c.defInt(&p.Concurrency, "probing.concurrency", defaultConcurrency)
	c.defInt(&p.MaxBodyKiB, "probing.max_body_kib", defaultMaxBodyKiB)
	c.defInt(&p.MaxListKiB, "probing.max_list_kib", defaultMaxListKiB)
	defStr(&p.UserAgent, defaultUserAgent)
	c.defDur(&p.Verify, "probing.verify_every", defaultVerifyEvery)
	defStr(&p.EchoURL, echoURL(c.Server.Listen))
	defStr(&p.ControlURL, p.EchoURL)

	c.defInt(&c.Detection.FailAfter, "detection.fail_after", defaultFailAfter)
	c.defInt(&c.Detection.RecoverAfter, "detection.recover_after", defaultRecoverAfter)

	if c.Store.Influx.URL != "" {
		in := &c.Store.Influx
		c.defInt(&in.BatchSize, "store.influx.batch_size", 1000)
		c.defDur(&in.FlushInterval, "store.influx.flush_interval", time.Second)
		c.defInt(&in.Buffer, "store.influx.buffer", 100000)
	}
	if c.Agent != (Agent{}) {
		ag := &c.Agent
		defStr(&ag.SpoolDir, "./data/spool")
		c.defInt(&ag.SpoolMaxMiB, "agent.spool_max_mib", 256)
		c.defInt(&ag.BatchSize, "agent.batch_size", 1000)
		c.defDur(&ag.FlushInterval, "agent.flush_interval", time.Second)
		c.defDur(&ag.SpoolMaxAge, "agent.spool_max_age", defaultMaxResultAge)
		// An agent verifies its egress against the collector's whoami unless told otherwise.
		if ag.CollectorURL != "" && c.omitted("probing.echo_url") {
			c.Probing.EchoURL = strings.TrimRight(ag.CollectorURL, "/") + whoamiPath
			if c.omitted("probing.control_url") {
				c.Probing.ControlURL = c.Probing.EchoURL
			}
		}
	}
	c.defInt(&c.Collector.MaxBodyMiB, "collector.max_body_mib", 16)
	c.defDur(&c.Collector.MaxResultAge, "collector.max_result_age", defaultMaxResultAge)
	c.defDur(&c.Collector.MaxClockSkew, "collector.max_clock_skew", defaultMaxClockSkew)
	if c.Grafana.URL != "" {
		defStr(&c.Grafana.Folder, "accesswatch")
		if c.omitted("grafana.annotations") {
			c.Grafana.Annotations = true
		}
	}

	a := &c.Alerting
	c.defDur(&a.GroupWait, "alerting.group_wait", defaultGroupWait)
	c.defDur(&a.GroupInterval, "alerting.group_interval", defaultGroupInterval)
	c.defDur(&a.IncidentWindow, "alerting.incident_window", defaultIncidentWin)
	for i := range a.Webhooks {
		defStr(&a.Webhooks[i].Name, "webhook-"+strconv.Itoa(i+1))
	}
	for i := range a.Slack {
		defStr(&a.Slack[i].Name, "slack-"+strconv.Itoa(i+1))
		defStr(&a.Slack[i].APIURL, defaultSlackAPIURL)
	}

	for i := range c.Vantages {
		v := &c.Vantages[i]
		c.defInt(&v.Concurrency, indexPath("vantages", i)+".concurrency", p.Concurrency)
		defStr(&v.EchoURL, p.EchoURL)
	}
	for i := range c.Providers {
		c.providerDefaults(i)
	}
}

func (c *Config) providerDefaults(i int) {
	pp := indexPath("providers", i)
	pr := &c.Providers[i]
	defStr(&pr.BaseURL, defaultBaseURL[pr.Kind])
	defStr(&pr.TokenParam, vendors.DefaultTokenParam(pr.Kind, pr.BaseURL))
	c.defDur(&pr.Timeout, pp+".timeout", c.Probing.Timeout.D())
	if len(pr.Checks) == 0 && c.omitted(pp+".checks") {
		pr.Checks = []Check{{Kind: model.CheckModels, Schedule: defaultCheckSchedule, Line: pr.Line}}
	}
	for j := range pr.Checks {
		ck := &pr.Checks[j]
		cp := indexPath(pp+".checks", j)
		c.defDur(&ck.Timeout, cp+".timeout", pr.Timeout.D())
		if ck.Kind == model.CheckStatusPage {
			defStr(&ck.URL, defaultStatusPage[pr.Kind])
		}
		if len(ck.Models) == 0 && ck.Kind != model.CheckStatusPage && c.omitted(cp+".models") {
			ck.Models = slices.Clone(pr.Models)
		}
	}
}

func defStr(s *string, def string) {
	if *s == "" {
		*s = def
	}
}

func (c *Config) defInt(v *int, path string, def int) {
	if *v == 0 && c.omitted(path) {
		*v = def
	}
}

func (c *Config) defDur(v *Duration, path string, def time.Duration) {
	if *v == 0 && c.omitted(path) {
		*v = Duration(def)
	}
}

// echoURL is the whoami endpoint of our own server; a wildcard listen host is reached on
// loopback. It is "" when listen is not host:port (Validate reports that).
func echoURL(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if _, perr := strconv.ParseUint(port, 10, 16); err != nil || perr != nil {
		return ""
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + whoamiPath
}

// VantagesFor lists the vantages provider p is probed from: its vantages list, or all.
func (c *Config) VantagesFor(p Provider) []Vantage {
	if len(p.Vantages) == 0 {
		return slices.Clone(c.Vantages)
	}
	var out []Vantage
	for _, v := range c.Vantages {
		if slices.Contains(p.Vantages, v.ID) {
			out = append(out, v)
		}
	}
	return out
}

func indexPath(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }
