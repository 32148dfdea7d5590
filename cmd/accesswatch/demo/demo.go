// Package demo runs the whole service with no keys and no network: a simulated vendor on loopback
// that decides by the caller's source address and a generated GeoIP database, four vantages bound
// to different 127.x addresses, and a replay of the 2026 timeline, printing what is observed.
package demo

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/accesswatch/accesswatch/cmd/accesswatch/app"
	"github.com/accesswatch/accesswatch/internal/config"
	"github.com/accesswatch/accesswatch/internal/geo"
	"github.com/accesswatch/accesswatch/internal/simvendor"
)

// Options configure a demo run.
type Options struct {
	Listen   string        // API address, loopback
	Step     time.Duration // time between timeline steps
	Every    time.Duration // probe interval (whole seconds; cron's @every rounds up to 1s)
	Duration time.Duration // 0: until the timeline has played out; < 0: until ctx is done
	DataDir  string        // "" for a temporary directory
	Logger   *slog.Logger
	Out      io.Writer
	Now      func() time.Time
}

// Vantages of the demo: each bound to its own loopback /24, which the generated GeoIP maps to a country.
var demoVantages = []struct{ id, region, country, ip, prefix string }{
	{"in-mumbai-1", "india", "IN", "127.0.1.1", "127.0.1.0/24"},
	{"au-sydney-1", "australia", "AU", "127.0.2.1", "127.0.2.0/24"},
	{"eu-frankfurt-1", "europe", "DE", "127.0.3.1", "127.0.3.0/24"},
	{"us-virginia-1", "us", "US", "127.0.4.1", "127.0.4.0/24"},
}

// The two withdrawn models, the control model that never changes, and an OpenAI-shaped control.
var (
	withdrawnModels = []string{"claude-fable-5", "claude-mythos-5"}
	controlModel    = "claude-sonnet-4-5"
	openaiModel     = "gpt-5.1"
	euCountries     = []string{"DE", "FR", "NL", "IE", "IT", "ES", "PL", "SE"}
)

// step is one point of the 2026 timeline.
type step struct {
	what string
	do   func(v *simvendor.Server)
}

func timeline() []step {
	regional := append([]string{"IN", "AU"}, euCountries...)
	return []step{
		{"all models served everywhere", func(*simvendor.Server) {}},
		{"vendor withdraws claude-fable-5 and claude-mythos-5 for India, Australia and the EU (us unaffected)", func(v *simvendor.Server) {
			for _, m := range withdrawnModels {
				v.Withdraw(m, regional...)
			}
		}},
		{"vendor, unable to filter by nationality, withdraws both models for everyone", func(v *simvendor.Server) {
			for _, m := range withdrawnModels {
				v.Withdraw(m, simvendor.Everyone)
			}
		}},
		{"vendor restores both models everywhere", func(v *simvendor.Server) {
			for _, m := range withdrawnModels {
				v.Restore(m, simvendor.Everyone)
			}
		}},
	}
}

