// Command bench is the load side of `make bench`: a loopback HTTPS target, a bare net/http probe
// loop, a driver for blackbox_exporter's /probe endpoint, and a meter that watches an accesswatch
// process (probes stored per second, RSS, CPU). It is a tool, not part of the product.
package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/accesswatch/accesswatch/collector/ingest/ingestload"
	"github.com/accesswatch/accesswatch/probes/vantage"
	_ "modernc.org/sqlite"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: bench target|bare|blackbox|meter|ingest|ingest-config [flags]")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch os.Args[1] {
	case "target":
		err = target(ctx, os.Args[2:])
	case "bare":
		err = bare(ctx, os.Args[2:])
	case "blackbox":
		err = blackbox(ctx, os.Args[2:])
	case "meter":
		err = meter(ctx, os.Args[2:])
	case "ingest":
		err = ingestLoad(ctx, os.Args[2:])
	case "ingest-config": // the vantages and providers a collector needs to accept ingest's results
		_, err = fmt.Print(ingestload.ConfigYAML())
	default:
		err = fmt.Errorf("unknown mode %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// target serves HTTPS on loopback with a fresh self-signed certificate, answering every GET with a
// small Anthropic-shaped model object. It writes the CA to --ca and its address to --addr-file.
func target(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("target", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	caOut := fs.String("ca", "target-ca.pem", "where to write the certificate (PEM)")
	addrOut := fs.String("addr-file", "target-addr", "where to write the listen address")
	_ = fs.Parse(args)
	cert, pemBytes, err := selfSigned()
	if err != nil {
		return err
	}
	if err := os.WriteFile(*caOut, pemBytes, 0o644); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	if err := os.WriteFile(*addrOut, []byte(ln.Addr().String()), 0o644); err != nil {
		return err
	}
	body := []byte(`{"type":"model","id":"claude-sonnet-4-5","display_name":"Claude Sonnet 4.5","created_at":"2025-09-29T00:00:00Z"}`)
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("content-type", "application/json")
			w.Header().Set("request-id", "req_bench")
			_, _ = w.Write(body)
		}),
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}},
		ReadHeaderTimeout: 5 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0), // killed clients abort handshakes; not news
	}
	go func() { <-ctx.Done(); _ = srv.Close() }()
	if err := srv.ServeTLS(ln, "", ""); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func selfSigned() (tls.Certificate, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "bench target"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, IsCA: true, BasicConstraintsValid: true,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), nil
}

func caPool(path string) (*x509.CertPool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	p := x509.NewCertPool()
	if !p.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("%s: no certificate", path)
	}
	return p, nil
}

// loop runs fn from n goroutines for d and reports successes per second.
func loop(ctx context.Context, n int, d time.Duration, fn func(context.Context) bool) (float64, int64, int64) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var ok, fail atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if fn(ctx) {
					ok.Add(1)
				} else if ctx.Err() == nil {
					fail.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	return float64(ok.Load()) / time.Since(start).Seconds(), ok.Load(), fail.Load()
}

// bare is the baseline: a plain net/http loop, fresh TLS connection per request.
func bare(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bare", flag.ExitOnError)
	url := fs.String("url", "", "target URL")
	ca := fs.String("ca", "target-ca.pem", "CA file")
	conc := fs.Int("c", 64, "concurrency")
	dur := fs.Duration("d", 10*time.Second, "duration")
	h2 := fs.Bool("h2", false, "negotiate HTTP/2 (accesswatch's probes speak HTTP/1.1 unless probing.http2 is on)")
	pq := fs.Bool("pq", false, "offer Go's default (post-quantum hybrid) key exchanges instead of accesswatch's default X25519/P-256")
	_ = fs.Parse(args)
	pool, err := caPool(*ca)
	if err != nil {
		return err
	}
	tc := &tls.Config{RootCAs: pool}
	if !*pq {
		tc.CurvePreferences = vantage.ClassicCurves() // the same handshake as accesswatch's probes
	}
	rt := &http.Transport{TLSClientConfig: tc, DisableKeepAlives: true, ForceAttemptHTTP2: *h2}
	rate, ok, fail := loop(ctx, *conc, *dur, func(ctx context.Context) bool {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, *url, nil)
		resp, err := rt.RoundTrip(req)
		if err != nil {
			return false
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	name := "bare"
	if *h2 {
		name += "_h2"
	}
	if *pq {
		name += "_pq"
	}
	fmt.Printf("%s_probes_per_second %.0f ok %d failed %d\n", name, rate, ok, fail)
	return nil
}

// blackbox drives blackbox_exporter's /probe endpoint; a probe counts when probe_success is 1.
func blackbox(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("blackbox", flag.ExitOnError)
	url := fs.String("url", "", "blackbox /probe URL with module and target")
	conc := fs.Int("c", 64, "concurrency")
	dur := fs.Duration("d", 10*time.Second, "duration")
	_ = fs.Parse(args)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *conc}}
	rate, ok, fail := loop(ctx, *conc, *dur, func(ctx context.Context) bool {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, *url, nil)
		resp, err := client.Do(req)
		if err != nil {
			return false
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return strings.Contains(string(b), "\nprobe_success 1")
	})
	fmt.Printf("blackbox_probes_per_second %.0f ok %d failed %d\n", rate, ok, fail)
	return nil
}

