package fluxq

import (
	"fmt"
	"regexp"
	"slices"

	"github.com/accesswatch/accesswatch/collector/influx"
)

// Refs are the schema names a query refers to.
type Refs struct {
	Measurements []string // compared with r._measurement
	Fields       []string // compared with r._field
	// Columns are read (r.x), grouped on, kept, pivoted or created: tags, fields that a pivot or
	// duplicate turned into columns, and Flux's own (_time, _value, …).
	Columns []string
}

var (
	reMeasurement = regexp.MustCompile(`r\._measurement == "([^"]*)"`)
	reField       = regexp.MustCompile(`r\._field == "([^"]*)"`)
	reRecord      = regexp.MustCompile(`\br\.([A-Za-z_][A-Za-z0-9_]*)`)
	reColumnList  = regexp.MustCompile(`\b(?:columns|columnKey|rowKey): \[([^\]]*)\]`)
	reColumnArg   = regexp.MustCompile(`\b(?:column|as|valueColumn): "([^"]*)"`)
	reQuoted      = regexp.MustCompile(`"([^"]*)"`)
)

// References lists the names q refers to, each sorted and without repeats. It reads the
// queries of this package (one known shape), not arbitrary Flux.
func References(q string) Refs {
	var r Refs
	for _, m := range reMeasurement.FindAllStringSubmatch(q, -1) {
		r.Measurements = append(r.Measurements, m[1])
	}
	for _, m := range reField.FindAllStringSubmatch(q, -1) {
		r.Fields = append(r.Fields, m[1])
	}
	for _, m := range reRecord.FindAllStringSubmatch(q, -1) {
		r.Columns = append(r.Columns, m[1])
	}
	for _, m := range reColumnList.FindAllStringSubmatch(q, -1) {
		for _, c := range reQuoted.FindAllStringSubmatch(m[1], -1) {
			r.Columns = append(r.Columns, c[1])
		}
	}
	for _, m := range reColumnArg.FindAllStringSubmatch(q, -1) {
		r.Columns = append(r.Columns, m[1])
	}
	for _, s := range []*[]string{&r.Measurements, &r.Fields, &r.Columns} {
		slices.Sort(*s)
		*s = slices.Compact(*s)
	}
	return r
}

// builtinColumns are the columns Flux itself gives every row read from InfluxDB.
func builtinColumns() []string {
	return []string{"_field", "_measurement", "_start", "_stop", "_time", "_value"}
}

// Check reports the first name q refers to that the schema of collector/influx does not have.
func Check(q string) error {
	r := References(q)
	if len(r.Measurements) == 0 {
		return fmt.Errorf("query reads no measurement")
	}
	for _, m := range r.Measurements {
		if m != influx.Measurement {
			return fmt.Errorf("unknown measurement %q", m)
		}
	}
	fields := influx.Fields()
	for _, f := range r.Fields {
		if _, ok := fields[f]; !ok {
			return fmt.Errorf("unknown field %q", f)
		}
	}
	for _, c := range r.Columns {
		_, isField := fields[c]
		if !isField && !slices.Contains(influx.Tags(), c) && !slices.Contains(builtinColumns(), c) {
			return fmt.Errorf("unknown column %q", c)
		}
	}
	return nil
}
