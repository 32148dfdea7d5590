package fluxq

import (
	"fmt"
	"strings"

	"github.com/accesswatch/accesswatch/collector/influx"
)

// TagValues is the distinct values of one tag of the probe measurement since r.Start, for a
// dashboard variable. Only Start is used: schema.tagValues has no stop parameter before Flux
// 0.88 and InfluxDB 1.8 runs an older Flux. The predicate names the tag so that a renamed tag
// fails Check.
func TagValues(bucket, tag string, r Range) string {
	var b strings.Builder
	b.WriteString("import \"influxdata/influxdb/schema\"\n\n")
	fmt.Fprintf(&b, "schema.tagValues(\n  bucket: %s,\n  tag: %s,\n", quote(bucket), quote(tag))
	fmt.Fprintf(&b, "  predicate: (r) => r._measurement == %s and exists r.%s,\n", quote(influx.Measurement), tag)
	fmt.Fprintf(&b, "  start: %s,\n)\n", r.Start)
	return b.String()
}
