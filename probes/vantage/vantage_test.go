package vantage_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/accesswatch/accesswatch/probes/httpprobe"
	"github.com/accesswatch/accesswatch/probes/vantage"
	"github.com/accesswatch/accesswatch/probes/vantage/vantagetest"
)

func TestNewTransportErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		opts    vantage.Options
		wantErr error
		want    []string // substrings of the message
		notWant string
	}{
		{name: "source not an IP", opts: vantage.Options{SourceIP: "eth0"}, wantErr: vantage.ErrInvalidSourceIP, want: []string{`"eth0"`, "not an IP address"}},
		{name: "source with port", opts: vantage.Options{SourceIP: "127.0.0.1:80"}, wantErr: vantage.ErrInvalidSourceIP, want: []string{`"127.0.0.1:80"`}},
		{name: "source unspecified", opts: vantage.Options{SourceIP: "0.0.0.0"}, wantErr: vantage.ErrInvalidSourceIP, want: []string{"not a unicast address"}},
		{name: "proxy scheme", opts: vantage.Options{Proxy: "ftp://127.0.0.1:21"}, wantErr: vantage.ErrInvalidProxy, want: []string{`"ftp://127.0.0.1:21"`, `scheme "ftp" not supported`, "socks5h"}},
		{name: "proxy no scheme", opts: vantage.Options{Proxy: "127.0.0.1:3128"}, wantErr: vantage.ErrInvalidProxy, want: []string{`"127.0.0.1:3128"`}},
		{name: "proxy no host", opts: vantage.Options{Proxy: "http://"}, wantErr: vantage.ErrInvalidProxy, want: []string{"missing host"}},
		{name: "proxy bad port", opts: vantage.Options{Proxy: "http://127.0.0.1:99999"}, wantErr: vantage.ErrInvalidProxy, want: []string{`bad port "99999"`}},
		{name: "proxy path", opts: vantage.Options{Proxy: "http://127.0.0.1:3128/x"}, wantErr: vantage.ErrInvalidProxy, want: []string{"no path"}},
		{name: "proxy password hidden", opts: vantage.Options{Proxy: "gopher://u:hunter2@127.0.0.1:1"}, wantErr: vantage.ErrInvalidProxy, want: []string{"u:xxxxx@127.0.0.1:1"}, notWant: "hunter2"},
		{name: "unparsable proxy password hidden", opts: vantage.Options{Proxy: "http://u:hunter2@[::1"}, wantErr: vantage.ErrInvalidProxy, want: []string{"not a URL", "u:xxxxx@"}, notWant: "hunter2"},
		{name: "negative timeout", opts: vantage.Options{DialTimeout: -time.Second}, want: []string{"negative dial timeout"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tr, err := vantage.NewTransport(tc.opts)
			if err == nil {
				t.Fatalf("NewTransport(%+v) = %v, want an error", tc.opts, tr)
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("error %q is not %v", err, tc.wantErr)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if tc.notWant != "" && strings.Contains(err.Error(), tc.notWant) {
				t.Errorf("error %q leaks %q", err, tc.notWant)
			}
		})
	}
}

func TestNewTransportShape(t *testing.T) {
	t.Parallel()
	cfg := &tls.Config{ServerName: "example.com"}
	for i, proxy := range []string{"", "http://127.0.0.1:3128", "https://u:p@127.0.0.1:443", "socks5://127.0.0.1:1080", "socks5h://127.0.0.1:1080"} {
		h2 := i%2 == 1
		t.Run("proxy="+proxy, func(t *testing.T) {
			t.Parallel()
			tr, err := vantage.NewTransport(vantage.Options{Proxy: proxy, TLSConfig: cfg, SourceIP: "127.0.0.1", HTTP2: h2})
			if err != nil {
				t.Fatal(err)
			}
			if !tr.DisableKeepAlives || tr.ForceAttemptHTTP2 != h2 {
				t.Errorf("DisableKeepAlives=%v ForceAttemptHTTP2=%v, want true and %v", tr.DisableKeepAlives, tr.ForceAttemptHTTP2, h2)
			}
			if tr.TLSClientConfig == cfg || tr.TLSClientConfig.ServerName != "example.com" {
				t.Errorf("TLS config not cloned: %p vs %p", tr.TLSClientConfig, cfg)
			}
			if proxy == "" {
				if tr.Proxy != nil {
					t.Error("Proxy set without a proxy: environment proxies must be ignored")
				}
				return
			}
			req := httptest.NewRequest(http.MethodGet, "https://api.example.com/v1/models", nil)
			u, err := tr.Proxy(req)
			if err != nil || u == nil || u.String() != proxy {
				t.Errorf("Proxy(req) = %v, %v; want %s", u, err, proxy)
			}
		})
	}
}

// TestSourceIP binds 127.0.1.1 and checks the server sees it (Linux routes all of 127/8 to lo).
func TestSourceIP(t *testing.T) {
	t.Parallel()
	if ln, err := net.Listen("tcp", "127.0.1.1:0"); err != nil {
		t.Skipf("127.0.1.1 not usable here: %v", err)
	} else {
		_ = ln.Close()
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.RemoteAddr)
	}))
	defer srv.Close()
	for _, src := range []string{"127.0.1.1", "127.0.0.1"} {
		t.Run(src, func(t *testing.T) {
			tr, err := vantage.NewTransport(vantage.Options{SourceIP: src})
			if err != nil {
				t.Fatal(err)
			}
			req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
			ex := httpprobe.Do(context.Background(), tr, req, 0)
			if ex.Err != nil {
				t.Fatal(ex.Err)
			}
			host, _, _ := net.SplitHostPort(string(ex.Body))
			if host != src {
				t.Errorf("server saw %q, want %s", ex.Body, src)
			}
		})
	}
}

