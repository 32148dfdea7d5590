package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// IngestStats is the collector's ingest counters, per agent id. Agent ids must come from the
// configuration (the authenticated agent), never from an unauthenticated request.
type IngestStats struct {
	Agents map[string]AgentIngest
}

// AgentIngest is one agent's ingest counters since the collector started.
type AgentIngest struct {
	Batches   uint64 // batches received
	Accepted  uint64 // results stored
	Duplicate uint64 // results already stored (a replayed batch)
	Rejected  uint64 // results refused (invalid)
	// Refused counts results of accepted batches that were dropped, by a closed set of reasons
	// (unknown_provider, unknown_model, unknown_check, too_old, future).
	Refused map[string]uint64
	// ClockOffset is the agent's clock minus the collector's, from its latest push.
	ClockOffset time.Duration
	// LastPush is when its latest batch arrived; zero when it has not pushed (then neither
	// the offset nor the last push is exported).
	LastPush time.Time
}

// SpoolStats is an agent's store-and-forward spool.
type SpoolStats struct {
	Results      uint64 // results waiting in the spool
	Bytes        uint64 // spool size on disk
	Dropped      uint64 // results dropped because the spool hit its bound
	PushFailures uint64 // push attempts that failed (unreachable, 5xx)
	PushSent     uint64 // results the collector acknowledged
	Expired      uint64 // results dropped unsent because they were older than agent.spool_max_age
	PushRefused  uint64 // results the collector acknowledged as refused (not in its configuration or window)
}

// InfluxStats is the InfluxDB writer's counters.
type InfluxStats struct {
	PointsWritten  uint64
	WriteErrors    uint64 // failed write requests (each retry counts)
	BufferPoints   uint64 // points waiting in the buffer
	BufferCapacity uint64 // the buffer's bound; 0 when unknown (then not exported)
	Dropped        uint64 // points dropped because the buffer was full
}

// NotifierStats is one receiver's delivery counters.
type NotifierStats struct {
	Sent         uint64 // notifications delivered
	Failed       uint64 // notifications given up after retries
	Suppressed   uint64 // not sent by policy (silenced, below severity, outside the filter)
	Deduplicated uint64 // not sent because the notification log shows it was sent
	Retries      uint64 // extra attempts
}

// StoreStats is the embedded store's counters.
type StoreStats struct {
	Results int64  // results held; negative when unknown (then not exported)
	Dropped uint64 // results the store failed to write
}

// funcCollector reads its values at scrape time through collect.
type funcCollector struct {
	descs   []*prometheus.Desc
	collect func(ch chan<- prometheus.Metric)
}

func (c *funcCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

func (c *funcCollector) Collect(ch chan<- prometheus.Metric) { c.collect(ch) }

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(Namespace+"_"+name, help, labels, nil)
}

func counter(d *prometheus.Desc, v uint64, labels ...string) prometheus.Metric {
	return prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
}

func gauge(d *prometheus.Desc, v float64, labels ...string) prometheus.Metric {
	return prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
}

// RegisterIngest exports the collector's ingest counters, read from f at each scrape. Agents
// listed in Options.Agents are exported at zero until they push. Call it at most once.
func (m *Metrics) RegisterIngest(f func() IngestStats) {
	batches := desc("ingest_batches_total", "Result batches received from an agent.", "agent")
	results := desc("ingest_results_total", "Results received from an agent, by outcome (accepted, duplicate, rejected).", "agent", "outcome")
	offset := desc("agent_clock_offset_seconds", "An agent's clock minus the collector's, at its latest push.", "agent")
	last := desc("agent_last_push_timestamp_seconds", "Unix time of an agent's latest push.", "agent")
	refused := desc("ingest_refused_results_total", "Results of an agent's accepted batches that were refused: a provider, model or check the collector does not watch, or a time outside its window.", "agent", "reason")
	m.register(&funcCollector{
		descs: []*prometheus.Desc{batches, results, offset, last, refused},
		collect: func(ch chan<- prometheus.Metric) {
			agents := make(map[string]AgentIngest)
			for _, a := range m.opts.Agents {
				agents[a] = AgentIngest{}
			}
			for a, s := range f().Agents {
				agents[a] = s
			}
			for a, s := range agents {
				ch <- counter(batches, s.Batches, a)
				ch <- counter(results, s.Accepted, a, "accepted")
				ch <- counter(results, s.Duplicate, a, "duplicate")
				ch <- counter(results, s.Rejected, a, "rejected")
				for reason, n := range s.Refused {
					ch <- counter(refused, n, a, reason)
				}
				if !s.LastPush.IsZero() {
					ch <- gauge(offset, s.ClockOffset.Seconds(), a)
					ch <- gauge(last, unixSeconds(s.LastPush), a)
				}
			}
		},
	})
}

