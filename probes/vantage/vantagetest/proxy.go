// Package vantagetest holds test helpers for code that probes through a vantage: a tiny HTTP
// CONNECT proxy on loopback that records where it tunnelled to.
package vantagetest

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"
)

// ProxyOptions shape a test proxy.
type ProxyOptions struct {
	TLS    bool // serve the proxy itself over TLS (an https:// proxy, httptest's certificate)
	Refuse bool // answer every CONNECT with 403 Forbidden instead of tunnelling
}

// ConnectProxy is an HTTP CONNECT proxy for tests that tunnels to loopback targets only.
type ConnectProxy struct {
	*httptest.Server
	refuse bool

	mu      sync.Mutex
	targets []string
}

// NewConnectProxy starts a proxy on 127.0.0.1; its URL is p.URL; close it with Close.
func NewConnectProxy(o ProxyOptions) *ConnectProxy {
	p := &ConnectProxy{refuse: o.Refuse}
	p.Server = httptest.NewUnstartedServer(http.HandlerFunc(p.serve))
	if o.TLS {
		p.StartTLS()
	} else {
		p.Start()
	}
	return p
}

// Targets lists the host:port of every CONNECT received, in order.
func (p *ConnectProxy) Targets() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.targets...)
}

func (p *ConnectProxy) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodConnect {
		http.Error(w, "CONNECT only", http.StatusMethodNotAllowed)
		return
	}
	p.mu.Lock()
	p.targets = append(p.targets, r.Host)
	p.mu.Unlock()
	if p.refuse {
		http.Error(w, "tunnel refused", http.StatusForbidden)
		return
	}
	host, _, err := net.SplitHostPort(r.Host)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		http.Error(w, "loopback targets only", http.StatusForbidden) // tests never leave the machine
		return
	}
	upstream, err := net.DialTimeout("tcp", r.Host, 5*time.Second)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		_ = upstream.Close()
		return
	}
	_, _ = conn.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n"))
	pipe(conn, buf, upstream)
}

// pipe copies both ways until either side closes, then closes both.
func pipe(client net.Conn, buffered io.Reader, upstream net.Conn) {
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(upstream, buffered); done <- struct{}{} }()
	go func() { _, _ = io.Copy(client, upstream); done <- struct{}{} }()
	<-done
	_ = client.Close()
	_ = upstream.Close()
	<-done
}
