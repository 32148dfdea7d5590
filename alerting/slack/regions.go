package slack

import "strings"

// regionCountry (read-only) maps region names used in configs to the ISO 3166 code (or EU) whose flag
// stands for them. Regions not here (and not a known code) are shown without a flag.
var regionCountry = map[string]string{
	"argentina": "AR", "australia": "AU", "austria": "AT", "belgium": "BE", "brazil": "BR",
	"canada": "CA", "chile": "CL", "china": "CN", "colombia": "CO", "egypt": "EG",
	"europe": "EU", "eu": "EU", "finland": "FI", "france": "FR", "germany": "DE", "greece": "GR",
	"hong kong": "HK", "hongkong": "HK", "india": "IN", "indonesia": "ID", "iran": "IR",
	"ireland": "IE", "israel": "IL", "italy": "IT", "japan": "JP", "kenya": "KE",
	"korea": "KR", "south korea": "KR", "malaysia": "MY", "mexico": "MX", "netherlands": "NL",
	"new zealand": "NZ", "nigeria": "NG", "norway": "NO", "pakistan": "PK", "philippines": "PH",
	"poland": "PL", "portugal": "PT", "russia": "RU", "saudi arabia": "SA", "singapore": "SG",
	"south africa": "ZA", "spain": "ES", "sweden": "SE", "switzerland": "CH", "taiwan": "TW",
	"thailand": "TH", "turkey": "TR", "turkiye": "TR", "uae": "AE", "ukraine": "UA",
	"uk": "GB", "united kingdom": "GB", "us": "US", "usa": "US", "united states": "US",
	"vietnam": "VN",
}

// flagOf returns the flag emoji of a region ("" when unknown): by name, or by an ISO code that the
// name map knows ("in", "DE").
func flagOf(region string) string {
	r := strings.ToLower(strings.TrimSpace(region))
	code, ok := regionCountry[r]
	if !ok && len(r) == 2 {
		up := strings.ToUpper(r)
		for _, c := range regionCountry {
			if c == up {
				code, ok = up, true
				break
			}
		}
	}
	if !ok {
		return ""
	}
	// A flag is the code's two letters as regional indicator symbols.
	return string([]rune{0x1F1E6 + rune(code[0]-'A'), 0x1F1E6 + rune(code[1]-'A')})
}

// regionLabel is "🇮🇳 india", or the bare name when it has no flag.
func regionLabel(region string) string {
	if f := flagOf(region); f != "" {
		return f + " " + region
	}
	return region
}