// meter watches a running accesswatch: results stored per second (from its SQLite store), peak
// and current RSS, and CPU time per probe, over --d after --warmup.
func meter(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("meter", flag.ExitOnError)
	db := fs.String("db", "", "accesswatch store path")
	pid := fs.Int("pid", 0, "accesswatch process id")
	warm := fs.Duration("warmup", 3*time.Second, "wait before measuring")
	dur := fs.Duration("d", 10*time.Second, "measuring window")
	label := fs.String("label", "run", "prefix of the printed figures")
	_ = fs.Parse(args)
	conn, err := sql.Open("sqlite", "file:"+*db+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		return err
	}
	defer conn.Close()
	count := func() (int64, error) {
		var n int64
		err := conn.QueryRowContext(ctx, "SELECT count(*) FROM results").Scan(&n)
		return n, err
	}
	sleep := func(d time.Duration) error {
		select {
		case <-time.After(d):
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if err := sleep(*warm); err != nil {
		return err
	}
	n0, err := count()
	if err != nil {
		return fmt.Errorf("count results: %w", err)
	}
	cpu0, err := cpuSeconds(*pid)
	if err != nil {
		return err
	}
	t0 := time.Now()
	if err := sleep(*dur); err != nil {
		return err
	}
	n1, err := count()
	if err != nil {
		return err
	}
	cpu1, _ := cpuSeconds(*pid)
	el := time.Since(t0).Seconds()
	rss, hwm := memKiB(*pid)
	probes := float64(n1 - n0)
	perProbe := 0.0
	if probes > 0 {
		perProbe = (cpu1 - cpu0) / probes * 1e6
	}
	fmt.Printf("%s_probes_per_second %.0f\n%s_rss_mb %.1f\n%s_peak_rss_mb %.1f\n%s_cpu_percent_of_one_core %.2f\n%s_cpu_us_per_probe %.0f\n",
		*label, probes/el, *label, float64(rss)/1024, *label, float64(hwm)/1024, *label, (cpu1-cpu0)/el*100, *label, perProbe)
	return nil
}

// cpuSeconds reads utime+stime of pid from /proc.
func cpuSeconds(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	ut, _ := strconv.ParseFloat(fields[11], 64)
	st, _ := strconv.ParseFloat(fields[12], 64)
	return (ut + st) / 100, nil // USER_HZ is 100 on Linux
}

// memKiB reads VmRSS and VmHWM of pid.
func memKiB(pid int) (rss, hwm int64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		v, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			rss = v
		case "VmHWM:":
			hwm = v
		}
	}
	return rss, hwm
}

// ingestLoad pushes synthetic results to a collector and reports the rate at which they were
// accepted; with --metrics it also waits until the collector's InfluxDB writer has written them
// all and reports that end-to-end rate.
func ingestLoad(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("ingest", flag.ExitOnError)
	base := fs.String("url", "", "collector base URL")
	token := fs.String("token", "", "agent token")
	agent := fs.String("agent", "loadgen", "agent id")
	conc := fs.Int("c", 4, "concurrent pushers")
	batch := fs.Int("batch", 1000, "results a push")
	total := fs.Int("n", 200000, "results in all")
	metricsURL := fs.String("influx-metrics", "", "collector /metrics URL: wait until InfluxDB has every point")
	label := fs.String("label", "ingest", "prefix of the printed figures")
	_ = fs.Parse(args)
	var before float64
	if *metricsURL != "" {
		before = scrape(ctx, *metricsURL, "accesswatch_influx_points_written_total")
	}
	rep, err := ingestload.Run(ctx, *base, *token, *agent, *conc, *batch, *total)
	if err != nil {
		return fmt.Errorf("%v (%s)", err, rep)
	}
	pushed := time.Now()
	fmt.Printf("%s_results_per_second %.0f\n%s_report %s\n", *label, rep.ResultsPerSec, *label, rep)
	if *metricsURL == "" {
		return nil
	}
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		if scrape(ctx, *metricsURL, "accesswatch_influx_points_written_total")-before >= float64(*total) {
			// From the first push to the last point written.
			fmt.Printf("%s_influx_results_per_second %.0f\n", *label, float64(*total)/(rep.Duration+time.Since(pushed)).Seconds())
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("InfluxDB did not get all %d points within 2 minutes", *total)
}

// scrape reads one unlabelled sample from a Prometheus text exposition.
func scrape(ctx context.Context, url, name string) float64 {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return f
		}
	}
	return 0
}
