package classify

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"syscall"
	"unicode"

	"github.com/accesswatch/accesswatch/internal/model"
)

const unknownFailure = "unknown_failure"

// errnoFailures maps socket errno values to OONI failure strings (ooni/probe-cli netxlite).
var errnoFailures = map[syscall.Errno]string{
	syscall.ECONNREFUSED:  "connection_refused",
	syscall.ECONNRESET:    "connection_reset",
	syscall.EPIPE:         "connection_reset", // writing to a connection the peer reset
	syscall.ECONNABORTED:  "connection_aborted",
	syscall.EHOSTUNREACH:  "host_unreachable",
	syscall.ENETUNREACH:   "network_unreachable",
	syscall.ENETDOWN:      "network_down",
	syscall.ETIMEDOUT:     "generic_timeout_error",
	syscall.EADDRNOTAVAIL: "address_not_available",
	syscall.ENOTCONN:      "not_connected",
	syscall.EINTR:         "interrupted",
	syscall.EACCES:        "permission_denied",
	syscall.EPERM:         "permission_denied",
}

// textFailures classify errors by text when no type survived (errors that crossed a process
// boundary, proxies). Lower-case substrings, first match wins.
var textFailures = []struct{ sub, failure string }{
	{"context deadline exceeded", "generic_timeout_error"},
	{"i/o timeout", "generic_timeout_error"},
	{"tls handshake timeout", "generic_timeout_error"},
	{"timed out", "generic_timeout_error"},
	{"connection refused", "connection_refused"},
	{"connection reset by peer", "connection_reset"},
	{"broken pipe", "connection_reset"},
	{"no route to host", "host_unreachable"},
	{"network is unreachable", "network_unreachable"},
	{"use of closed network connection", "connection_already_closed"},
	{"server closed idle connection", "eof_error"}, // net/http: the peer hung up before answering
	{"no such host", "dns_nxdomain_error"},
	{"server misbehaving", "dns_server_misbehaving"},
	{"certificate signed by unknown authority", "ssl_unknown_authority"},
	{"certificate is valid for", "ssl_invalid_hostname"},
	{"certificate is not valid for any names", "ssl_invalid_hostname"},
	{"x509: ", "ssl_invalid_certificate"},
	{"tls: ", "ssl_failed_handshake"},
}

// Failure maps a Go network error to an OONI-style failure string (anchors.md §4.2), "" for
// nil. Unrecognised errors give "unknown_failure: <text>" with URLs, IP addresses, ports and key
// fragments scrubbed.
func Failure(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, context.Canceled):
		return "interrupted"
	}
	if f := certFailure(err); f != "" {
		return f
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return dnsFailure(dnsErr)
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		if f, ok := errnoFailures[errno]; ok {
			return f
		}
	}
	var netErr net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded),
		errors.As(err, &netErr) && netErr.Timeout():
		return "generic_timeout_error"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "eof_error"
	case errors.Is(err, net.ErrClosed):
		return "connection_already_closed"
	}
	var recErr tls.RecordHeaderError
	var alertErr tls.AlertError
	if errors.As(err, &recErr) || errors.As(err, &alertErr) {
		return "ssl_failed_handshake"
	}
	text := innerText(err)
	lower := strings.ToLower(text)
	for _, t := range textFailures {
		if strings.Contains(lower, t.sub) {
			return t.failure
		}
	}
	if strings.HasSuffix(text, "EOF") {
		return "eof_error"
	}
	return unknownFailure + ": " + scrub(text)
}

// certFailure classifies certificate verification errors (wrapped by tls.CertificateVerificationError).
func certFailure(err error) string {
	var unknownAuth x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	var roots x509.SystemRootsError
	switch {
	case errors.As(err, &unknownAuth), errors.As(err, &roots):
		return "ssl_unknown_authority"
	case errors.As(err, &hostname):
		return "ssl_invalid_hostname"
	case errors.As(err, &invalid):
		return "ssl_invalid_certificate"
	}
	return ""
}

func dnsFailure(e *net.DNSError) string {
	switch {
	case e.IsNotFound || strings.Contains(e.Err, "no such host"):
		return "dns_nxdomain_error"
	case e.IsTimeout:
		return "generic_timeout_error"
	case strings.Contains(e.Err, "server misbehaving"):
		return "dns_server_misbehaving"
	case strings.Contains(e.Err, "no answer") || strings.Contains(e.Err, "no suitable address"):
		return "dns_no_answer"
	case e.IsTemporary:
		return "dns_temporary_failure"
	default:
		return "dns_lookup_error" // OONI's legacy catch-all for resolver failures
	}
}

