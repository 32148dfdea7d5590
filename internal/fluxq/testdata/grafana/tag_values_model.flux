import "influxdata/influxdb/schema"

schema.tagValues(
  bucket: "accesswatch/autogen",
  tag: "model",
  predicate: (r) => r._measurement == "probe" and exists r.model,
  start: v.timeRangeStart,
)
