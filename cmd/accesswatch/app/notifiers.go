package app

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/accesswatch/accesswatch/alerting/grafana"
	"github.com/accesswatch/accesswatch/alerting/notify"
	"github.com/accesswatch/accesswatch/alerting/slack"
	"github.com/accesswatch/accesswatch/alerting/webhook"
	"github.com/accesswatch/accesswatch/collector/store"
	"github.com/accesswatch/accesswatch/internal/config"
)

// newDispatcher builds the receivers of cfg.Alerting and a dispatcher that logs every delivery
// in the store, so each update is announced once per receiver across restarts.
func newDispatcher(a config.Alerting, g config.Grafana, publicURL string, st *store.Store, log *slog.Logger, now func() time.Time) (*notify.Dispatcher, error) {
	var ns []notify.Notifier
	if g.URL != "" && g.Annotations {
		n, err := grafana.New(grafana.Options{URL: g.URL, Token: g.Token, Now: now})
		if err != nil {
			return nil, fmt.Errorf("grafana: %w", err)
		}
		ns = append(ns, n)
	}
	for _, s := range a.Slack {
		n, err := slack.New(slack.Options{Name: s.Name, WebhookURL: s.WebhookURL, Token: s.Token, Channel: s.Channel, APIURL: s.APIURL, Now: now})
		if err != nil {
			return nil, fmt.Errorf("alerting.slack %q: %w", s.Name, err)
		}
		ns = append(ns, n)
	}
	for _, w := range a.Webhooks {
		n, err := webhook.New(webhook.Options{Name: w.Name, URL: w.URL, Secret: w.Secret, Now: now})
		if err != nil {
			return nil, fmt.Errorf("alerting.webhooks %q: %w", w.Name, err)
		}
		ns = append(ns, n)
	}
	o := notify.Options{
		Notifiers: ns, Log: storeLog{st}, GroupWait: a.GroupWait.D(), GroupInterval: a.GroupInterval.D(), PublicURL: publicURL,
		Now: now, Logger: log,
	}
	for _, r := range a.Routes {
		o.Routes = append(o.Routes, notify.Route{Receivers: r.Receivers, Providers: r.Providers, Models: r.Models, Regions: r.Regions, Kinds: r.Kinds})
	}
	for _, s := range a.Silences {
		// The config loader has validated both times.
		starts, _ := time.Parse(time.RFC3339, s.Starts)
		ends, _ := time.Parse(time.RFC3339, s.Ends)
		o.Silences = append(o.Silences, notify.Silence{Providers: s.Providers, Models: s.Models, Regions: s.Regions, Kinds: s.Kinds, Starts: starts, Ends: ends, Comment: s.Comment})
	}
	if err := o.Validate(); err != nil {
		return nil, fmt.Errorf("alerting: %w", err)
	}
	return notify.New(o), nil
}

// storeLog is the notification log kept in the store.
type storeLog struct{ st *store.Store }

func (l storeLog) Get(ctx context.Context, receiver, key string) (notify.Entry, bool, error) {
	e, ok, err := l.st.LogGet(ctx, receiver, key)
	return notify.Entry{SentAt: e.SentAt, Ref: e.Ref}, ok, err
}

func (l storeLog) Put(ctx context.Context, receiver, key string, e notify.Entry) error {
	return l.st.LogPut(ctx, receiver, key, store.LogEntry{SentAt: e.SentAt, Ref: e.Ref})
}
