import "influxdata/influxdb/schema"

schema.tagValues(
  bucket: "accesswatch/autogen",
  tag: "provider",
  predicate: (r) => r._measurement == "probe" and exists r.provider,
  start: v.timeRangeStart,
)
