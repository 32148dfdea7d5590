package config

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

const day = 24 * time.Hour

// ParseDuration parses a Go duration ("1h30m", "10s") optionally preceded by a whole number
// of days: "90d", "1d12h".
func ParseDuration(s string) (time.Duration, error) {
	rest, neg := strings.CutPrefix(s, "-")
	daysText, after, hasDays := strings.Cut(rest, "d")
	if !hasDays {
		return time.ParseDuration(s)
	}
	bad := errors.New("invalid duration " + strconv.Quote(s))
	days, err := strconv.ParseUint(daysText, 10, 64)
	if err != nil || daysText == "" || daysText[0] == '+' || days > uint64(1<<63-1)/uint64(day) {
		return 0, bad
	}
	total := time.Duration(days) * day
	if after != "" {
		if after[0] == '-' || after[0] == '+' {
			return 0, bad
		}
		d, err := time.ParseDuration(after)
		if err != nil || d > 1<<63-1-total {
			return 0, bad
		}
		total += d
	}
	if neg {
		total = -total
	}
	return total, nil
}

// String formats d so that ParseDuration reads it back: "90d", "1d12h", "5m", "1m30s".
func (d Duration) String() string {
	v := time.Duration(d)
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	if v < 0 { // the most negative value has no positive counterpart
		return time.Duration(d).String()
	}
	days := v / day
	rest := v % day
	out := ""
	if days > 0 {
		out = strconv.FormatInt(int64(days), 10) + "d"
	}
	if rest > 0 || days == 0 {
		r := rest.String()
		if strings.HasSuffix(r, "m0s") {
			r = strings.TrimSuffix(r, "0s")
		}
		if strings.HasSuffix(r, "h0m") {
			r = strings.TrimSuffix(r, "0m")
		}
		out += r
	}
	return sign + out
}

// MarshalText writes the String form (used by JSON and YAML encoders).
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads any form ParseDuration accepts.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// UnmarshalYAML lets code outside Parse decode a Duration with yaml.v3.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return errors.New(`want a duration like "10s", "5m" or "90d"`)
	}
	return d.UnmarshalText([]byte(n.Value))
}
