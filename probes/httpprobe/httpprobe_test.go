package httpprobe_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/accesswatch/accesswatch/probes/httpprobe"
	"github.com/accesswatch/accesswatch/probes/vantage"
)

func trustingTransport(tb testing.TB, srv *httptest.Server) http.RoundTripper {
	tb.Helper()
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	tr, err := vantage.NewTransport(vantage.Options{TLSConfig: &tls.Config{RootCAs: pool}, HTTP2: srv.EnableHTTP2})
	if err != nil {
		tb.Fatal(err)
	}
	return tr
}

func get(tb testing.TB, url string) *http.Request {
	tb.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return req
}

func TestDoTLS(t *testing.T) {
	t.Parallel()
	for _, h2 := range []bool{false, true} {
		t.Run(fmt.Sprintf("http2=%v", h2), func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Request-Id", "req_1")
				w.Header().Set("X-Proto", r.Proto)
				_, _ = io.WriteString(w, `{"data":[]}`)
			}))
			srv.EnableHTTP2 = h2
			srv.StartTLS()
			defer srv.Close()

			ex := httpprobe.Do(context.Background(), trustingTransport(t, srv), get(t, srv.URL+"/v1/models"), 1024)
			if ex.Err != nil || ex.Op != "" {
				t.Fatalf("Err = %v, Op = %q", ex.Err, ex.Op)
			}
			if want := map[bool]string{false: "HTTP/1.1", true: "HTTP/2.0"}[h2]; ex.Header.Get("X-Proto") != want {
				t.Errorf("served over %q, want %s", ex.Header.Get("X-Proto"), want)
			}
			checkTLSExchange(t, srv, ex)
		})
	}
}

func checkTLSExchange(t *testing.T, srv *httptest.Server, ex httpprobe.Exchange) {
	t.Helper()
	if ex.Status != http.StatusOK || string(ex.Body) != `{"data":[]}` || ex.Truncated {
		t.Errorf("status %d body %q truncated %v", ex.Status, ex.Body, ex.Truncated)
	}
	if got := ex.Header.Get("Request-Id"); got != "req_1" {
		t.Errorf("header Request-Id = %q", got)
	}
	if ex.TLSVersion != "TLS1.3" {
		t.Errorf("TLSVersion = %q, want TLS1.3", ex.TLSVersion)
	}
	sum := sha256.Sum256(srv.Certificate().Raw)
	if want := hex.EncodeToString(sum[:]); ex.CertSHA256 != want {
		t.Errorf("CertSHA256 = %s, want %s", ex.CertSHA256, want)
	}
	if ex.RemoteIP != "127.0.0.1" {
		t.Errorf("RemoteIP = %q", ex.RemoteIP)
	}
	tm := ex.Timings
	if tm.ConnectMs <= 0 || tm.TLSMs <= 0 || tm.FirstByteMs <= 0 || tm.TotalMs <= 0 {
		t.Errorf("timings missing: %+v", tm)
	}
	if tm.DNSMs != 0 {
		t.Errorf("DNSMs = %v for an IP literal", tm.DNSMs)
	}
	if tm.FirstByteMs > tm.TotalMs || tm.ConnectMs > tm.TotalMs {
		t.Errorf("phases longer than the total: %+v", tm)
	}
}

