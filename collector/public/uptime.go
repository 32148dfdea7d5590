package public

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
)

// uptimeFigure is one target's counts over one window ending at to.
type uptimeFigure struct {
	ok, total int64
	from, to  time.Time
}

func windowDuration(name string) time.Duration {
	for _, w := range uptimeWindows {
		if w.name == name {
			return w.d
		}
	}
	return 0
}

// maxUptimeErrors bounds the errors Rebuild reports when the store fails for many targets.
const maxUptimeErrors = 5

// uptimeFigures asks the source for every target and window. A failed query keeps the
// previous snapshot's figure.
func (s *Server) uptimeFigures(ctx context.Context, targets []model.TargetStatus, prev *snapshot,
	now time.Time) (map[uptimeKey]uptimeFigure, []error) {
	figs := make(map[uptimeKey]uptimeFigure, len(targets)*len(uptimeWindows))
	var errs []error
	failed := 0
	for _, t := range targets {
		for _, w := range uptimeWindows {
			if ctx.Err() != nil {
				return figs, errs
			}
			k := uptimeKey{t.Provider, t.Model, t.Region, w.name}
			ok, total, err := s.src.Uptime(ctx, t.Provider, t.Model, t.Region, now.Add(-w.d))
			if err != nil {
				failed++
				if len(errs) < maxUptimeErrors {
					errs = append(errs, fmt.Errorf("uptime %s/%s/%s %s: %w", t.Provider, t.Model, t.Region, w.name, err))
				}
				if old, found := prev.figures[k]; found {
					figs[k] = old
				}
				continue
			}
			figs[k] = uptimeFigure{ok: ok, total: total, from: now.Add(-w.d), to: now}
		}
	}
	if failed > maxUptimeErrors {
		errs = append(errs, fmt.Errorf("uptime: %d more queries failed", failed-maxUptimeErrors))
	}
	if failed > 0 {
		s.log.Warn("public: uptime queries failed", "failed", failed, "err", errs[0])
	}
	return figs, errs
}

// uptimeJSON is one answer of /api/v1/uptime.
type uptimeJSON struct {
	Provider      string    `json:"provider"`
	Model         string    `json:"model"`
	Region        string    `json:"region"`
	Window        string    `json:"window"`
	UptimePercent *float64  `json:"uptime_percent"` // null without observations
	OK            int64     `json:"ok"`
	Total         int64     `json:"total"`
	From          time.Time `json:"from"`
	To            time.Time `json:"to"`
}

func makeUptimeJSON(t model.TargetStatus, window string, f uptimeFigure) uptimeJSON {
	u := uptimeJSON{Provider: t.Provider, Model: t.Model, Region: t.Region, Window: window,
		OK: f.ok, Total: f.total, From: f.from, To: f.to}
	if f.total > 0 {
		p := math.Floor(float64(min(f.ok, f.total))/float64(f.total)*100*10000) / 10000
		u.UptimePercent = &p
	}
	return u
}

// addUptimeAPI renders /api/v1/uptime for every target and window, and the per-(provider,
// model) lists answered when region is empty.
func (s *Server) addUptimeAPI(next, prev *snapshot, targets []model.TargetStatus, figs map[uptimeKey]uptimeFigure,
	now time.Time, keep func(old *entry, mime, cc string, body []byte) *entry) {
	for _, w := range uptimeWindows {
		for i := 0; i < len(targets); {
			j := i
			var list []uptimeJSON
			for ; j < len(targets) && targets[j].Provider == targets[i].Provider && targets[j].Model == targets[i].Model; j++ {
				t := targets[j]
				f, found := figs[uptimeKey{t.Provider, t.Model, t.Region, w.name}]
				if !found {
					f = uptimeFigure{from: now.Add(-w.d), to: now}
				}
				u := makeUptimeJSON(t, w.name, f)
				list = append(list, u)
				k := uptimeKey{t.Provider, t.Model, t.Region, w.name}
				next.uptime[k] = keep(prev.uptime[k], mimeJSON, ccAPI, marshalLine(u))
			}
			k := uptimeKey{targets[i].Provider, targets[i].Model, "", w.name}
			next.uptime[k] = keep(prev.uptime[k], mimeJSON, ccAPI, marshalLine(list))
			i = j
		}
	}
}

func marshalLine(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("public: marshal %T: %v", v, err)) // our own types always marshal
	}
	return append(b, '\n')
}