// innerText is the error's text without the URL a *url.Error adds (it may carry a key= query).
func innerText(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		return ue.Op + ": " + ue.Err.Error()
	}
	return err.Error()
}

// scrub replaces URLs (to the next space), IP addresses, ports and key-like tokens by "[scrubbed]", keeping case,
// and bounds the text.
func scrub(s string) string {
	var b strings.Builder
	for i := 0; i < len(s) && b.Len() <= maxNormalised; {
		n := tokenLen(s[i:])
		if n == 0 {
			b.WriteByte(s[i])
			i++
			continue
		}
		tok := s[i : i+n]
		if strings.Contains(tok, "://") { // a URL, query and all: it may carry a key
			b.WriteString("[scrubbed]")
			i += n + strings.IndexFunc(s[i+n:]+" ", unicode.IsSpace)
			continue
		}
		b.WriteString(scrubToken(tok))
		i += n
	}
	return strings.ToValidUTF8(truncate(b.String(), maxNormalised), "?")
}

func scrubToken(tok string) string {
	const scrubbed = "[scrubbed]"
	core := strings.TrimRight(tok, ".:")
	tail := tok[len(core):]
	lower := strings.ToLower(core)
	if isIP(core) || isKeyLike(lower) || isRequestID(lower) || isUUID(lower) {
		return scrubbed + tail
	}
	if i := strings.LastIndexByte(core, ':'); i >= 0 && allDigits(core[i+1:]) { // host:port, :port
		return core[:i+1] + scrubbed + tail
	}
	return tok
}

// failureClasses maps failure strings to classes; unlisted ones fall to the layer's class.
var failureClasses = map[string]model.Class{
	"connection_refused":        model.ClassConnectionRefused,
	"host_unreachable":          model.ClassConnectionRefused,
	"network_unreachable":       model.ClassConnectionRefused,
	"network_down":              model.ClassConnectionRefused,
	"address_not_available":     model.ClassConnectionRefused,
	"connection_reset":          model.ClassConnectionReset,
	"connection_aborted":        model.ClassConnectionReset,
	"connection_already_closed": model.ClassConnectionReset,
	"not_connected":             model.ClassConnectionReset,
	"eof_error":                 model.ClassConnectionReset,
	"generic_timeout_error":     model.ClassTimeout,
	"interrupted":               model.ClassUnexpectedResponse, // our run was cancelled: we cannot tell
}

// opLayers maps the operation that failed to a layer.
var opLayers = map[string]model.Layer{
	"resolve":         model.LayerDNS,
	"connect":         model.LayerTCP,
	"proxy":           model.LayerTCP,
	"tls_handshake":   model.LayerTLS,
	"http_round_trip": model.LayerHTTP,
	"read":            model.LayerHTTP,
	"write":           model.LayerHTTP,
}

// layerClasses is the class of a failure no entry of failureClasses names.
var layerClasses = map[model.Layer]model.Class{
	model.LayerDNS: model.ClassDNSFailure,
	model.LayerTLS: model.ClassTLSFailure,
}

func classifyNet(o Observation) model.Classification {
	f := Failure(o.Err)
	name, detail, _ := strings.Cut(f, ": ")
	op := o.Op
	if !isLabel(op) {
		op = "unknown"
	}
	layer, ok := opLayers[op]
	switch {
	case strings.HasPrefix(name, "dns_"):
		layer = model.LayerDNS
	case strings.HasPrefix(name, "ssl_"):
		layer = model.LayerTLS
	case !ok:
		layer = model.LayerTCP
	}
	class, ok := failureClasses[name]
	if !ok {
		class, ok = layerClasses[layer]
	}
	if !ok {
		class = model.ClassUnexpectedResponse
	}
	sig := "net:" + op + ":" + name
	if detail != "" {
		sig += ": " + Normalise(detail, o.Model)
	}
	return model.Classification{
		Layer:     layer,
		Class:     class,
		Access:    model.AccessOf(class),
		Signature: truncate(sig, MaxSignature),
		Failure:   f,
		Rule:      "net." + name,
	}
}
