package app

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accesswatch/accesswatch/internal/config"
	"github.com/accesswatch/accesswatch/internal/geo"
	"github.com/accesswatch/accesswatch/internal/model"
	"github.com/accesswatch/accesswatch/internal/simvendor"
)

// TestRunServesAndStopsCleanly runs the all-in-one service against a simulated vendor for a few
// probe rounds, reads results and whoami over HTTP, stops it, and checks that every result the
// probes produced was stored.
func TestRunServesAndStopsCleanly(t *testing.T) {
	dir := t.TempDir()
	countryDB, asnDB := filepath.Join(dir, "c.mmdb"), filepath.Join(dir, "a.mmdb")
	if err := geo.WriteDBs(countryDB, asnDB, []geo.Mapping{
		{Prefix: netip.MustParsePrefix("127.0.1.0/24"), Country: "IN", ASN: 64501, ASOrg: "Test IN"},
		{Prefix: netip.MustParsePrefix("127.0.4.0/24"), Country: "US", ASN: 64504, ASOrg: "Test US"},
	}); err != nil {
		t.Fatal(err)
	}
	gdb, err := geo.Open(countryDB, asnDB)
	if err != nil {
		t.Fatal(err)
	}
	defer gdb.Close()
	vendor := simvendor.New(simvendor.Options{
		Country: func(a netip.Addr) string { i, _ := gdb.Lookup(a); return i.Country },
		Models:  []string{"claude-fable-5"},
	})
	vendor.Withdraw("claude-fable-5", "IN")
	vsrv := httptest.NewTLSServer(vendor.Handler())
	defer vsrv.Close()
	pool := x509.NewCertPool()
	pool.AddCert(vsrv.Certificate())

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	yml := `
server: { listen: "` + ln.Addr().String() + `" }
store: { path: "` + filepath.Join(dir, "aw.db") + `", flush_interval: 100ms }
geoip: { country_db: "` + countryDB + `", asn_db: "` + asnDB + `" }
probing: { jitter: 0s }
vantages:
  - { id: in-1, region: india, country: IN, source_ip: 127.0.1.1 }
  - { id: us-1, region: us, country: US, source_ip: 127.0.4.1 }
providers:
  - { id: anthropic, kind: anthropic, base_url: "` + vsrv.URL + `/anthropic", api_key: k, models: [claude-fable-5],
      checks: [ { kind: generate, schedule: "@every 1s" } ] }
`
	cfg, err := config.Parse([]byte(yml), "svc.yml", nil)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	produced := 0
	svc, err := New(context.Background(), Options{
		Config: cfg, Listener: ln, TLSConfig: &tls.Config{RootCAs: pool},
		OnResults: func(rs []model.Result) { mu.Lock(); produced += len(rs); mu.Unlock() },
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()
	base := "http://" + svc.Addr()

	// Wait (bounded) until both vantages have stored a result.
	var results struct{ Results []model.Result }
	deadline := time.Now().Add(10 * time.Second)
	for len(results.Results) < 2 && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
		getJSON(t, base+"/api/v1/results?provider=anthropic", &results)
	}
	byRegion := map[string]model.Result{}
	for _, r := range results.Results {
		byRegion[r.Region] = r
	}
	if byRegion["india"].Class != model.ClassModelUnavailable || byRegion["us"].Class != model.ClassOK {
		t.Fatalf("stored results by region: india %q us %q", byRegion["india"].Class, byRegion["us"].Class)
	}
	if byRegion["india"].EgressIP != "127.0.1.1" || byRegion["india"].VantageMismatch || byRegion["india"].EgressASN != 64501 {
		t.Fatalf("india result not verified through whoami+geoip: %+v", byRegion["india"])
	}
	var who map[string]any
	getJSON(t, base+"/healthz", &who)
	if who["status"] != "ok" {
		t.Fatalf("healthz: %v", who)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	// Reopen the store: everything produced was flushed.
	st, err := New(context.Background(), Options{Config: cfg, Listener: mustListen(t)})
	if err != nil {
		t.Fatal(err)
	}
	n, err := st.Store().Count(context.Background())
	st.close()
	mu.Lock()
	defer mu.Unlock()
	if err != nil || int(n) != produced || produced < 2 {
		t.Fatalf("stored %d (%v), produced %d", n, err, produced)
	}
}

func mustListen(t *testing.T) net.Listener {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}
