package config

import (
	"strings"
	"testing"
	"time"
)

func TestRequireModes(t *testing.T) {
	collectorOnly := "collector: {agents: [{id: mumbai, tokens: [\"${T}\"]}]}\n"
	env := testEnv(map[string]string{"T": "0123456789abcdefSECRET"})
	c, err := Parse([]byte(collectorOnly), "c.yml", env)
	if err != nil {
		t.Fatal(err)
	}
	// A collector trusts of a push only what its own config says: it needs its vantages
	// (region and country) and its watch list (providers and models).
	if err := c.Require(ModeCollector); err == nil || err.Error() != "c.yml: collector needs vantages, providers" {
		t.Fatalf("collector config without vantages and providers: %v", err)
	}
	if c.Collector.MaxResultAge.D() != 24*time.Hour || c.Collector.MaxClockSkew.D() != 5*time.Minute {
		t.Fatalf("collector defaults: %+v", c.Collector)
	}
	full := collectorOnly + "vantages: [{id: in-mumbai-1, region: india, country: IN}]\nproviders: [{id: anthropic, kind: anthropic, models: [m1]}]\n"
	cf, err := Parse([]byte(full), "c.yml", env)
	if err != nil {
		t.Fatal(err)
	}
	if err := cf.Require(ModeCollector); err != nil {
		t.Fatalf("collector config: %v", err)
	}
	if err := c.Require(ModeRun); err == nil || err.Error() != "c.yml: run needs vantages, providers" {
		t.Fatalf("run on a collector config: %v", err)
	}
	if strings.Contains(strings.Join([]string{c.Collector.Agents[0].Tokens[0].String()}, ""), "SECRET") {
		t.Fatal("token printed")
	}
	agent := "agent: {id: mumbai, collector_url: 'https://collector.example.org/', token: abcdefghijklmnopq}\n" + minimal
	a, err := Parse([]byte(agent), "a.yml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Require(ModeAgent); err != nil {
		t.Fatal(err)
	}
	// An agent verifies its egress, and checks its control, against the collector's whoami.
	want := "https://collector.example.org/api/v1/whoami"
	if a.Probing.EchoURL != want || a.Probing.ControlURL != want || a.Vantages[0].EchoURL != want {
		t.Fatalf("echo %q control %q vantage echo %q, want %q", a.Probing.EchoURL, a.Probing.ControlURL, a.Vantages[0].EchoURL, want)
	}
	if a.Agent.SpoolDir != "./data/spool" || a.Agent.SpoolMaxMiB != 256 || a.Agent.BatchSize != 1000 || a.Agent.SpoolMaxAge.D() != 24*time.Hour {
		t.Fatalf("agent defaults: %+v", a.Agent)
	}
	if err := a.Require(ModeCollector); err == nil || err.Error() != "a.yml: collector needs collector.agents" {
		t.Fatalf("collector on an agent config: %v", err)
	}
}
