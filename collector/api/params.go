package api

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/accesswatch/accesswatch/collector/store"
	"github.com/accesswatch/accesswatch/internal/model"
)

// maxParamLen bounds every string parameter.
const maxParamLen = 256

// maxDays keeps a "d" duration within time.Duration.
const maxDays = 106751

// parseFilter reads the results route's query parameters:
//
//	provider, model, region, vantage   exact match
//	class                              one of model.Classes()
//	since, until                       RFC 3339 time, or a duration back from now ("15m", "24h", "7d");
//	                                   since is inclusive, until exclusive
//	limit                              1 to store.MaxLimit; default store.DefaultLimit
//	before                             the "next" cursor of the previous page
//
// Unknown or repeated parameters are errors, so a misspelt filter is not silently ignored.
// The returned Filter always has Limit set.
func parseFilter(q url.Values, now time.Time) (store.Filter, error) {
	f := store.Filter{Limit: store.DefaultLimit}
	strs := map[string]*string{
		"provider": &f.Provider, "model": &f.Model, "region": &f.Region,
		"vantage": &f.Vantage, "class": &f.Class, "before": &f.Before,
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	slices.Sort(keys) // the same bad request always gets the same message
	for _, k := range keys {
		vs := q[k]
		if len(vs) > 1 {
			return f, fmt.Errorf("%s: given more than once", k)
		}
		v := vs[0]
		if len(v) > maxParamLen {
			return f, fmt.Errorf("%s: longer than %d bytes", k, maxParamLen)
		}
		var err error
		switch k {
		case "since":
			f.Since, err = parseTime(k, v, now)
		case "until":
			f.Until, err = parseTime(k, v, now)
		case "limit":
			f.Limit, err = parseLimit(v)
		default:
			p, ok := strs[k]
			if !ok {
				return f, fmt.Errorf("unknown parameter %q", k)
			}
			*p = v
		}
		if err != nil {
			return f, err
		}
	}
	if f.Class != "" && !slices.Contains(model.Classes(), model.Class(f.Class)) {
		return f, fmt.Errorf("class: unknown class %q", f.Class)
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		return f, errors.New("since: must be before until")
	}
	return f, nil
}

// parseTime accepts an RFC 3339 time or a non-negative duration back from now; empty
// means no bound.
func parseTime(name, v string, now time.Time) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	if d, ok := parseAgo(v); ok {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("%s: want RFC 3339 time or a duration like 15m, got %q", name, v)
}

// parseAgo parses a non-negative Go duration, or a whole number of days ("7d").
func parseAgo(v string) (time.Duration, bool) {
	if days, ok := strings.CutSuffix(v, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 || n > maxDays {
			return 0, false
		}
		return time.Duration(n) * 24 * time.Hour, true
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, false
	}
	return d, true
}

func parseLimit(v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > store.MaxLimit {
		return 0, fmt.Errorf("limit: want an integer from 1 to %d, got %q", store.MaxLimit, v)
	}
	return n, nil
}

// parseHost parses "ip", "ip:port" or "[ipv6]:port", dropping any zone and unmapping
// IPv4-mapped IPv6.
func parseHost(s string) (netip.Addr, error) {
	s = strings.TrimSpace(s)
	if host, _, err := net.SplitHostPort(s); err == nil {
		s = host
	}
	ip, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, err
	}
	return ip.WithZone("").Unmap(), nil
}

// splitHops flattens X-Forwarded-For header lines into hops, leftmost (client) first.
func splitHops(lines []string) []string {
	var hops []string
	for _, l := range lines {
		for h := range strings.SplitSeq(l, ",") {
			hops = append(hops, strings.TrimSpace(h))
		}
	}
	return hops
}

func inAny(ip netip.Addr, ps []netip.Prefix) bool {
	for _, p := range ps {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}
