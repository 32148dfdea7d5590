import "influxdata/influxdb/schema"

schema.tagValues(
  bucket: "accesswatch/autogen",
  tag: "region",
  predicate: (r) => r._measurement == "probe" and exists r.region,
  start: v.timeRangeStart,
)
