package geo

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func writeTestDBs(t *testing.T, ms []Mapping) (countryPath, asnPath string) {
	t.Helper()
	dir := t.TempDir()
	countryPath = filepath.Join(dir, "GeoLite2-Country.mmdb")
	asnPath = filepath.Join(dir, "GeoLite2-ASN.mmdb")
	if err := WriteDBs(countryPath, asnPath, ms); err != nil {
		t.Fatalf("WriteDBs: %v", err)
	}
	return countryPath, asnPath
}

func openTest(t *testing.T, countryPath, asnPath string) *DB {
	t.Helper()
	db, err := Open(countryPath, asnPath)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db
}

// openMapped writes databases for ms and opens both.
func openMapped(t *testing.T, ms []Mapping) *DB {
	t.Helper()
	countryPath, asnPath := writeTestDBs(t, ms)
	return openTest(t, countryPath, asnPath)
}

func TestLookup(t *testing.T) {
	db := openMapped(t, LoopbackMappings())
	tests := []struct {
		name string
		ip   string
		want Info
	}{
		{"india", "127.0.1.1", Info{IP: "127.0.1.1", Country: "IN", ASN: 64500, ASOrg: "Demo Vantage India"}},
		{"australia", "127.0.2.1", Info{IP: "127.0.2.1", Country: "AU", ASN: 64501, ASOrg: "Demo Vantage Australia"}},
		{"germany last address", "127.0.3.255", Info{IP: "127.0.3.255", Country: "DE", ASN: 64502, ASOrg: "Demo Vantage Germany"}},
		{"united states", "127.0.4.7", Info{IP: "127.0.4.7", Country: "US", ASN: 64503, ASOrg: "Demo Vantage United States"}},
		{"ipv4-mapped ipv6", "::ffff:127.0.2.9", Info{IP: "127.0.2.9", Country: "AU", ASN: 64501, ASOrg: "Demo Vantage Australia"}},
		{"unknown loopback", "127.0.0.1", Info{IP: "127.0.0.1"}},
		{"next to a mapped range", "127.0.5.0", Info{IP: "127.0.5.0"}},
		{"unknown ipv6", "::1", Info{IP: "::1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := db.Lookup(netip.MustParseAddr(tt.ip))
			if err != nil {
				t.Fatalf("Lookup(%s): %v", tt.ip, err)
			}
			if got != tt.want {
				t.Errorf("Lookup(%s) = %+v, want %+v", tt.ip, got, tt.want)
			}
		})
	}
}

func TestLookupWithoutASNDatabase(t *testing.T) {
	countryPath, _ := writeTestDBs(t, LoopbackMappings())
	db := openTest(t, countryPath, "")
	got, err := db.Lookup(netip.MustParseAddr("127.0.3.1"))
	if err != nil {
		t.Fatal(err)
	}
	if want := (Info{IP: "127.0.3.1", Country: "DE"}); got != want {
		t.Errorf("Lookup = %+v, want %+v", got, want)
	}
}

func TestLookupInvalidAddress(t *testing.T) {
	db := openMapped(t, LoopbackMappings())
	if _, err := db.Lookup(netip.Addr{}); err == nil {
		t.Fatal("Lookup(zero Addr) succeeded, want error")
	}
}

func TestLookupConcurrent(t *testing.T) {
	db := openMapped(t, LoopbackMappings())
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for range 200 {
				got, err := db.Lookup(netip.MustParseAddr("127.0.1.3"))
				if err != nil || got.Country != "IN" {
					t.Errorf("goroutine %d: Lookup = %+v, %v", g, got, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestWriteDBsIPv6AndOverlap(t *testing.T) {
	ms := []Mapping{
		{Prefix: netip.MustParsePrefix("127.0.0.0/16"), Country: "fr"}, // lower case is accepted
		{Prefix: netip.MustParsePrefix("127.0.9.0/24"), Country: "JP", ASN: 64510},
		{Prefix: netip.MustParsePrefix("::1/128"), Country: "NZ", ASN: 64511, ASOrg: "v6"},
	}
	db := openMapped(t, ms)
	tests := []struct {
		ip   string
		want Info
	}{
		{"127.0.8.1", Info{IP: "127.0.8.1", Country: "FR"}},
		{"127.0.9.1", Info{IP: "127.0.9.1", Country: "JP", ASN: 64510}},
		{"::1", Info{IP: "::1", Country: "NZ", ASN: 64511, ASOrg: "v6"}},
	}
	for _, tt := range tests {
		t.Run(tt.ip, func(t *testing.T) {
			got, err := db.Lookup(netip.MustParseAddr(tt.ip))
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Lookup(%s) = %+v, want %+v", tt.ip, got, tt.want)
			}
		})
	}
}

func TestWriteDBsRejectsBadMappings(t *testing.T) {
	tests := []struct {
		name    string
		m       Mapping
		wantErr string
	}{
		{"invalid prefix", Mapping{Country: "IN"}, "invalid prefix"},
		{"three-letter country", Mapping{Prefix: netip.MustParsePrefix("127.0.1.0/24"), Country: "IND"}, `country "IND"`},
		{"digits", Mapping{Prefix: netip.MustParsePrefix("127.0.1.0/24"), Country: "1N"}, `country "1N"`},
		{"ASN too large", Mapping{Prefix: netip.MustParsePrefix("127.0.1.0/24"), ASN: 1 << 33}, "does not fit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			err := WriteDBs(filepath.Join(dir, "c.mmdb"), filepath.Join(dir, "a.mmdb"), []Mapping{tt.m})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("WriteDBs error = %v, want one containing %q", err, tt.wantErr)
			}
			if _, statErr := os.Stat(filepath.Join(dir, "c.mmdb")); !os.IsNotExist(statErr) {
				t.Errorf("a database was written despite the error (stat: %v)", statErr)
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	countryPath, asnPath := writeTestDBs(t, LoopbackMappings())
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.mmdb")
	if err := os.WriteFile(garbage, []byte("not a maxmind database"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.mmdb")
	tests := []struct {
		name         string
		country, asn string
		wantErr      []string
	}{
		{"empty country path", "", asnPath, []string{"country database path is empty"}},
		{"missing country file", missing, "", []string{"open country database", "missing.mmdb"}},
		{"garbage country file", garbage, "", []string{"open country database", "garbage.mmdb"}},
		{"missing ASN file", countryPath, missing, []string{"open ASN database", "missing.mmdb"}},
		{"swapped paths", asnPath, countryPath, []string{`country database`, `type "GeoLite2-ASN"`}},
		{"country file as ASN", countryPath, countryPath, []string{`ASN database`, `type "GeoLite2-Country"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, err := Open(tt.country, tt.asn)
			if err == nil {
				_ = db.Close()
				t.Fatal("Open succeeded, want error")
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Open error = %q, want it to contain %q", err, w)
				}
			}
		})
	}
}
