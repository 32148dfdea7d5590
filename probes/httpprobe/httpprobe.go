// Package httpprobe executes one HTTP request and captures everything a classifier needs:
// status, headers, a bounded body, per-phase timings from net/http/httptrace, the peer's IP,
// the negotiated TLS version and the leaf certificate's fingerprint, and — when the request
// failed — the phase it failed in. A failed request is data (Exchange.Err and Exchange.Op),
// not a Go error.
package httpprobe

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
)

// DefaultMaxBody is how much of a body is read when Do is given maxBody <= 0.
const DefaultMaxBody = 64 << 10

// Phases a request can fail in (Exchange.Op).
const (
	OpResolve       = "resolve"
	OpConnect       = "connect"
	OpProxy         = "proxy"
	OpTLSHandshake  = "tls_handshake"
	OpHTTPRoundTrip = "http_round_trip"
	OpRead          = "read"
)

// Exchange is what happened to one request.
type Exchange struct {
	Status    int
	Header    http.Header
	Body      []byte // at most maxBody bytes
	Truncated bool   // the body was longer than maxBody

	// Err is the transport or read error, unredacted: callers redact it before storing it.
	// Op says where it happened (one of the Op* constants); both are empty on success.
	Err error
	Op  string

	// Timings: DNS, connect and TLS are the phases' own durations; first byte and total are
	// measured from the start of Do, and total includes reading the body.
	Timings model.Timings

	RemoteIP   string // the peer we were connected to: the proxy when one is used
	TLSVersion string // "TLS1.3"; with an HTTPS proxy, the version negotiated with the origin
	CertSHA256 string // the origin's leaf certificate, hex
}

// Do sends req with rt and reads at most maxBody bytes of the answer (DefaultMaxBody when
// maxBody <= 0). ctx replaces the request's context. Redirects are not followed: a redirect is
// an answer like any other. The response body is always closed.
//
// A *http.Transport with a Proxy is asked which proxy it will use, so a failure to reach or
// negotiate with that proxy is reported as OpProxy.
func Do(ctx context.Context, rt http.RoundTripper, req *http.Request, maxBody int64) Exchange {
	if maxBody <= 0 {
		maxBody = DefaultMaxBody
	}
	tr := newTracer(time.Now)
	if u := proxyFor(rt, req); u != nil {
		tr.proxied = true
		if u.Scheme == "https" {
			tr.proxyTLS = 1
		}
	}
	req = req.WithContext(tr.withTrace(ctx))

	var ex Exchange
	resp, err := rt.RoundTrip(req)
	if err != nil {
		if resp != nil && resp.Body != nil { // a RoundTripper must not do this; be safe anyway
			_ = resp.Body.Close()
		}
		ex.Err, ex.Op = err, tr.failedOp(err)
		tr.fill(&ex, nil)
		return ex
	}
	defer func() { _ = resp.Body.Close() }()
	ex.Status, ex.Header = resp.StatusCode, resp.Header
	ex.Body, ex.Truncated, err = readBounded(resp.Body, maxBody)
	if err != nil {
		ex.Err, ex.Op = err, OpRead
	}
	tr.fill(&ex, resp.TLS)
	return ex
}

// readBounded reads up to limit bytes and reports whether more were there.
func readBounded(r io.Reader, limit int64) ([]byte, bool, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if int64(len(b)) > limit {
		return b[:limit], true, err
	}
	return b, false, err
}

// proxyFor returns the proxy rt will send req through, when rt is a *http.Transport.
func proxyFor(rt http.RoundTripper, req *http.Request) *url.URL {
	t, ok := rt.(*http.Transport)
	if !ok || t.Proxy == nil {
		return nil
	}
	u, err := t.Proxy(req)
	if err != nil {
		return nil
	}
	return u
}

// TLSVersionName gives "TLS1.3" for tls.VersionTLS13, and so on.
func TLSVersionName(v uint16) string {
	return strings.ReplaceAll(tls.VersionName(v), " ", "")
}

// CertFingerprint is the hex SHA-256 of the leaf certificate of a TLS connection, or "".
func CertFingerprint(cs *tls.ConnectionState) string {
	if cs == nil || len(cs.PeerCertificates) == 0 {
		return ""
	}
	sum := sha256.Sum256(cs.PeerCertificates[0].Raw)
	return hex.EncodeToString(sum[:])
}

// isProxyError recognises the errors net/http builds around a proxy: "proxyconnect" wraps a
// failure to reach the proxy, "socks connect" a failed SOCKS negotiation.
func isProxyError(err error) bool {
	var op *net.OpError
	for e := err; errors.As(e, &op); e = op.Err {
		if op.Op == "proxyconnect" || strings.HasPrefix(op.Op, "socks ") {
			return true
		}
		if op.Err == nil {
			return false
		}
	}
	return false
}
