// Package verify checks that a vantage point really leaves the Internet from the country it is
// configured for: it asks an echo endpoint for its egress address and looks the address up.
// A vantage whose egress is in the wrong country must never count for the configured region.
package verify

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"strings"
	"time"
)

// Geo looks an address up; internal/geo.DB satisfies it through a small adapter.
type Geo interface {
	Country(ip netip.Addr) (country string, asn uint, err error)
}

// Verdict is the outcome of one verification.
type Verdict struct {
	Vantage  string    `json:"vantage"`
	Want     string    `json:"want_country"`
	EgressIP string    `json:"egress_ip,omitempty"`
	Country  string    `json:"country,omitempty"`
	ASN      uint      `json:"asn,omitempty"`
	Checked  time.Time `json:"checked"`
	// Match is true when the egress country equals Want. False with Err set means we could not tell.
	Match bool   `json:"match"`
	Err   string `json:"error,omitempty"`
}

// Mismatch reports a verified wrong country (not a failure to verify).
func (v Verdict) Mismatch() bool { return v.Err == "" && !v.Match }

// echo is the answer of /api/v1/whoami; plain-text echo services answer just the address.
type echo struct {
	IP      string `json:"ip"`
	Country string `json:"country"`
	ASN     uint   `json:"asn"`
}

// Check asks echoURL, through rt, for the egress address and compares its country with want.
// With geo set, the address is looked up locally; otherwise the echo's own country is used.
func Check(ctx context.Context, rt http.RoundTripper, vantage, echoURL, want string, geo Geo, now func() time.Time) Verdict {
	v := Verdict{Vantage: vantage, Want: want, Checked: now()}
	fail := func(format string, a ...any) Verdict {
		v.Err = fmt.Sprintf(format, a...)
		return v
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, echoURL, nil)
	if err != nil {
		return fail("echo url %q: %v", echoURL, err)
	}
	req.Header.Set("Accept", "application/json, text/plain")
	resp, err := rt.RoundTrip(req)
	if err != nil {
		return fail("echo %s: %v", req.URL.Redacted(), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if err != nil {
		return fail("echo %s: reading answer: %v", req.URL.Redacted(), err)
	}
	if resp.StatusCode != http.StatusOK {
		return fail("echo %s answered %d", req.URL.Redacted(), resp.StatusCode)
	}
	var e echo
	if json.Unmarshal(body, &e) != nil {
		e = echo{IP: strings.TrimSpace(string(body))}
	}
	ip, err := netip.ParseAddr(e.IP)
	if err != nil {
		return fail("echo %s: answer has no IP address", req.URL.Redacted())
	}
	v.EgressIP = ip.String()
	v.Country, v.ASN = e.Country, e.ASN
	if geo != nil {
		c, asn, err := geo.Country(ip.Unmap())
		if err != nil {
			return fail("geoip lookup of %s: %v", ip, err)
		}
		v.Country, v.ASN = c, asn
	}
	if v.Country == "" {
		return fail("no country known for egress %s", ip)
	}
	v.Match = strings.EqualFold(v.Country, want)
	return v
}
