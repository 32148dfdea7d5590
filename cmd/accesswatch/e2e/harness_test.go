package e2e

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accesswatch/accesswatch/cmd/accesswatch/app"
	"github.com/accesswatch/accesswatch/internal/config"
	"github.com/accesswatch/accesswatch/internal/geo"
	"github.com/accesswatch/accesswatch/internal/model"
	"github.com/accesswatch/accesswatch/internal/simvendor"
)

const (
	hookSecret = "e2e-hook-secret"
	agentToken = "e2e-agent-token-0123456789"
)

// delivery is one webhook request the receiver accepted.
type delivery struct {
	At    time.Time
	Phase string `json:"phase"`
	Seq   int    `json:"seq"`
	model.Event
}

// receiver is a webhook endpoint that checks each request's HMAC signature and records it.
type receiver struct {
	t   *testing.T
	srv *httptest.Server

	mu   sync.Mutex
	got  []delivery
	bad  []string
	wake chan struct{}
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{t: t, wake: make(chan struct{}, 1)}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	ts := req.Header.Get("X-Accesswatch-Timestamp")
	mac := hmac.New(sha256.New, []byte(hookSecret))
	fmt.Fprintf(mac, "%s.%s", ts, body)
	want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	var d delivery
	err := json.Unmarshal(body, &d)
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case !hmac.Equal([]byte(req.Header.Get("X-Accesswatch-Signature")), []byte(want)):
		r.bad = append(r.bad, "bad signature: "+string(body))
		w.WriteHeader(http.StatusUnauthorized)
		return
	case err != nil:
		r.bad = append(r.bad, "bad body: "+string(body))
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	d.At = time.Now()
	r.got = append(r.got, d)
	select {
	case r.wake <- struct{}{}:
	default:
	}
	w.WriteHeader(http.StatusNoContent)
}

// deliveries returns what was received so far.
func (r *receiver) deliveries() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.bad) > 0 {
		r.t.Errorf("receiver rejected requests: %v", r.bad)
	}
	return slices.Clone(r.got)
}

// await waits (bounded) until a delivery satisfies ok and returns it.
func (r *receiver) await(what string, within time.Duration, ok func(delivery) bool) delivery {
	r.t.Helper()
	deadline := time.After(within)
	for {
		for _, d := range r.deliveries() {
			if ok(d) {
				return d
			}
		}
		select {
		case <-r.wake:
		case <-time.After(100 * time.Millisecond):
		case <-deadline:
			r.t.Fatalf("no webhook delivery %s within %v; got:\n%s", what, within, describe(r.deliveries()))
		}
	}
}

func describe(ds []delivery) string {
	var b strings.Builder
	for _, d := range ds {
		fmt.Fprintf(&b, "  %s %s seq=%d %s %s/%s %s regions=%v\n", d.At.Format("15:04:05.000"), d.Phase, d.Seq, d.Kind, d.Provider, d.Model, d.Scope, d.Regions)
	}
	return b.String()
}

// world is the simulated Internet: a GeoIP database mapping loopback /24s to countries, and a
// vendor deciding by the caller's country.
type world struct {
	dir              string
	countryDB, asnDB string
	vendor           *simvendor.Server
	vendorURL        string
	tls              *tls.Config
}

var vantages = []struct{ id, region, country, ip, prefix string }{
	{"in-mumbai-1", "india", "IN", "127.0.1.1", "127.0.1.0/24"},
	{"au-sydney-1", "australia", "AU", "127.0.2.1", "127.0.2.0/24"},
	{"eu-frankfurt-1", "europe", "DE", "127.0.3.1", "127.0.3.0/24"},
	{"us-virginia-1", "us", "US", "127.0.4.1", "127.0.4.0/24"},
}