// trusting returns a TLS config trusting httptest's certificate (shared by every httptest
// TLS server, so it covers an https:// proxy too).
func trusting(srv *httptest.Server) *tls.Config {
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	return &tls.Config{RootCAs: pool}
}

func TestConnectProxy(t *testing.T) {
	t.Parallel()
	origin := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "through")
	}))
	t.Cleanup(origin.Close)
	for _, proxyTLS := range []bool{false, true} {
		t.Run(fmt.Sprintf("tls_proxy=%v", proxyTLS), func(t *testing.T) {
			t.Parallel()
			proxy := vantagetest.NewConnectProxy(vantagetest.ProxyOptions{TLS: proxyTLS})
			defer proxy.Close()
			tr, err := vantage.NewTransport(vantage.Options{Proxy: proxy.URL, TLSConfig: trusting(origin)})
			if err != nil {
				t.Fatal(err)
			}
			for i := range 2 { // a fresh tunnel for each probe
				req, _ := http.NewRequest(http.MethodGet, origin.URL+"/v1/models", nil)
				ex := httpprobe.Do(context.Background(), tr, req, 0)
				if ex.Err != nil || ex.Status != http.StatusOK || string(ex.Body) != "through" {
					t.Fatalf("probe %d: status %d body %q err %v (op %s)", i, ex.Status, ex.Body, ex.Err, ex.Op)
				}
				if ex.TLSVersion == "" || ex.CertSHA256 == "" {
					t.Errorf("probe %d: TLS facts of the origin missing: %+v", i, ex)
				}
			}
			want := strings.TrimPrefix(origin.URL, "https://")
			got := proxy.Targets()
			if len(got) != 2 || got[0] != want || got[1] != want {
				t.Errorf("proxy saw CONNECTs %q, want two to %s", got, want)
			}
		})
	}
}

func TestProxyFailureOps(t *testing.T) {
	t.Parallel()
	origin := httptest.NewTLSServer(http.NotFoundHandler())
	t.Cleanup(origin.Close) // not defer: the subtests are parallel
	dead := closedAddr(t)
	proxies := map[string]*vantagetest.ConnectProxy{
		"open":          vantagetest.NewConnectProxy(vantagetest.ProxyOptions{}),
		"refusing":      vantagetest.NewConnectProxy(vantagetest.ProxyOptions{Refuse: true}),
		"tls refusing":  vantagetest.NewConnectProxy(vantagetest.ProxyOptions{Refuse: true, TLS: true}),
		"tls untrusted": vantagetest.NewConnectProxy(vantagetest.ProxyOptions{TLS: true}),
	}
	for _, p := range proxies {
		t.Cleanup(p.Close)
	}
	trusted := trusting(origin)
	tests := []struct {
		name    string
		proxy   string
		tls     *tls.Config
		wantOp  string
		reached *vantagetest.ConnectProxy // must have seen our CONNECT
	}{
		{"dead http proxy", "http://" + dead, trusted, httpprobe.OpProxy, nil},
		{"dead socks5 proxy", "socks5://" + dead, trusted, httpprobe.OpProxy, nil},
		{"CONNECT refused", proxies["refusing"].URL, trusted, httpprobe.OpProxy, proxies["refusing"]},
		{"CONNECT refused by https proxy", proxies["tls refusing"].URL, trusted, httpprobe.OpProxy, proxies["tls refusing"]},
		{"https proxy untrusted", proxies["tls untrusted"].URL, nil, httpprobe.OpProxy, nil},
		{"origin untrusted through proxy", proxies["open"].URL, nil, httpprobe.OpTLSHandshake, proxies["open"]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tr, err := vantage.NewTransport(vantage.Options{Proxy: tc.proxy, TLSConfig: tc.tls})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			req, _ := http.NewRequest(http.MethodGet, origin.URL, nil)
			ex := httpprobe.Do(ctx, tr, req, 0)
			if ex.Err == nil || ex.Op != tc.wantOp {
				t.Errorf("Op = %q, Err = %v; want op %s", ex.Op, ex.Err, tc.wantOp)
			}
			if tc.reached != nil && len(tc.reached.Targets()) == 0 {
				t.Error("the proxy never saw the CONNECT")
			}
		})
	}
}

// closedAddr returns a loopback address nobody listens on.
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

// TestKeyExchange checks what a server sees offered: classic curves unless post-quantum is on.
func TestKeyExchange(t *testing.T) {
	for _, pq := range []bool{false, true} {
		var offered []tls.CurveID
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
		srv.TLS = &tls.Config{GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
			offered = h.SupportedCurves
			return nil, nil
		}}
		srv.StartTLS()
		pool := x509.NewCertPool()
		pool.AddCert(srv.Certificate())
		rt, err := vantage.NewTransport(vantage.Options{TLSConfig: &tls.Config{RootCAs: pool}, PostQuantum: pq})
		if err != nil {
			t.Fatal(err)
		}
		resp, err := (&http.Client{Transport: rt}).Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		srv.Close()
		hasPQ := slices.Contains(offered, tls.X25519MLKEM768)
		if hasPQ != pq || !slices.Contains(offered, tls.X25519) {
			t.Errorf("post_quantum %v: client offered %v", pq, offered)
		}
	}
}