func TestDoFailures(t *testing.T) {
	t.Parallel()
	tlsSrv := httptest.NewTLSServer(http.NotFoundHandler())
	t.Cleanup(tlsSrv.Close) // not defer: the subtests are parallel
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(hang.Close)
	t.Cleanup(func() { close(release) }) // runs before hang.Close
	short := rawServer(t, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b")

	plain, err := vantage.NewTransport(vantage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		rt      http.RoundTripper
		url     string
		timeout time.Duration
		wantOp  string
		check   func(t *testing.T, ex httpprobe.Exchange)
	}{
		{name: "refused", rt: plain, url: "http://" + closedAddr(t), wantOp: httpprobe.OpConnect,
			check: func(t *testing.T, ex httpprobe.Exchange) {
				if !errors.Is(ex.Err, syscall.ECONNREFUSED) {
					t.Errorf("err %v is not ECONNREFUSED", ex.Err)
				}
			}},
		{name: "untrusted certificate", rt: plain, url: tlsSrv.URL, wantOp: httpprobe.OpTLSHandshake,
			check: func(t *testing.T, ex httpprobe.Exchange) {
				var cv *tls.CertificateVerificationError
				if !errors.As(ex.Err, &cv) {
					t.Errorf("err %v is not a certificate verification error", ex.Err)
				}
				if ex.Timings.ConnectMs <= 0 {
					t.Errorf("connect timing lost on TLS failure: %+v", ex.Timings)
				}
			}},
		{name: "hanging server", rt: plain, url: hang.URL, timeout: 200 * time.Millisecond, wantOp: httpprobe.OpHTTPRoundTrip,
			check: func(t *testing.T, ex httpprobe.Exchange) {
				if !errors.Is(ex.Err, context.DeadlineExceeded) {
					t.Errorf("err %v is not a deadline", ex.Err)
				}
				if ex.RemoteIP != "127.0.0.1" {
					t.Errorf("RemoteIP = %q: the connection was made", ex.RemoteIP)
				}
			}},
		{name: "body cut short", rt: plain, url: "http://" + short, wantOp: httpprobe.OpRead,
			check: func(t *testing.T, ex httpprobe.Exchange) {
				if ex.Status != http.StatusOK || string(ex.Body) != "only ten b" {
					t.Errorf("status %d body %q: the partial answer must be kept", ex.Status, ex.Body)
				}
				if !errors.Is(ex.Err, io.ErrUnexpectedEOF) {
					t.Errorf("err %v is not unexpected EOF", ex.Err)
				}
			}},
		{name: "unresolvable name", rt: noDNSTransport(), url: "http://probe.invalid/", wantOp: httpprobe.OpResolve,
			check: func(t *testing.T, ex httpprobe.Exchange) {
				var de *net.DNSError
				if !errors.As(ex.Err, &de) {
					t.Errorf("err %v is not a DNS error", ex.Err)
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			timeout := tc.timeout
			if timeout == 0 {
				timeout = 10 * time.Second
			}
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			ex := httpprobe.Do(ctx, tc.rt, get(t, tc.url), 0)
			if ex.Err == nil || ex.Op != tc.wantOp {
				t.Fatalf("Op = %q, Err = %v; want op %s", ex.Op, ex.Err, tc.wantOp)
			}
			if ex.Timings.TotalMs <= 0 {
				t.Errorf("TotalMs = %v", ex.Timings.TotalMs)
			}
			tc.check(t, ex)
		})
	}
}

func TestDoBodyLimit(t *testing.T) {
	t.Parallel()
	body := strings.Repeat("x", 100)
	tests := []struct {
		name          string
		max           int64
		wantLen       int
		wantTruncated bool
	}{
		{"over the limit", 10, 10, true},
		{"exactly the limit", 100, 100, false},
		{"under the limit", 1000, 100, false},
		{"default limit", 0, 100, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rt := &fakeRT{body: body}
			ctx := context.WithValue(context.Background(), ctxKey{}, "mine")
			ex := httpprobe.Do(ctx, rt, get(t, "http://127.0.0.1/"), tc.max)
			if ex.Err != nil {
				t.Fatal(ex.Err)
			}
			if len(ex.Body) != tc.wantLen || ex.Truncated != tc.wantTruncated {
				t.Errorf("len %d truncated %v, want %d %v", len(ex.Body), ex.Truncated, tc.wantLen, tc.wantTruncated)
			}
			if !rt.closed {
				t.Error("response body not closed")
			}
			if rt.ctx == nil || rt.ctx.Value(ctxKey{}) != "mine" {
				t.Error("the caller's context did not reach the round tripper")
			}
		})
	}
}

func TestDoLargeBodyOverNetwork(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, strings.Repeat("y", 1<<20))
	}))
	defer srv.Close()
	tr, _ := vantage.NewTransport(vantage.Options{})
	ex := httpprobe.Do(context.Background(), tr, get(t, srv.URL), 4096)
	if ex.Err != nil || !ex.Truncated || len(ex.Body) != 4096 {
		t.Errorf("err %v truncated %v len %d", ex.Err, ex.Truncated, len(ex.Body))
	}
}

func TestTLSVersionName(t *testing.T) {
	t.Parallel()
	for v, want := range map[uint16]string{tls.VersionTLS13: "TLS1.3", tls.VersionTLS12: "TLS1.2", tls.VersionTLS10: "TLS1.0"} {
		if got := httpprobe.TLSVersionName(v); got != want {
			t.Errorf("TLSVersionName(%#x) = %q, want %q", v, got, want)
		}
	}
	if got := httpprobe.CertFingerprint(nil); got != "" {
		t.Errorf("CertFingerprint(nil) = %q", got)
	}
}

func BenchmarkDoTLS(b *testing.B) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"data":[{"id":"m"}]}`)
	}))
	defer srv.Close()
	rt := trustingTransport(b, srv)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		ex := httpprobe.Do(ctx, rt, get(b, srv.URL), 0)
		if ex.Err != nil {
			b.Fatal(ex.Err)
		}
	}
}

type ctxKey struct{}

// fakeRT answers every request with body and remembers whether the body was closed.
type fakeRT struct {
	body   string
	closed bool
	ctx    context.Context
}

func (f *fakeRT) RoundTrip(r *http.Request) (*http.Response, error) {
	f.ctx = r.Context()
	return &http.Response{StatusCode: 200, Header: http.Header{}, Body: &closeRecorder{Reader: strings.NewReader(f.body), closed: &f.closed}}, nil
}

type closeRecorder struct {
	io.Reader
	closed *bool
}

func (c *closeRecorder) Close() error { *c.closed = true; return nil }

// noDNSTransport resolves names with a resolver whose DNS server cannot be reached, so name
// lookups fail without any packet leaving the machine.
func noDNSTransport() http.RoundTripper {
	d := &net.Dialer{Resolver: &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
		return nil, errors.New("no DNS in tests")
	}}}
	return &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true}
}

// rawServer answers every connection with the given bytes and closes it.
func rawServer(t *testing.T, answer string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_, _ = http.ReadRequest(bufio.NewReader(c))
			_, _ = io.WriteString(c, answer)
			_ = c.Close()
		}
	}()
	return ln.Addr().String()
}

func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}