// RegisterSpool exports an agent's spool and push counters, read from f at each scrape. Call
// it at most once.
func (m *Metrics) RegisterSpool(f func() SpoolStats) {
	results := desc("spool_results", "Results waiting in the agent's spool.")
	bytes := desc("spool_bytes", "Size of the agent's spool on disk.")
	dropped := desc("spool_dropped_total", "Results dropped because the spool hit its bound.")
	failures := desc("push_failures_total", "Pushes to the collector that failed.")
	sent := desc("push_sent_total", "Results the collector acknowledged.")
	expired := desc("spool_expired_total", "Results dropped unsent because they were older than agent.spool_max_age.")
	refused := desc("push_refused_total", "Results the collector took delivery of but refused (not in its configuration, or outside its time window).")
	m.register(&funcCollector{
		descs: []*prometheus.Desc{results, bytes, dropped, failures, sent, expired, refused},
		collect: func(ch chan<- prometheus.Metric) {
			s := f()
			ch <- gauge(results, float64(s.Results))
			ch <- gauge(bytes, float64(s.Bytes))
			ch <- counter(dropped, s.Dropped)
			ch <- counter(failures, s.PushFailures)
			ch <- counter(sent, s.PushSent)
			ch <- counter(expired, s.Expired)
			ch <- counter(refused, s.PushRefused)
		},
	})
}

// RegisterInflux exports the InfluxDB writer's counters, read from f at each scrape. Call it
// at most once.
func (m *Metrics) RegisterInflux(f func() InfluxStats) {
	written := desc("influx_points_written_total", "Points written to InfluxDB.")
	errs := desc("influx_write_errors_total", "Failed InfluxDB write requests.")
	buffer := desc("influx_buffer_points", "Points waiting in the InfluxDB write buffer.")
	capacity := desc("influx_buffer_capacity_points", "Bound of the InfluxDB write buffer.")
	dropped := desc("influx_dropped_total", "Points dropped because the InfluxDB write buffer was full.")
	m.register(&funcCollector{
		descs: []*prometheus.Desc{written, errs, buffer, capacity, dropped},
		collect: func(ch chan<- prometheus.Metric) {
			s := f()
			ch <- counter(written, s.PointsWritten)
			ch <- counter(errs, s.WriteErrors)
			ch <- gauge(buffer, float64(s.BufferPoints))
			if s.BufferCapacity > 0 {
				ch <- gauge(capacity, float64(s.BufferCapacity))
			}
			ch <- counter(dropped, s.Dropped)
		},
	})
}

// RegisterNotifier exports delivery counters per receiver name, read from f at each scrape.
// Receivers listed in Options.Receivers are exported at zero until they send. Call it at most
// once.
func (m *Metrics) RegisterNotifier(f func() map[string]NotifierStats) {
	total := desc("notifications_total", "Notifications by receiver and outcome (sent, failed, suppressed, deduplicated).", "receiver", "outcome")
	retries := desc("notification_retries_total", "Extra notification attempts by receiver.", "receiver")
	m.register(&funcCollector{
		descs: []*prometheus.Desc{total, retries},
		collect: func(ch chan<- prometheus.Metric) {
			receivers := make(map[string]NotifierStats)
			for _, r := range m.opts.Receivers {
				receivers[r] = NotifierStats{}
			}
			for r, s := range f() {
				receivers[r] = s
			}
			for r, s := range receivers {
				ch <- counter(total, s.Sent, r, "sent")
				ch <- counter(total, s.Failed, r, "failed")
				ch <- counter(total, s.Suppressed, r, "suppressed")
				ch <- counter(total, s.Deduplicated, r, "deduplicated")
				ch <- counter(retries, s.Retries, r)
			}
		},
	})
}

// RegisterStore exports the embedded store's counters, read from f at each scrape. Call it at
// most once.
func (m *Metrics) RegisterStore(f func() StoreStats) {
	results := desc("store_results", "Results held in the embedded store.")
	dropped := desc("store_dropped_total", "Results the embedded store failed to write.")
	m.register(&funcCollector{
		descs: []*prometheus.Desc{results, dropped},
		collect: func(ch chan<- prometheus.Metric) {
			s := f()
			if s.Results >= 0 {
				ch <- gauge(results, float64(s.Results))
			}
			ch <- counter(dropped, s.Dropped)
		},
	})
}
