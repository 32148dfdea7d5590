package config

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
)

// maxTimeout is the longest probe timeout: a probe is a single small request.
const maxTimeout = 5 * time.Minute

// maxListKiB bounds probing.max_list_kib: 64 MiB, far above any vendor's catalogue.
const maxListKiB = 64 << 10

var (
	idRE      = regexp.MustCompile(`^[a-z0-9._-]+$`)
	countryRE = regexp.MustCompile(`^[A-Z]{2}$`)
)

var (
	providerKinds   = []string{"anthropic", "openai", "gemini", "mistral", "openai_compatible"}
	checkKinds      = []string{model.CheckModels, model.CheckModel, model.CheckCountTokens, model.CheckGenerate, model.CheckStatusPage}
	tokenCountKinds = []string{"anthropic", "gemini"} // kinds with a free token-count endpoint
	proxySchemes    = []string{"http", "https", "socks5", "socks5h"}
)

// validator collects every problem of a Config.
type validator struct {
	c     *Config
	name  string
	lines map[string]int // lines recorded in the structs, for paths the file did not name
	errs  []error
}

// Validate reports every problem of c, joined with errors.Join in line order. Each is an
// *Error naming the file, line and key path. Parse calls it after ApplyDefaults.
func (c *Config) Validate() error {
	v := &validator{c: c, name: c.sourceName(), lines: c.structLines()}
	v.server()
	v.serverPage()
	v.store()
	v.geoip()
	v.probing()
	v.vantages()
	v.providers()
	v.detection()
	v.alerting()
	v.influx()
	v.agent()
	v.collector()
	v.grafana()
	if len(v.errs) == 0 {
		return nil
	}
	return joinSorted(v.errs)
}

func (c *Config) sourceName() string {
	switch {
	case c.src != nil:
		return c.src.name
	case c.Path != "":
		return c.Path
	default:
		return "config"
	}
}

func (c *Config) structLines() map[string]int {
	lines := map[string]int{}
	for i, v := range c.Vantages {
		lines[indexPath("vantages", i)] = v.Line
	}
	for i, p := range c.Providers {
		pp := indexPath("providers", i)
		lines[pp] = p.Line
		for j, ck := range p.Checks {
			lines[indexPath(pp+".checks", j)] = ck.Line
		}
	}
	return lines
}

// inherited reports whether the value at path was copied from its parent by ApplyDefaults
// (omitted and equal to it), so its problems were already reported at the parent.
func (v *validator) inherited(path string, sameAsParent bool) bool {
	return sameAsParent && v.c.omitted(path)
}

func (v *validator) add(path, format string, args ...any) {
	v.errs = append(v.errs, &Error{File: v.name, Line: v.line(path), Path: path, Msg: fmt.Sprintf(format, args...)})
}

// line is where path was written, or where its nearest written parent was.
func (v *validator) line(path string) int {
	for p := path; p != ""; p = parentPath(p) {
		if v.c.src != nil {
			if l, ok := v.c.src.lines[p]; ok {
				return l
			}
		}
		if l := v.lines[p]; l > 0 {
			return l
		}
	}
	return 0
}

func parentPath(p string) string {
	if strings.HasSuffix(p, "]") {
		if i := strings.LastIndexByte(p, '['); i >= 0 {
			return p[:i]
		}
	}
	if i := strings.LastIndexByte(p, '.'); i >= 0 {
		return p[:i]
	}
	return ""
}

func (v *validator) server() {
	l := v.c.Server.Listen
	_, port, err := net.SplitHostPort(l)
	if _, perr := strconv.ParseUint(port, 10, 16); err != nil || perr != nil {
		v.add("server.listen", "want host:port like %q, got %q", defaultListen, l)
	}
}

func (v *validator) serverPage() {
	if r := v.c.Server.PageRefresh; r < Duration(time.Second) {
		v.add("server.page_refresh", "must be at least 1s, got %q", r)
	}
	for i, a := range v.c.Server.FrameAncestors {
		if a == "" || strings.ContainsAny(a, " ;,") {
			v.add(indexPath("server.frame_ancestors", i), "want one CSP source like https://news.example.org, 'self' or *, got %q", a)
		}
	}
}

func (v *validator) store() {
	s := v.c.Store
	if s.Path == "" {
		v.add("store.path", "required")
	}
	if s.Retention < 0 {
		v.add("store.retention", "must not be negative, got %q", s.Retention)
	}
	v.atLeastOne("store.batch_size", s.BatchSize)
	v.positive("store.flush_interval", s.FlushInterval)
}

