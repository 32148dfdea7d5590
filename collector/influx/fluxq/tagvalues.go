package fluxq

import (
	"fmt"
	"strings"

	"github.com/accesswatch/accesswatch/collector/influx"
)

// TagValues is the distinct values of one tag of the probe measurement since r.Start, for a
// dashboard variable; only Start is used. The filter names the tag so that a renamed tag fails
// Check.
func TagValues(bucket, tag string, r Range) string {
	// Plain from |> distinct rather than schema.tagValues: InfluxDB 1.8's Flux (0.65) has no
	// influxdata/influxdb/schema package, and this runs on 1.8 and 2.x alike.
	var b strings.Builder
	fmt.Fprintf(&b, "from(bucket: %s)\n", quote(bucket))
	fmt.Fprintf(&b, "  |> range(start: %s)\n", r.Start)
	fmt.Fprintf(&b, "  |> filter(fn: (r) => r._measurement == %s and exists r.%s)\n", quote(influx.Measurement), tag)
	fmt.Fprintf(&b, "  |> keep(columns: [%s])\n", quote(tag))
	b.WriteString("  |> group()\n")
	fmt.Fprintf(&b, "  |> distinct(column: %s)\n", quote(tag))
	return b.String()
}
