package verify

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"
)

type fakeGeo map[string]string

func (g fakeGeo) Country(ip netip.Addr) (string, uint, error) {
	c, ok := g[ip.String()]
	if !ok {
		return "", 0, errors.New("not found")
	}
	return c, 64500, nil
}

func TestCheck(t *testing.T) {
	now := func() time.Time { return time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC) }
	tests := []struct {
		name    string
		answer  string
		status  int
		want    string
		geo     Geo
		match   bool
		errPart string
		country string
	}{
		{name: "whoami json match", answer: `{"ip":"127.0.1.1","country":"IN","asn":64501}`, status: 200, want: "IN", match: true, country: "IN"},
		{name: "whoami json mismatch", answer: `{"ip":"127.0.4.1","country":"US"}`, status: 200, want: "IN", country: "US"},
		{name: "plain text echo with local geo", answer: "127.0.2.1\n", status: 200, want: "AU", geo: fakeGeo{"127.0.2.1": "AU"}, match: true, country: "AU"},
		{name: "local geo overrides echo country", answer: `{"ip":"127.0.3.1","country":"US"}`, status: 200, want: "DE", geo: fakeGeo{"127.0.3.1": "DE"}, match: true, country: "DE"},
		{name: "no country", answer: `{"ip":"127.0.9.9"}`, status: 200, want: "IN", errPart: "no country known for egress 127.0.9.9"},
		{name: "echo error status", answer: `oops`, status: 502, want: "IN", errPart: "answered 502"},
		{name: "garbage", answer: `<html>`, status: 200, want: "IN", errPart: "answer has no IP address"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tc.status)
				fmt.Fprint(w, tc.answer)
			}))
			defer srv.Close()
			v := Check(context.Background(), http.DefaultTransport, "v1", srv.URL+"/api/v1/whoami", tc.want, tc.geo, now)
			if tc.errPart != "" {
				if v.Err == "" || !contains(v.Err, tc.errPart) || v.Mismatch() {
					t.Fatalf("verdict %+v, want error containing %q and no mismatch", v, tc.errPart)
				}
				return
			}
			if v.Err != "" || v.Match != tc.match || v.Country != tc.country || v.Mismatch() == tc.match {
				t.Fatalf("verdict %+v, want match=%v country=%s", v, tc.match, tc.country)
			}
		})
	}
}

func TestCheckUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	v := Check(context.Background(), http.DefaultTransport, "v1", url, "IN", nil, time.Now)
	if v.Err == "" || v.Mismatch() {
		t.Fatalf("verdict %+v, want an error and no mismatch", v)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
