package fluxq

import (
	"fmt"
	"strings"

	"github.com/accesswatch/accesswatch/collector/influx"
)

// build writes the common head (bucket, range, measurement and fields, filter) and then each
// step as a pipe, one a line.
func build(bucket string, r Range, f Filter, fields []string, steps ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "from(bucket: %s)\n", quote(bucket))
	if r.Stop != "" {
		fmt.Fprintf(&b, "  |> range(start: %s, stop: %s)\n", r.Start, r.Stop)
	} else {
		fmt.Fprintf(&b, "  |> range(start: %s)\n", r.Start)
	}
	alts := make([]string, len(fields))
	for i, fd := range fields {
		alts[i] = "r._field == " + quote(fd)
	}
	fieldPred := strings.Join(alts, " or ")
	if len(alts) > 1 {
		fieldPred = "(" + fieldPred + ")"
	}
	fmt.Fprintf(&b, "  |> filter(fn: (r) => r._measurement == %s and %s)\n", quote(influx.Measurement), fieldPred)
	if p := f.predicate(); p != "" {
		fmt.Fprintf(&b, "  |> filter(fn: (r) => %s)\n", p)
	}
	for _, s := range steps {
		fmt.Fprintf(&b, "  |> %s\n", s)
	}
	return b.String()
}

// predicate is the Flux condition of f, or "" when f matches everything.
func (f Filter) predicate() string {
	var conds []string
	for _, c := range []struct{ tag, v string }{
		{influx.TagProvider, f.Provider}, {influx.TagModel, f.Model},
		{influx.TagRegion, f.Region}, {influx.TagVantage, f.Vantage},
	} {
		switch {
		case c.v == "":
		case f.Regex:
			conds = append(conds, fmt.Sprintf("r.%s =~ /^(?:%s)$/", c.tag, regexBody(c.v)))
		default:
			conds = append(conds, fmt.Sprintf("r.%s == %s", c.tag, quote(c.v)))
		}
	}
	return strings.Join(conds, " and ")
}

// quote is a Flux string literal of s. "${" is escaped too: Flux would interpolate it.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' || c == '"':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '$' && i+1 < len(s) && s[i+1] == '{':
			b.WriteString(`\$`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// regexBody makes re safe between the slashes of a Flux regex literal: an unescaped "/" would
// end it (model ids such as "models/gemini-2.0" contain one), and a trailing lone backslash
// would escape the closing slash.
func regexBody(re string) string {
	var b strings.Builder
	for i := 0; i < len(re); i++ {
		switch c := re[i]; {
		case c == '\\' && i+1 < len(re):
			b.WriteByte(c)
			b.WriteByte(re[i+1])
			i++
		case c == '\\':
			b.WriteString(`\\`)
		case c == '/':
			b.WriteString(`\/`)
		case c == '\n':
			b.WriteString(`\n`)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func group(cols ...string) string { return "group(columns: " + list(cols) + ")" }

func keep(cols ...string) string { return "keep(columns: " + list(cols) + ")" }

func list(cols []string) string {
	q := make([]string, len(cols))
	for i, c := range cols {
		q[i] = quote(c)
	}
	return "[" + strings.Join(q, ", ") + "]"
}
