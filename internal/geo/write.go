package geo

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// Database types written by WriteDBs; Open accepts them.
const (
	CountryDatabaseType = "GeoLite2-Country"
	ASNDatabaseType     = "GeoLite2-ASN"
)

// Mapping says that the addresses in Prefix belong to Country (ISO 3166-1 alpha-2) and
// to autonomous system ASN, operated by ASOrg. Empty Country or zero ASN leave the
// prefix out of the respective database.
type Mapping struct {
	Prefix  netip.Prefix
	Country string
	ASN     uint
	ASOrg   string
}

// LoopbackMappings returns the mappings used by tests and demos: four loopback /24s,
// one per country, each with a documentation ASN (RFC 5398). A client bound to
// 127.0.2.1 thus appears to be in Australia.
func LoopbackMappings() []Mapping {
	return []Mapping{
		{Prefix: netip.MustParsePrefix("127.0.1.0/24"), Country: "IN", ASN: 64500, ASOrg: "Demo Vantage India"},
		{Prefix: netip.MustParsePrefix("127.0.2.0/24"), Country: "AU", ASN: 64501, ASOrg: "Demo Vantage Australia"},
		{Prefix: netip.MustParsePrefix("127.0.3.0/24"), Country: "DE", ASN: 64502, ASOrg: "Demo Vantage Germany"},
		{Prefix: netip.MustParsePrefix("127.0.4.0/24"), Country: "US", ASN: 64503, ASOrg: "Demo Vantage United States"},
	}
}

// WriteDBs writes a GeoLite2-Country-shaped database to countryPath and a
// GeoLite2-ASN-shaped one to asnPath (skipped when asnPath is empty). Reserved ranges
// such as loopback are allowed. Each file is written to a temporary name and renamed,
// so a reader never sees half a database. Where mappings overlap, the later one wins.
func WriteDBs(countryPath, asnPath string, ms []Mapping) error {
	if countryPath == "" {
		return errors.New("geo: country database path is empty")
	}
	country, err := newTree(CountryDatabaseType, "accesswatch test/demo country database")
	if err != nil {
		return err
	}
	asn, err := newTree(ASNDatabaseType, "accesswatch test/demo ASN database")
	if err != nil {
		return err
	}
	for i, m := range ms {
		if err := insert(country, asn, m); err != nil {
			return fmt.Errorf("geo: mapping %d (%s): %w", i, m.Prefix, err)
		}
	}
	if err := writeTree(country, countryPath); err != nil {
		return err
	}
	if asnPath == "" {
		return nil
	}
	return writeTree(asn, asnPath)
}

func newTree(typ, desc string) (*mmdbwriter.Tree, error) {
	t, err := mmdbwriter.New(mmdbwriter.Options{
		DatabaseType:            typ,
		Description:             map[string]string{"en": desc},
		Languages:               []string{"en"},
		IPVersion:               6, // IPv4 networks live in ::/96, aliased from ::ffff:0:0/96
		IncludeReservedNetworks: true,
		RecordSize:              24,
	})
	if err != nil {
		return nil, fmt.Errorf("geo: new %s tree: %w", typ, err)
	}
	return t, nil
}

func insert(country, asn *mmdbwriter.Tree, m Mapping) error {
	if !m.Prefix.IsValid() {
		return errors.New("invalid prefix")
	}
	network := toIPNet(m.Prefix)
	if m.Country != "" {
		cc := strings.ToUpper(m.Country)
		if !isAlpha2(cc) {
			return fmt.Errorf("country %q is not an ISO 3166-1 alpha-2 code", m.Country)
		}
		rec := mmdbtype.Map{"iso_code": mmdbtype.String(cc)}
		if err := country.Insert(network, mmdbtype.Map{
			"country":            rec,
			"registered_country": rec,
		}); err != nil {
			return fmt.Errorf("insert country: %w", err)
		}
	}
	if m.ASN != 0 {
		if m.ASN > math.MaxUint32 {
			return fmt.Errorf("ASN %d does not fit 32 bits", m.ASN)
		}
		rec := mmdbtype.Map{"autonomous_system_number": mmdbtype.Uint32(m.ASN)}
		if m.ASOrg != "" {
			rec["autonomous_system_organization"] = mmdbtype.String(m.ASOrg)
		}
		if err := asn.Insert(network, rec); err != nil {
			return fmt.Errorf("insert ASN: %w", err)
		}
	}
	return nil
}

// toIPNet converts a prefix; IPv4 stays 4 bytes so the writer places it in the IPv4 subtree.
func toIPNet(p netip.Prefix) *net.IPNet {
	p = p.Masked()
	bits := 128
	if p.Addr().Is4() {
		bits = 32
	}
	return &net.IPNet{IP: net.IP(p.Addr().AsSlice()), Mask: net.CIDRMask(p.Bits(), bits)}
}

func isAlpha2(s string) bool {
	return len(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z'
}

func writeTree(t *mmdbwriter.Tree, path string) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("geo: create directory for %q: %w", path, err)
	}
	f, err := os.CreateTemp(dir, filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("geo: write %q: %w", path, err)
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	if _, err = t.WriteTo(f); err != nil {
		return fmt.Errorf("geo: write %q: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("geo: write %q: %w", path, err)
	}
	if err = os.Chmod(f.Name(), 0o644); err != nil {
		return fmt.Errorf("geo: write %q: %w", path, err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("geo: write %q: %w", path, err)
	}
	return nil
}
