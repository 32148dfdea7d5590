// Package geo answers "where is this address?" from MaxMind-format databases: a
// GeoLite2-Country-shaped database for the country and an optional GeoLite2-ASN-shaped
// one for the autonomous system. It also writes such databases (WriteDBs) so tests and
// demos can map loopback ranges to countries without shipping MaxMind's data.
package geo

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"

	geoip2 "github.com/oschwald/geoip2-golang/v2"
)

// Info is what is known about one address. Empty fields mean "not in the database".
type Info struct {
	IP      string `json:"ip"`
	Country string `json:"country"` // ISO 3166-1 alpha-2, upper case
	ASN     uint   `json:"asn,omitempty"`
	ASOrg   string `json:"as_org,omitempty"`
}

// DB looks addresses up in a country database and, optionally, an ASN database.
// It is safe for concurrent lookups; Close it only once lookups have stopped.
type DB struct {
	country *geoip2.Reader
	asn     *geoip2.Reader // nil when no ASN database was given
}

// Open opens the country database at countryPath and, unless asnPath is empty, the ASN
// database at asnPath. It checks each file's database type so that swapped paths fail
// here rather than yielding empty answers later.
func Open(countryPath, asnPath string) (*DB, error) {
	if countryPath == "" {
		return nil, errors.New("geo: country database path is empty")
	}
	country, err := openTyped(countryPath, "country", "Country", "City", "Enterprise")
	if err != nil {
		return nil, err
	}
	d := &DB{country: country}
	if asnPath != "" {
		d.asn, err = openTyped(asnPath, "ASN", "ASN", "ISP")
		if err != nil {
			_ = country.Close()
			return nil, err
		}
	}
	return d, nil
}

// openTyped opens an mmdb file and requires its metadata type to contain one of kinds.
func openTyped(path, what string, kinds ...string) (*geoip2.Reader, error) {
	r, err := geoip2.Open(path)
	if err != nil {
		return nil, fmt.Errorf("geo: open %s database %q: %w", what, path, err)
	}
	typ := r.Metadata().DatabaseType
	for _, k := range kinds {
		if strings.Contains(typ, k) {
			return r, nil
		}
	}
	_ = r.Close()
	return nil, fmt.Errorf("geo: %s database %q has type %q, want one containing %s",
		what, path, typ, strings.Join(kinds, " or "))
}

// Lookup returns what the databases know of ip. An address absent from the databases is
// not an error: its Info has only IP set. IPv4-mapped IPv6 addresses are looked up as IPv4.
func (d *DB) Lookup(ip netip.Addr) (Info, error) {
	if !ip.IsValid() {
		return Info{}, errors.New("geo: lookup of an invalid address")
	}
	ip = ip.Unmap()
	info := Info{IP: ip.String()}
	c, err := d.country.Country(ip)
	if err != nil {
		return info, fmt.Errorf("geo: country lookup of %s: %w", ip, err)
	}
	info.Country = c.Country.ISOCode
	if info.Country == "" {
		// Anycast and some hosting ranges carry only the registered country.
		info.Country = c.RegisteredCountry.ISOCode
	}
	if d.asn != nil {
		a, err := d.asn.ASN(ip)
		if err != nil {
			return info, fmt.Errorf("geo: ASN lookup of %s: %w", ip, err)
		}
		info.ASN = a.AutonomousSystemNumber
		info.ASOrg = a.AutonomousSystemOrganization
	}
	return info, nil
}

// Close releases the databases.
func (d *DB) Close() error {
	var errs []error
	if d.country != nil {
		errs = append(errs, d.country.Close())
	}
	if d.asn != nil {
		errs = append(errs, d.asn.Close())
	}
	return errors.Join(errs...)
}