func (v *validator) geoip() {
	for _, f := range []struct{ path, file string }{
		{"geoip.country_db", v.c.GeoIP.CountryDB},
		{"geoip.asn_db", v.c.GeoIP.ASNDB},
	} {
		if f.file == "" {
			continue
		}
		fi, err := os.Stat(f.file)
		var pe *fs.PathError
		switch {
		case errors.Is(err, fs.ErrNotExist):
			v.add(f.path, "file %q does not exist", f.file)
		case errors.As(err, &pe):
			v.add(f.path, "cannot read %q: %v", f.file, pe.Err)
		case err != nil:
			v.add(f.path, "cannot read %q", f.file)
		case fi.IsDir():
			v.add(f.path, "%q is a directory, want a database file", f.file)
		}
	}
}

func (v *validator) probing() {
	p := v.c.Probing
	v.timeout("probing.timeout", p.Timeout)
	if p.Jitter < 0 {
		v.add("probing.jitter", "must not be negative, got %q", p.Jitter)
	}
	v.atLeastOne("probing.concurrency", p.Concurrency)
	v.atLeastOne("probing.max_body_kib", p.MaxBodyKiB)
	switch {
	case p.MaxListKiB < 1:
		v.add("probing.max_list_kib", "must be at least 1, got %d", p.MaxListKiB)
	case p.MaxListKiB > maxListKiB:
		v.add("probing.max_list_kib", "must be at most %d (64 MiB), got %d", maxListKiB, p.MaxListKiB)
	}
	if p.UserAgent == "" {
		v.add("probing.user_agent", "required")
	}
	v.positive("probing.verify_every", p.Verify)
	v.optionalURL("probing.echo_url", p.EchoURL)
	if !v.inherited("probing.control_url", p.ControlURL == p.EchoURL) {
		v.optionalURL("probing.control_url", p.ControlURL)
	}
}

func (v *validator) vantages() {
	if len(v.c.Vantages) == 0 && len(v.c.Collector.Agents) == 0 {
		v.add("vantages", "at least one vantage is required")
	}
	seen := map[string]string{}
	for i, vt := range v.c.Vantages {
		p := indexPath("vantages", i)
		v.id(p, vt.ID, seen)
		if vt.Region == "" {
			v.add(p+".region", "required")
		}
		switch {
		case vt.Country == "":
			v.add(p+".country", "required")
		case !countryRE.MatchString(vt.Country):
			v.add(p+".country", "want two upper-case letters (ISO 3166-1 alpha-2), got %q", vt.Country)
		}
		if _, err := netip.ParseAddr(vt.SourceIP); vt.SourceIP != "" && err != nil {
			v.add(p+".source_ip", "want an IP address, got %q", vt.SourceIP)
		}
		if vt.Proxy != "" {
			u, err := url.Parse(vt.Proxy)
			if err != nil || !slices.Contains(proxySchemes, u.Scheme) || u.Hostname() == "" {
				v.add(p+".proxy", "want a proxy URL with scheme http, https, socks5 or socks5h and a host, got %s", shownURL(vt.Proxy))
			}
		}
		if !v.inherited(p+".concurrency", vt.Concurrency == v.c.Probing.Concurrency) {
			v.atLeastOne(p+".concurrency", vt.Concurrency)
		}
		if !v.inherited(p+".echo_url", vt.EchoURL == v.c.Probing.EchoURL) {
			v.optionalURL(p+".echo_url", vt.EchoURL)
		}
	}
}

// id checks a vantage or provider id at p (the item's path); seen maps ids to their item path.
func (v *validator) id(p, id string, seen map[string]string) {
	switch first, dup := seen[id]; {
	case id == "":
		v.add(p+".id", "required")
	case !idRE.MatchString(id):
		v.add(p+".id", `want only a-z, 0-9, ".", "_" and "-", got %q`, id)
	case dup:
		v.add(p+".id", "duplicate id %q (first at %s)", id, first)
	default:
		seen[id] = p
	}
}

func (v *validator) detection() {
	v.atLeastOne("detection.fail_after", v.c.Detection.FailAfter)
	v.atLeastOne("detection.recover_after", v.c.Detection.RecoverAfter)
}

func (v *validator) atLeastOne(path string, n int) {
	if n < 1 {
		v.add(path, "must be at least 1, got %d", n)
	}
}

func (v *validator) positive(path string, d Duration) {
	if d <= 0 {
		v.add(path, "must be greater than 0, got %q", d)
	}
}

func (v *validator) timeout(path string, d Duration) {
	if d <= 0 || d.D() > maxTimeout {
		v.add(path, "must be greater than 0 and at most 5m, got %q", d)
	}
}

func (v *validator) optionalURL(path, s string) {
	if s != "" && !isHTTPURL(s) {
		v.add(path, "want an absolute http(s) URL, got %s", shownURL(s))
	}
}

func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Hostname() != ""
}

// shownURL quotes a URL for a message with any password replaced by "xxxxx".
func shownURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "a malformed URL"
	}
	return strconv.Quote(u.Redacted())
}
