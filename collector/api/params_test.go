package api

import (
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/accesswatch/accesswatch/collector/store"
)

func TestParseTime(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"", time.Time{}, true},
		{"15m", now.Add(-15 * time.Minute), true},
		{"24h", now.Add(-24 * time.Hour), true},
		{"1h30m", now.Add(-90 * time.Minute), true},
		{"0s", now, true},
		{"7d", now.AddDate(0, 0, -7), true},
		{"2026-02-28T10:00:00Z", time.Date(2026, 2, 28, 10, 0, 0, 0, time.UTC), true},
		{"2026-02-28T10:00:00.25+05:30", time.Date(2026, 2, 28, 4, 30, 0, 25e7, time.UTC), true},
		{"-1h", time.Time{}, false},
		{"-1d", time.Time{}, false},
		{"1.5d", time.Time{}, false},
		{"999999999d", time.Time{}, false},
		{"d", time.Time{}, false},
		{"15", time.Time{}, false},
		{"2026-02-28", time.Time{}, false},
		{"yesterday", time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseTime("since", tt.in, now)
			if (err == nil) != tt.ok {
				t.Fatalf("parseTime(%q) error = %v, want ok=%v", tt.in, err, tt.ok)
			}
			if !got.Equal(tt.want) {
				t.Errorf("parseTime(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseFilterDefaults(t *testing.T) {
	f, err := parseFilter(url.Values{}, now)
	if err != nil {
		t.Fatal(err)
	}
	if want := (store.Filter{Limit: store.DefaultLimit}); f != want {
		t.Errorf("parseFilter(empty) = %+v, want %+v", f, want)
	}
	if _, err := parseFilter(url.Values{"model": {strings.Repeat("m", maxParamLen+1)}}, now); err == nil ||
		!strings.Contains(err.Error(), "model: longer than") {
		t.Errorf("over-long model: error = %v", err)
	}
}

func TestClientAddr(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("127.0.9.0/24")}
	tests := []struct {
		name    string
		remote  string
		xff     []string
		trusted []netip.Prefix
		want    string
		wantErr bool
	}{
		{"ipv4 peer", "127.0.2.1:5555", nil, nil, "127.0.2.1", false},
		{"ipv6 peer", "[::1]:5555", nil, nil, "::1", false},
		{"ipv4-mapped peer", "[::ffff:127.0.1.1]:80", nil, nil, "127.0.1.1", false},
		{"zoned peer", "[fe80::1%lo]:80", nil, nil, "fe80::1", false},
		{"peer without port", "127.0.4.4", nil, nil, "127.0.4.4", false},
		{"xff ignored without trusted proxies", "127.0.9.1:1", []string{"127.0.1.1"}, nil, "127.0.9.1", false},
		{"xff ignored from an untrusted peer", "127.0.2.1:1", []string{"127.0.1.1"}, proxies, "127.0.2.1", false},
		{"trusted peer, one hop", "127.0.9.1:1", []string{"127.0.1.1"}, proxies, "127.0.1.1", false},
		{"rightmost untrusted hop wins", "127.0.9.1:1", []string{"127.0.3.3, 127.0.1.1, 127.0.9.2"}, proxies, "127.0.1.1", false},
		{"hops over several header lines", "127.0.9.1:1", []string{"127.0.3.3", "127.0.4.4"}, proxies, "127.0.4.4", false},
		{"all hops trusted", "127.0.9.1:1", []string{"127.0.9.5"}, proxies, "127.0.9.5", false},
		{"trusted peer, no header", "127.0.9.1:1", nil, proxies, "127.0.9.1", false},
		{"spoofed garbage left of the real hop", "127.0.9.1:1", []string{"evil, 127.0.1.1"}, proxies, "127.0.1.1", false},
		{"garbage in the trusted hop", "127.0.9.1:1", []string{"127.0.1.1, not-an-ip"}, proxies, "", true},
		{"unparseable peer", "somewhere", nil, nil, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := clientAddr(tt.remote, tt.xff, tt.trusted)
			if (err != nil) != tt.wantErr {
				t.Fatalf("clientAddr error = %v, wantErr %v", err, tt.wantErr)
			}
			if err == nil && got.String() != tt.want {
				t.Errorf("clientAddr = %s, want %s", got, tt.want)
			}
		})
	}
}

// FuzzParseFilter: any query string either fails cleanly or yields a filter within bounds.
func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{"", "since=15m&until=1m", "limit=5&before=x", "class=ok", "since=7d",
		"since=2026-03-01T00:00:00Z", "provider=a&provider=b", "limit=-1", "%zz", "since=9223372036s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		flt, err := parseFilter(q, now)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		if flt.Limit < 1 || flt.Limit > store.MaxLimit {
			t.Fatalf("limit %d out of range for %q", flt.Limit, raw)
		}
		if !flt.Since.IsZero() && !flt.Until.IsZero() && !flt.Since.Before(flt.Until) {
			t.Fatalf("since %v not before until %v for %q", flt.Since, flt.Until, raw)
		}
	})
}

// FuzzClientAddr: never panics, and an address is returned exactly when there is no error.
func FuzzClientAddr(f *testing.F) {
	f.Add("127.0.9.1:80", "127.0.1.1, 127.0.9.2")
	f.Add("[::1]:80", "")
	f.Add("garbage", ",,,")
	proxies := []netip.Prefix{netip.MustParsePrefix("127.0.9.0/24")}
	f.Fuzz(func(t *testing.T, remote, xff string) {
		ip, err := clientAddr(remote, []string{xff}, proxies)
		if (err == nil) != ip.IsValid() {
			t.Fatalf("clientAddr(%q, %q) = %v, %v", remote, xff, ip, err)
		}
	})
}
