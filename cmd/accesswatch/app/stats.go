package app

import (
	"github.com/accesswatch/accesswatch/alerting/notify"
	"github.com/accesswatch/accesswatch/collector/influx"
	"github.com/accesswatch/accesswatch/collector/ingest"
	"github.com/accesswatch/accesswatch/collector/store"
	"github.com/accesswatch/accesswatch/internal/metrics"
	"github.com/accesswatch/accesswatch/probes/publish"
)

// These adapt each component's own counters to the metrics package, read at scrape time.

func influxStats(w *influx.Writer, capacity int) func() metrics.InfluxStats {
	return func() metrics.InfluxStats {
		st := w.Stats()
		return metrics.InfluxStats{
			PointsWritten: st.Written, WriteErrors: st.WriteErrors, BufferPoints: uint64(st.Buffered),
			BufferCapacity: uint64(capacity), Dropped: st.Dropped + st.Rejected,
		}
	}
}

func notifierStats(d *notify.Dispatcher) func() map[string]metrics.NotifierStats {
	return func() map[string]metrics.NotifierStats {
		out := map[string]metrics.NotifierStats{}
		for name, r := range d.Stats().Receivers {
			out[name] = metrics.NotifierStats{
				Sent: uint64(r.Sent), Failed: uint64(r.Failed), Suppressed: uint64(r.Suppressed),
				Deduplicated: uint64(r.Deduplicated), Retries: uint64(r.Retried),
			}
		}
		return out
	}
}

func storeStats(s *store.Store) func() metrics.StoreStats {
	// Counting rows on every scrape would cost a table scan: the count is left unknown.
	return func() metrics.StoreStats { return metrics.StoreStats{Results: -1, Dropped: s.Dropped()} }
}

func ingestStats(h *ingest.Handler) func() metrics.IngestStats {
	return func() metrics.IngestStats {
		out := metrics.IngestStats{Agents: map[string]metrics.AgentIngest{}}
		for id, a := range h.Stats().Agents {
			var rejected uint64
			for _, n := range a.Rejected {
				rejected += n
			}
			refused := make(map[string]uint64, len(a.Refused))
			for r, n := range a.Refused {
				refused[string(r)] = n
			}
			out.Agents[id] = metrics.AgentIngest{
				Batches: a.Batches, Accepted: a.Accepted, Duplicate: a.Duplicates, Rejected: rejected,
				Refused: refused, ClockOffset: a.ClockOffset, LastPush: a.LastSeen,
			}
		}
		return out
	}
}

func spoolStats(p *publish.Publisher) func() metrics.SpoolStats {
	return func() metrics.SpoolStats {
		st := p.Stats()
		return metrics.SpoolStats{
			Results: uint64(st.SpoolResults), Bytes: uint64(st.SpoolBytes), Dropped: uint64(st.Dropped),
			PushFailures: uint64(st.Failures), PushSent: uint64(st.Sent),
			Expired: uint64(st.Expired), PushRefused: uint64(st.Refused),
		}
	}
}
