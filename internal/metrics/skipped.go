package metrics

import "github.com/prometheus/client_golang/prometheus"

// newSkipped is accesswatch_probe_skipped_total: runs of a probe job that came due while its
// previous run was still in flight, and were skipped rather than queued. Its labels come from
// the scheduled jobs, which come from the configuration (check is a check kind, or "control"
// with an empty provider).
func newSkipped(reg prometheus.Registerer) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace,
		Name:      "probe_skipped_total",
		Help:      "Scheduled probe runs skipped because the same job's previous run was still in flight (a stalled or slow request).",
	}, []string{"vantage", "provider", "check"})
	if reg != nil {
		reg.MustRegister(c)
	}
	return c
}

// ObserveSkipped counts one skipped run of a probe job.
func (m *Metrics) ObserveSkipped(vantage, provider, check string) {
	m.skipped.WithLabelValues(vantage, provider, check).Inc()
}

// AddSkipSeries pre-creates accesswatch_probe_skipped_total at zero for a scheduled job, so
// rate() shows zero rather than "no data" before the first skip.
func (m *Metrics) AddSkipSeries(vantage, provider, check string) {
	m.skipped.WithLabelValues(vantage, provider, check)
}