// Run plays the demo until the timeline ends, o.Duration passes or ctx is done.
func Run(ctx context.Context, o Options) error {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Every < time.Second {
		o.Every = time.Second
	}
	dir := o.DataDir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "accesswatch-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	countryDB, asnDB := filepath.Join(dir, "GeoLite2-Country.mmdb"), filepath.Join(dir, "GeoLite2-ASN.mmdb")
	var maps []geo.Mapping
	for i, v := range demoVantages {
		maps = append(maps, geo.Mapping{Prefix: netip.MustParsePrefix(v.prefix), Country: v.country, ASN: uint(64501 + i), ASOrg: "Demo " + v.region + " network"})
	}
	if err := geo.WriteDBs(countryDB, asnDB, maps); err != nil {
		return fmt.Errorf("demo geoip: %w", err)
	}
	gdb, err := geo.Open(countryDB, asnDB)
	if err != nil {
		return err
	}
	defer gdb.Close()

	vendor := simvendor.New(simvendor.Options{
		Country: func(a netip.Addr) string { info, _ := gdb.Lookup(a); return info.Country },
		Models:  append(append([]string{}, withdrawnModels...), controlModel, openaiModel),
	})
	vsrv := httptest.NewUnstartedServer(vendor.Handler())
	vsrv.StartTLS()
	defer vsrv.Close()
	pool := x509.NewCertPool()
	pool.AddCert(vsrv.Certificate())

	ln, err := net.Listen("tcp", o.Listen)
	if err != nil {
		return fmt.Errorf("--listen %q: %w", o.Listen, err)
	}
	cfg, err := config.Parse([]byte(demoConfig(ln.Addr().String(), vsrv.URL, dir, countryDB, asnDB, o.Every)), "demo.yml", func(string) (string, bool) { return "", false })
	if err != nil {
		ln.Close()
		return fmt.Errorf("demo config: %w", err)
	}
	p := newPrinter(o.Out, o.Now)
	svc, err := app.New(ctx, app.Options{
		Config: cfg, Logger: o.Logger, Listener: ln, Now: o.Now, OnResults: p.observe, OnUpdates: p.updates,
		TLSConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
	})
	if err != nil {
		ln.Close()
		return err
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- svc.Run(runCtx) }()

	base := "http://" + svc.Addr()
	fmt.Fprintf(o.Out, "accesswatch demo: simulated vendor at %s, 4 vantages (india, australia, europe, us) on 127.0.{1,2,3,4}.1\n", vsrv.URL)
	fmt.Fprintf(o.Out, "status page: %s/   badge: %s/badge/anthropic/claude-fable-5/india.svg   metrics: %s/metrics\n", base, base, base)
	fmt.Fprintf(o.Out, "API: %s/api/v1/status   %s/api/v1/events   %s/api/v1/results?provider=anthropic&limit=20\n", base, base, base)
	fmt.Fprintf(o.Out, "probing every %s; timeline step every %s\n\n", o.Every, o.Step)

	err = play(runCtx, o, vendor, p, done)
	stop()
	if runErr := <-done; runErr != nil && !errors.Is(runErr, context.Canceled) {
		err = errors.Join(err, runErr)
	}
	p.summary()
	return err
}

// play walks the timeline and then waits as o.Duration says.
func play(ctx context.Context, o Options, vendor *simvendor.Server, p *printer, done <-chan error) error {
	var deadline <-chan time.Time
	if o.Duration > 0 {
		t := time.NewTimer(o.Duration)
		defer t.Stop()
		deadline = t.C
	}
	wait := func(d time.Duration) (bool, error) {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			return true, nil
		case <-deadline:
			return false, nil
		case <-ctx.Done():
			return false, nil
		case err := <-done:
			return false, fmt.Errorf("service stopped: %w", err)
		}
	}
	for i, s := range timeline() {
		s.do(vendor)
		p.event(fmt.Sprintf("TIMELINE %d/%d: %s", i+1, len(timeline()), s.what))
		if ok, err := wait(o.Step); !ok {
			return err
		}
		p.matrix()
	}
	if o.Duration == 0 {
		// The last step restores access: let detection confirm it and close what it opened
		// (recover_after rounds and a settle window), for at most two more steps.
		for end := time.Now().Add(2 * o.Step); p.openEvents() > 0 && time.Now().Before(end); {
			if ok, err := wait(100 * time.Millisecond); !ok {
				return err
			}
		}
		return nil
	}
	_, err := wait(24 * 365 * time.Hour)
	return err
}

func demoConfig(listen, vendorURL, dir, countryDB, asnDB string, every time.Duration) string {
	var b strings.Builder
	sched := fmt.Sprintf("@every %ds", int(every.Seconds()))
	fmt.Fprintf(&b, "server: { listen: %q }\n", listen)
	fmt.Fprintf(&b, "store: { path: %q, flush_interval: 200ms }\n", filepath.Join(dir, "accesswatch.db"))
	fmt.Fprintf(&b, "geoip: { country_db: %q, asn_db: %q }\n", countryDB, asnDB)
	b.WriteString("probing: { timeout: 5s, jitter: 300ms, verify_every: 1m }\n")
	b.WriteString("detection: { fail_after: 2, recover_after: 2 }\nalerting: { group_wait: 500ms }\nvantages:\n")
	for _, v := range demoVantages {
		fmt.Fprintf(&b, "  - { id: %s, region: %s, country: %s, source_ip: %s }\n", v.id, v.region, v.country, v.ip)
	}
	fmt.Fprintf(&b, `providers:
  - id: anthropic
    kind: anthropic
    base_url: %s/anthropic
    api_key: demo-key-not-a-secret
    models: [%s, %s]
    checks:
      - { kind: models, schedule: %q }
      - { kind: generate, schedule: %q }
  - id: openai
    kind: openai
    base_url: %s/openai/v1
    api_key: demo-key-not-a-secret
    models: [%s]
    checks:
      - { kind: model, schedule: %q }
`, vendorURL, strings.Join(withdrawnModels, ", "), controlModel, sched, sched, vendorURL, openaiModel, sched)
	return b.String()
}