func newWorld(t *testing.T, models ...string) *world {
	w := &world{dir: t.TempDir()}
	w.countryDB, w.asnDB = filepath.Join(w.dir, "country.mmdb"), filepath.Join(w.dir, "asn.mmdb")
	var maps []geo.Mapping
	for i, v := range vantages {
		maps = append(maps, geo.Mapping{Prefix: netip.MustParsePrefix(v.prefix), Country: v.country, ASN: uint(64501 + i), ASOrg: "e2e " + v.region})
	}
	if err := geo.WriteDBs(w.countryDB, w.asnDB, maps); err != nil {
		t.Fatal(err)
	}
	db, err := geo.Open(w.countryDB, w.asnDB)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	w.vendor = simvendor.New(simvendor.Options{
		Country: func(a netip.Addr) string { i, _ := db.Lookup(a); return i.Country },
		Models:  models,
	})
	srv := httptest.NewTLSServer(w.vendor.Handler())
	t.Cleanup(srv.Close)
	w.vendorURL = srv.URL
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	w.tls = &tls.Config{RootCAs: pool}
	return w
}

// running is one accesswatch run process, in-process.
type running struct {
	svc    *app.Service
	base   string
	cancel context.CancelFunc
	done   chan error
}

// start runs the service with cfgYAML, in which {{LISTEN}}, {{DIR}}, {{COUNTRYDB}}, {{ASNDB}},
// {{VENDOR}} and {{HOOK}} are replaced.
func (w *world) start(t *testing.T, cfgYAML, hookURL string) *running {
	t.Helper()
	return w.startMode(t, config.ModeRun, "127.0.0.1:0", cfgYAML, hookURL, nil)
}

// startMode runs the service in mode on addr; onResults sees every result it produces.
func (w *world) startMode(t *testing.T, mode, addr, cfgYAML, hookURL string, onResults func([]model.Result)) *running {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.NewReplacer("{{LISTEN}}", ln.Addr().String(), "{{DIR}}", w.dir, "{{COUNTRYDB}}", w.countryDB,
		"{{ASNDB}}", w.asnDB, "{{VENDOR}}", w.vendorURL, "{{HOOK}}", hookURL).Replace(cfgYAML)
	cfg, err := config.Parse([]byte(text), "e2e.yml", func(k string) (string, bool) {
		switch k {
		case "HOOK_SECRET":
			return hookSecret, true
		case "AGENT_TOKEN":
			return agentToken, true
		}
		return "", false
	})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	if os.Getenv("E2E_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	svc, err := app.New(context.Background(), app.Options{Config: cfg, Mode: mode, Listener: ln, TLSConfig: w.tls,
		StopGrace: 3 * time.Second, Logger: log.With("mode", mode), OnResults: onResults})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{svc: svc, base: "http://" + svc.Addr(), cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- svc.Run(ctx) }()
	t.Cleanup(func() { r.stop(t) })
	return r
}

func (r *running) stop(t *testing.T) {
	if r.cancel == nil {
		return
	}
	r.cancel()
	r.cancel = nil
	select {
	case err := <-r.done:
		if err != nil {
			t.Errorf("service stopped with %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Error("service did not stop within 20s")
	}
}

func (r *running) get(t *testing.T, path string, v any) {
	t.Helper()
	resp, err := http.Get(r.base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

// text fetches path as text.
func (r *running) text(t *testing.T, path string) string {
	t.Helper()
	resp, err := http.Get(r.base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	return string(b)
}

// awaitStatus polls /api/v1/status (bounded) until ok accepts the targets.
func (r *running) awaitStatus(t *testing.T, what string, within time.Duration, ok func(map[string]model.TargetStatus) bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	var last map[string]model.TargetStatus
	for time.Now().Before(deadline) {
		var st struct{ Targets []model.TargetStatus }
		r.get(t, "/api/v1/status", &st)
		last = map[string]model.TargetStatus{}
		for _, ts := range st.Targets {
			last[ts.Model+"/"+ts.Region] = ts
		}
		if ok(last) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("status never became %s within %v: %v", what, within, last)
}
