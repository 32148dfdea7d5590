import "influxdata/influxdb/schema"

schema.tagValues(
  bucket: "accesswatch/autogen",
  tag: "vantage",
  predicate: (r) => r._measurement == "probe" and exists r.vantage,
  start: v.timeRangeStart,
)
