package classify

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// ioTimeout bounds every loopback operation in these tests.
const ioTimeout = 5 * time.Second

// TestFailureLoopback classifies real errors produced against 127.0.0.1.
func TestFailureLoopback(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  func(t *testing.T) error
		want string
	}{
		{"refused port", refusedErr, "connection_refused"},
		{"server resets", resetErr, "connection_reset"},
		{"server closes", eofErr, "eof_error"},
		{"untrusted certificate", untrustedCertErr, "ssl_unknown_authority"},
		{"wrong host name", wrongHostnameErr, "ssl_invalid_hostname"},
		{"tls to plain server", plainServerTLSErr, "ssl_failed_handshake"},
		{"context deadline", deadlineErr, "generic_timeout_error"},
		{"read deadline", readDeadlineErr, "generic_timeout_error"},
		{"cancelled request", cancelledErr, "interrupted"},
		{"own closed connection", closedConnErr, "connection_already_closed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.err(t)
			if err == nil {
				t.Fatal("no error produced")
			}
			if got := Failure(err); got != tc.want {
				t.Errorf("Failure(%v) = %q, want %q", err, got, tc.want)
			}
		})
	}
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := (&net.Dialer{Timeout: ioTimeout}).Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(ioTimeout))
	return c
}

// acceptOnce accepts one connection, hands it to f and reports when f is done.
func acceptOnce(ln net.Listener, f func(net.Conn)) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		if c, err := ln.Accept(); err == nil {
			f(c)
		}
	}()
	return done
}

func refusedErr(t *testing.T) error {
	ln := listen(t)
	addr := ln.Addr().String()
	ln.Close()
	_, err := (&net.Dialer{Timeout: ioTimeout}).Dial("tcp", addr)
	return err
}

func resetErr(t *testing.T) error {
	ln := listen(t)
	done := acceptOnce(ln, func(c net.Conn) {
		_ = c.SetDeadline(time.Now().Add(ioTimeout))
		_, _ = c.Read(make([]byte, 1))    // the client is connected and has written
		_ = c.(*net.TCPConn).SetLinger(0) // close with RST
		c.Close()
	})
	c := dial(t, ln.Addr().String())
	if _, err := c.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	<-done
	_, err := c.Read(make([]byte, 1))
	return err
}

func eofErr(t *testing.T) error {
	ln := listen(t)
	acceptOnce(ln, func(c net.Conn) { // read the request head, then hang up without answering
		_ = c.SetDeadline(time.Now().Add(ioTimeout))
		_, _ = http.ReadRequest(bufio.NewReader(c))
		c.Close()
	})
	client := &http.Client{Transport: &http.Transport{}, Timeout: ioTimeout}
	resp, err := client.Get("http://" + ln.Addr().String() + "/v1/models")
	if err == nil {
		resp.Body.Close()
	}
	return err
}

func tlsServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshake errors are the point
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, tr *http.Transport, u string) error {
	t.Helper()
	t.Cleanup(tr.CloseIdleConnections)
	resp, err := (&http.Client{Transport: tr, Timeout: ioTimeout}).Get(u)
	if err == nil {
		resp.Body.Close()
	}
	return err
}

func untrustedCertErr(t *testing.T) error {
	srv := tlsServer(t)
	return get(t, &http.Transport{}, srv.URL)
}

func wrongHostnameErr(t *testing.T) error {
	srv := tlsServer(t)
	tr := srv.Client().Transport.(*http.Transport).Clone() // trusts the test CA
	tr.TLSClientConfig.ServerName = "api.invalid"
	return get(t, tr, srv.URL)
}

func plainServerTLSErr(t *testing.T) error {
	srv := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(srv.Close)
	d := &tls.Dialer{NetDialer: &net.Dialer{Timeout: ioTimeout}, Config: &tls.Config{ServerName: "127.0.0.1"}}
	ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
	defer cancel()
	c, err := d.DialContext(ctx, "tcp", srv.Listener.Addr().String())
	if err == nil {
		c.Close()
	}
	return err
}

// hangingServer answers nothing until the client goes away (or the test ends).
func hangingServer(t *testing.T) *httptest.Server {
	t.Helper()
	stop := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-stop:
		}
	}))
	t.Cleanup(func() { close(stop); srv.Close() })
	return srv
}

func deadlineErr(t *testing.T) error {
	srv := hangingServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	return do(t, ctx, srv.URL)
}

// do sends a GET with ctx through a fresh transport.
func do(t *testing.T, ctx context.Context, u string) error {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err == nil {
		resp.Body.Close()
	}
	return err
}

