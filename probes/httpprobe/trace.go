package httpprobe

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http/httptrace"
	"sync"
	"time"
)

// tracer records httptrace events. Hooks may run on the transport's dialing goroutine, so
// every field is guarded by mu.
type tracer struct {
	now   func() time.Time
	start time.Time

	mu sync.Mutex
	// proxied: the request goes through a proxy; proxyTLS handshakes (1 for an https://
	// proxy, else 0) are with the proxy, the rest with the origin.
	proxied             bool
	proxyTLS            int
	dnsStart, dnsDone   time.Time
	dnsErr              error
	connStarts          int
	connStart, connDone time.Time
	tlsStarts, tlsDones int
	tlsStart, tlsDone   time.Time // of the latest handshake: the origin's
	tlsErr              error
	tlsState            *tls.ConnectionState
	gotConn             bool
	remoteIP            string
	firstByte           time.Time
}

func newTracer(now func() time.Time) *tracer {
	return &tracer{now: now, start: now()}
}

func (t *tracer) withTrace(ctx context.Context) context.Context {
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		DNSStart: func(httptrace.DNSStartInfo) { t.set(func() { t.dnsStart = t.now() }) },
		DNSDone: func(i httptrace.DNSDoneInfo) {
			t.set(func() { t.dnsDone, t.dnsErr = t.now(), i.Err })
		},
		ConnectStart: func(_, _ string) {
			t.set(func() {
				if t.connStarts == 0 {
					t.connStart = t.now()
				}
				t.connStarts++
			})
		},
		ConnectDone: func(_, _ string, err error) {
			t.set(func() {
				if err == nil && t.connDone.IsZero() { // the first success of a happy-eyeballs race
					t.connDone = t.now()
				}
			})
		},
		TLSHandshakeStart: func() {
			t.set(func() { t.tlsStart, t.tlsDone = t.now(), time.Time{}; t.tlsStarts++ })
		},
		TLSHandshakeDone: func(cs tls.ConnectionState, err error) {
			t.set(func() {
				t.tlsDone, t.tlsErr = t.now(), err
				t.tlsDones++
				if err == nil {
					t.tlsState = &cs
				}
			})
		},
		GotConn: func(i httptrace.GotConnInfo) {
			t.set(func() {
				t.gotConn = true
				if a, ok := i.Conn.RemoteAddr().(*net.TCPAddr); ok {
					t.remoteIP = a.IP.String()
				}
			})
		},
		GotFirstResponseByte: func() { t.set(func() { t.firstByte = t.now() }) },
	})
}

func (t *tracer) set(f func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	f()
}

// failedOp names the phase a RoundTrip error happened in, from the error itself and from how
// far the trace got.
func (t *tracer) failedOp(err error) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var dnsErr *net.DNSError
	switch {
	case isProxyError(err):
		return OpProxy
	case t.dnsErr != nil || (!t.dnsStart.IsZero() && t.dnsDone.IsZero()) || errors.As(err, &dnsErr):
		return OpResolve
	case t.connStarts > 0 && t.connDone.IsZero():
		return OpConnect
	case t.proxied && !t.connDone.IsZero() && !t.gotConn && t.tlsStarts <= t.proxyTLS:
		// Reached the proxy but failed its TLS handshake, or it refused the CONNECT.
		return OpProxy
	case t.tlsErr != nil || t.tlsStarts > t.tlsDones:
		return OpTLSHandshake
	default:
		return OpHTTPRoundTrip
	}
}

// fill copies timings and connection facts into ex. cs is the response's TLS state, which
// wins over the trace's (with an HTTPS proxy the trace also sees the proxy's handshake).
func (t *tracer) fill(ex *Exchange, cs *tls.ConnectionState) {
	end := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	ex.Timings.DNSMs = ms(t.dnsStart, t.dnsDone)
	ex.Timings.ConnectMs = ms(t.connStart, t.connDone)
	ex.Timings.TLSMs = ms(t.tlsStart, t.tlsDone)
	ex.Timings.FirstByteMs = ms(t.start, t.firstByte)
	ex.Timings.TotalMs = ms(t.start, end)
	ex.RemoteIP = t.remoteIP
	if cs == nil {
		cs = t.tlsState
	}
	if cs != nil {
		ex.TLSVersion = TLSVersionName(cs.Version)
		ex.CertSHA256 = CertFingerprint(cs)
	}
}

// ms is the time from a to b in milliseconds, or 0 when either is missing.
func ms(a, b time.Time) float64 {
	if a.IsZero() || b.IsZero() || b.Before(a) {
		return 0
	}
	return float64(b.Sub(a).Nanoseconds()) / 1e6
}
