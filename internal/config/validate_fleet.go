package config

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

func (v *validator) influx() {
	in := v.c.Store.Influx
	if in.URL == "" {
		if in.Bucket != "" || in.Org != "" || in.Token != "" {
			v.add("store.influx.url", "required when store.influx is configured")
		}
		return
	}
	v.optionalURL("store.influx.url", in.URL)
	if in.Bucket == "" {
		v.add("store.influx.bucket", `required (InfluxDB 1.8: "database/retention-policy", e.g. "accesswatch/autogen")`)
	}
	v.atLeastOne("store.influx.batch_size", in.BatchSize)
	v.positive("store.influx.flush_interval", in.FlushInterval)
	v.atLeastOne("store.influx.buffer", in.Buffer)
}

func (v *validator) agent() {
	a := v.c.Agent
	if a == (Agent{}) {
		return
	}
	if a.CollectorURL == "" {
		v.add("agent.collector_url", "required")
	} else {
		v.optionalURL("agent.collector_url", a.CollectorURL)
	}
	if a.ID == "" {
		v.add("agent.id", "required")
	} else if !idRE.MatchString(a.ID) {
		v.add("agent.id", `want only a-z, 0-9, ".", "_" and "-", got %q`, a.ID)
	}
	if a.Token == "" {
		v.add("agent.token", "required")
	}
	v.atLeastOne("agent.spool_max_mib", a.SpoolMaxMiB)
	if a.BatchSize < 1 || a.BatchSize > 10000 {
		v.add("agent.batch_size", "must be from 1 to 10000, got %d", a.BatchSize)
	}
	v.positive("agent.flush_interval", a.FlushInterval)
	if a.SpoolMaxAge < Duration(time.Minute) {
		v.add("agent.spool_max_age", "must be at least 1m, got %q", a.SpoolMaxAge)
	}
}

func (v *validator) collector() {
	seenID := map[string]string{}
	seenToken := map[Secret]string{}
	vantages := map[string]bool{}
	for _, vt := range v.c.Vantages {
		vantages[vt.ID] = true
	}
	for i, ag := range v.c.Collector.Agents {
		p := indexPath("collector.agents", i)
		v.id(p, ag.ID, seenID)
		if len(ag.Tokens) == 0 || len(ag.Tokens) > 2 {
			v.add(p+".tokens", "want one token, or two while rotating, got %d", len(ag.Tokens))
		}
		for j, t := range ag.Tokens {
			tp := indexPath(p+".tokens", j)
			switch first, dup := seenToken[t]; {
			case t == "":
				v.add(tp, "empty token (is its environment variable set?)")
			case len(t) < 16:
				v.add(tp, "too short: use at least 16 random characters")
			case dup:
				v.add(tp, "the same token is already used at %s", first)
			default:
				seenToken[t] = tp
			}
		}
		// Vantages named here may live only in the agents' configs; an unknown one is still
		// worth a look when the collector's config lists vantages at all.
		if len(vantages) > 0 {
			for j, id := range ag.Vantages {
				if !vantages[id] {
					v.add(indexPath(p+".vantages", j), "unknown vantage %q", id)
				}
			}
		}
	}
	v.atLeastOne("collector.max_body_mib", v.c.Collector.MaxBodyMiB)
	if age := v.c.Collector.MaxResultAge; age < Duration(time.Minute) {
		v.add("collector.max_result_age", "must be at least 1m, got %q", age)
	}
	if skew := v.c.Collector.MaxClockSkew; skew < Duration(time.Second) || skew > Duration(time.Hour) {
		v.add("collector.max_clock_skew", "must be from 1s to 1h, got %q", skew)
	}
}

// Modes a config can be used for.
const (
	ModeRun       = "run"
	ModeAgent     = "agent"
	ModeCollector = "collector"
)

// Require reports what the config lacks for mode: run and agent probe (vantages and
// providers), an agent also pushes (agent.*), a collector accepts agents (collector.agents).
func (c *Config) Require(mode string) error {
	var missing []string
	need := func(ok bool, what string) {
		if !ok {
			missing = append(missing, what)
		}
	}
	switch mode {
	case ModeRun, ModeAgent:
		need(len(c.Vantages) > 0, "vantages")
		need(len(c.Providers) > 0, "providers")
		if mode == ModeAgent {
			need(c.Agent.CollectorURL != "", "agent.collector_url")
		}
	case ModeCollector:
		need(len(c.Collector.Agents) > 0, "collector.agents")
		// The collector's own vantages and providers are what it trusts of a push: where each
		// vantage is, and which models are watched.
		need(len(c.Vantages) > 0, "vantages")
		need(len(c.Providers) > 0, "providers")
	default:
		return fmt.Errorf("config: unknown mode %q", mode)
	}
	if len(missing) > 0 {
		return errors.New(c.sourceName() + ": " + mode + " needs " + strings.Join(missing, ", "))
	}
	return nil
}

func (v *validator) grafana() {
	g := v.c.Grafana
	if g.URL == "" {
		if g.Token != "" || g.Folder != "" {
			v.add("grafana.url", "required when grafana is configured")
		}
		return
	}
	v.optionalURL("grafana.url", g.URL)
	if g.Token == "" {
		v.add("grafana.token", "required: a Grafana service-account token")
	}
}