func readDeadlineErr(t *testing.T) error {
	ln := listen(t)
	acceptOnce(ln, func(c net.Conn) {
		_, _ = io.Copy(io.Discard, c) // keep the connection open, silent, until the client closes
		c.Close()
	})
	c := dial(t, ln.Addr().String())
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
	_, err := c.Read(make([]byte, 1))
	return err
}

func cancelledErr(t *testing.T) error {
	srv := hangingServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return do(t, ctx, srv.URL)
}

func closedConnErr(t *testing.T) error {
	ln := listen(t)
	acceptOnce(ln, func(c net.Conn) { _, _ = io.Copy(io.Discard, c); c.Close() })
	c := dial(t, ln.Addr().String())
	c.Close()
	_, err := c.Read(make([]byte, 1))
	return err
}

func TestFailureConstructed(t *testing.T) {
	t.Parallel()
	opErr := func(errno syscall.Errno) error {
		return &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", errno)}
	}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"nil", nil, ""},
		{"nxdomain", &net.DNSError{Err: "no such host", Name: "api.example", IsNotFound: true}, "dns_nxdomain_error"},
		{"nxdomain by text", &net.DNSError{Err: "no such host", Name: "api.example"}, "dns_nxdomain_error"},
		{"server misbehaving", &net.DNSError{Err: "server misbehaving", Name: "api.example", Server: "127.0.0.53:53"}, "dns_server_misbehaving"},
		{"dns timeout", &net.DNSError{Err: "i/o timeout", Name: "api.example", IsTimeout: true}, "generic_timeout_error"},
		{"dns temporary", &net.DNSError{Err: "try again", Name: "api.example", IsTemporary: true}, "dns_temporary_failure"},
		{"dns other", &net.DNSError{Err: "odd", Name: "api.example"}, "dns_lookup_error"},
		{"dns wrapped in url.Error", &url.Error{Op: "Get", URL: "https://api.example/v1", Err: &net.OpError{Op: "dial", Err: &net.DNSError{Err: "no such host", IsNotFound: true}}}, "dns_nxdomain_error"},
		{"host unreachable", opErr(syscall.EHOSTUNREACH), "host_unreachable"},
		{"network unreachable", opErr(syscall.ENETUNREACH), "network_unreachable"},
		{"aborted", opErr(syscall.ECONNABORTED), "connection_aborted"},
		{"expired certificate", &tls.CertificateVerificationError{Err: x509.CertificateInvalidError{Reason: x509.Expired}}, "ssl_invalid_certificate"},
		{"tls alert", fmt.Errorf("remote error: %w", tls.AlertError(40)), "ssl_failed_handshake"},
		{"unexpected EOF", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), "eof_error"},
		{"refused by text", errors.New("proxyconnect tcp: dial tcp 127.0.0.1:3128: connect: connection refused"), "connection_refused"},
		{"reset by text", errors.New("read tcp 127.0.0.1:5000->127.0.0.1:443: read: connection reset by peer"), "connection_reset"},
		{"tls by text", errors.New("tls: handshake failure"), "ssl_failed_handshake"},
		{"idle close by text", errors.New("http: server closed idle connection"), "eof_error"},
		{"eof by text", errors.New(`Get "https://x": EOF`), "eof_error"},
		{"unknown scrubbed", errors.New("dial tcp 127.0.0.1:8443: odd thing from [::1]:9000"), "unknown_failure: dial tcp [scrubbed]: odd thing from [[scrubbed]]:[scrubbed]"},
		{"unknown drops url with key", &url.Error{Op: "Get", URL: "https://generativelanguage.googleapis.com/v1beta/models?key=AIzaSyD4x7Qp9Lm2Rk8Vn3Tz6Wc1Hb5Jf0Gs7Yd", Err: errors.New("malformed answer")}, "unknown_failure: Get: malformed answer"},
		{"unknown scrubs key", errors.New("rejected key sk-ant-api03-Zq8Xw7Vu6Ts5Rq4Po3Nm2Lk1 at https://api.example/v1?x=1"), "unknown_failure: rejected key [scrubbed] at [scrubbed]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := Failure(tc.err); got != tc.want {
				t.Errorf("Failure(%v) = %q, want %q", tc.err, got, tc.want)
			}
		})
	}
}

func TestFailureBounded(t *testing.T) {
	t.Parallel()
	got := Failure(errors.New(strings.Repeat("very long error ", 100)))
	if !strings.HasPrefix(got, "unknown_failure: very long error") || len(got) > len("unknown_failure: ")+maxNormalised {
		t.Errorf("Failure of a long error = %d bytes: %q", len(got), got)
	}
}
