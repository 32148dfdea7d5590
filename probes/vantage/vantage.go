// Package vantage builds the HTTP transport of one vantage point: an optional local source
// address to bind and an optional egress proxy, with a fresh connection for every probe so
// that each probe measures DNS, connect and TLS again and never rides on a warm connection.
package vantage

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"
)

// DefaultDialTimeout bounds the TCP connect (and the TLS handshake) when Options.DialTimeout is 0.
const DefaultDialTimeout = 10 * time.Second

// maxResponseHeaderBytes bounds the headers we accept from a vendor, a proxy or a block page.
const maxResponseHeaderBytes = 1 << 20

// Options configure one vantage point's transport.
type Options struct {
	// SourceIP is an optional local address to bind (e.g. 127.0.1.1 or a secondary public IP).
	SourceIP string
	// Proxy is an optional egress proxy: http://, https://, socks5:// or socks5h:// (the proxy
	// resolves names with socks5h). net/http speaks all of them natively.
	Proxy string
	// TLSConfig is optional (tests and the demo pass RootCAs); it is cloned.
	TLSConfig *tls.Config
	// DialTimeout bounds connect and TLS handshake; DefaultDialTimeout when 0.
	DialTimeout time.Duration
	// PostQuantum offers Go's default key exchanges, hybrid X25519MLKEM768 first. Off, a probe
	// offers X25519 and P-256 only: every probe is a fresh handshake, and the hybrid doubles its
	// CPU cost on both ends and adds about 1.1 KB to each ClientHello.
	PostQuantum bool
	// HTTP2 negotiates HTTP/2 through ALPN. Off, probes speak HTTP/1.1 like the vendors' own SDKs
	// (httpx, undici) do by default; on a connection used once, HTTP/2's preface and settings
	// exchange only add cost (about 30% CPU per probe on loopback).
	HTTP2 bool
}

// ErrInvalidSourceIP and ErrInvalidProxy are returned (wrapped, naming the value) by NewTransport.
var (
	ErrInvalidSourceIP = errors.New("invalid source_ip")
	ErrInvalidProxy    = errors.New("invalid proxy")
)

// NewTransport returns a transport that opens a new connection for every request.
//
// Proxy settings from the environment (HTTP_PROXY, …) are deliberately ignored: a vantage
// must egress exactly where its configuration says, or its observations mean nothing.
// When SourceIP is set, the connection to the proxy (if any) is bound to it as well.
func NewTransport(o Options) (*http.Transport, error) {
	timeout := o.DialTimeout
	if timeout < 0 {
		return nil, fmt.Errorf("vantage: negative dial timeout %v", timeout)
	}
	if timeout == 0 {
		timeout = DefaultDialTimeout
	}
	dialer := &net.Dialer{Timeout: timeout, KeepAlive: -1}
	if o.SourceIP != "" {
		addr, err := ParseSourceIP(o.SourceIP)
		if err != nil {
			return nil, err
		}
		dialer.LocalAddr = addr
	}
	t := &http.Transport{
		DialContext:            dialer.DialContext,
		DisableKeepAlives:      true, // one probe, one connection: never reuse
		MaxIdleConns:           0,
		ForceAttemptHTTP2:      o.HTTP2,
		TLSHandshakeTimeout:    timeout,
		MaxResponseHeaderBytes: maxResponseHeaderBytes,
	}
	if o.TLSConfig != nil {
		t.TLSClientConfig = o.TLSConfig.Clone()
	}
	if !o.PostQuantum {
		if t.TLSClientConfig == nil {
			t.TLSClientConfig = &tls.Config{}
		}
		if t.TLSClientConfig.CurvePreferences == nil {
			t.TLSClientConfig.CurvePreferences = ClassicCurves()
		}
	}
	if o.Proxy != "" {
		u, err := ParseProxy(o.Proxy)
		if err != nil {
			return nil, err
		}
		t.Proxy = http.ProxyURL(u)
	}
	return t, nil
}

// ClassicCurves are the key exchanges a probe offers unless post-quantum TLS is on.
func ClassicCurves() []tls.CurveID { return []tls.CurveID{tls.X25519, tls.CurveP256} }

// ParseSourceIP parses a local address to bind; the port is 0 (any).
func ParseSourceIP(s string) (*net.TCPAddr, error) {
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("vantage: %w %q: not an IP address", ErrInvalidSourceIP, s)
	}
	if a.IsUnspecified() || a.IsMulticast() {
		return nil, fmt.Errorf("vantage: %w %q: not a unicast address", ErrInvalidSourceIP, s)
	}
	a = a.Unmap()
	return &net.TCPAddr{IP: a.AsSlice(), Zone: a.Zone()}, nil
}

// ParseProxy parses and checks an egress proxy URL. Errors name the URL without its password.
func ParseProxy(s string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("vantage: %w %q: not a URL", ErrInvalidProxy, redactUserinfo(s))
	}
	shown := u.Redacted()
	switch u.Scheme {
	case "http", "https", "socks5", "socks5h":
	case "":
		return nil, fmt.Errorf("vantage: %w %q: missing scheme: must be one of http, https, socks5, socks5h", ErrInvalidProxy, shown)
	default:
		return nil, fmt.Errorf("vantage: %w %q: scheme %q not supported: must be one of http, https, socks5, socks5h", ErrInvalidProxy, shown, u.Scheme)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("vantage: %w %q: missing host", ErrInvalidProxy, shown)
	}
	if p := u.Port(); p != "" {
		if _, err := netip.ParseAddrPort("0.0.0.0:" + p); err != nil {
			return nil, fmt.Errorf("vantage: %w %q: bad port %q", ErrInvalidProxy, shown, p)
		}
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("vantage: %w %q: a proxy URL has no path, query or fragment", ErrInvalidProxy, shown)
	}
	return u, nil
}

// redactUserinfo hides a password in a string that did not even parse as a URL.
func redactUserinfo(s string) string {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return s
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return s
	}
	user, _, hasPass := strings.Cut(rest[:at], ":")
	if !hasPass {
		return s
	}
	return scheme + "://" + user + ":xxxxx" + rest[at:]
}
