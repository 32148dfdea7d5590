package grafana

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accesswatch/accesswatch/alerting/notify"
	"github.com/accesswatch/accesswatch/internal/config"
	"github.com/accesswatch/accesswatch/internal/model"
	"github.com/accesswatch/accesswatch/internal/testkit"
)

const token = "glsa_annotation_token_42"

var (
	t0 = time.Date(2026, 3, 2, 14, 5, 0, 0, time.UTC)
	t1 = t0.Add(2*time.Hour + 30*time.Minute)
)

func revoked() model.Event {
	return model.Event{ID: "ev-1", Kind: model.EventRevoked, Condition: model.EventRevoked, Scope: model.ScopeRegional,
		IncidentID: "inc-1", Provider: "anthropic", Model: "claude-x", Regions: []string{"india", "australia"},
		StartedAt: t0, UpdatedAt: t0, Signature: "anthropic.geo_blocked.unsupported_region"}
}

func updates() map[string]model.EventUpdate {
	widened := revoked()
	widened.Kind, widened.Scope, widened.UpdatedAt = model.EventRevoked, model.ScopeGlobal, t0.Add(time.Hour)
	widened.Regions = []string{"india", "australia", "europe", "us"}
	closed := revoked()
	closed.Outcome, closed.EndedAt, closed.UpdatedAt = model.EventRestored, &t1, t1
	vantage := model.Event{ID: "ev-2", Kind: model.EventVantageFault, Scope: model.ScopeVantage, Vantage: "mum-1",
		Regions: []string{"india"}, StartedAt: t0, UpdatedAt: t0.Add(6 * time.Hour), Reason: "control checks fail"}
	return map[string]model.EventUpdate{
		"opened":   {Phase: model.PhaseOpened, Event: revoked(), Seq: 1},
		"updated":  {Phase: model.PhaseUpdated, Event: widened, Seq: 2},
		"closed":   {Phase: model.PhaseClosed, Event: closed, Seq: 3},
		"reminder": {Phase: model.PhaseReminder, Event: vantage, Seq: 4},
	}
}

type fake struct {
	mu     sync.Mutex
	bodies [][]byte
	code   int
	header http.Header
}

func server(t *testing.T, f *fake) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if r.Method != http.MethodPost || r.URL.Path != "/grafana/api/annotations" {
			t.Errorf("request %s %s", r.Method, r.URL.Path)
		}
		if got := r.Header.Get("Authorization"); got != "Bearer "+token {
			t.Errorf("Authorization %q", got)
		}
		if r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("Content-Type %q", r.Header.Get("Content-Type"))
		}
		b, _ := io.ReadAll(r.Body)
		f.bodies = append(f.bodies, b)
		for k, v := range f.header {
			w.Header()[k] = v
		}
		if f.code != 0 {
			w.WriteHeader(f.code)
			_, _ = io.WriteString(w, `{"message":"nope"}`)
			return
		}
		_, _ = io.WriteString(w, `{"id":1,"message":"Annotation added"}`)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func newNotifier(t *testing.T, srv *httptest.Server) *Notifier {
	n, err := New(Options{URL: srv.URL + "/grafana/", Token: config.Secret(token), Client: srv.Client(),
		Now: func() time.Time { return t1 }})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestGoldenPayloads(t *testing.T) {
	for name, u := range updates() {
		t.Run(name, func(t *testing.T) {
			f := &fake{}
			n := newNotifier(t, server(t, f))
			ref, err := n.Notify(context.Background(), notify.Group{IncidentID: "inc-1", Phase: u.Phase, Updates: []model.EventUpdate{u}}, "r")
			if err != nil || ref != "r" {
				t.Fatalf("Notify: %q, %v", ref, err)
			}
			if len(f.bodies) != 1 {
				t.Fatalf("%d requests", len(f.bodies))
			}
			var pretty bytes.Buffer
			if err := json.Indent(&pretty, f.bodies[0], "", "  "); err != nil {
				t.Fatal(err)
			}
			pretty.WriteByte('\n')
			path := filepath.Join("testdata", name+".json")
			testkit.Golden(t, path, pretty.Bytes())
		})
	}
}

func TestPayload(t *testing.T) {
	u := updates()
	if a := Payload(u["closed"]); a.Time != t0.UnixMilli() || a.TimeEnd != t1.UnixMilli() {
		t.Errorf("closed: time %d..%d, want the event's span", a.Time, a.TimeEnd)
	}
	if a := Payload(u["opened"]); a.TimeEnd != 0 || a.Time != t0.UnixMilli() || a.Tags[0] != Tag {
		t.Errorf("opened: %+v", a)
	}
	a := Payload(u["opened"])
	if want := "anthropic claude-x: revoked in india, australia (regional) — signature anthropic.geo_blocked.unsupported_region"; a.Text != want {
		t.Errorf("text %q, want %q", a.Text, want)
	}
	for _, tag := range []string{"revoked", "opened", "anthropic", "claude-x", "india", "australia"} {
		if !strings.Contains(strings.Join(a.Tags, ","), tag) {
			t.Errorf("tags %v lack %s", a.Tags, tag)
		}
	}
	// The end keeps the kind and says how it ended, in the text and as a tag.
	c := Payload(u["closed"])
	if want := "anthropic claude-x: revoked in india, australia (regional) — signature anthropic.geo_blocked.unsupported_region [restored after 2h30m0s]"; c.Text != want {
		t.Errorf("closed text %q, want %q", c.Text, want)
	}
	if !slices.Contains(c.Tags, "revoked") || !slices.Contains(c.Tags, "restored") {
		t.Errorf("closed tags %v, want revoked and restored", c.Tags)
	}
}

func TestPartialRecoveryText(t *testing.T) {
	e := model.Event{ID: "ev-3", Kind: model.EventOutage, Condition: model.EventOutage, Scope: model.ScopeGlobal,
		Provider: "anthropic", Model: "claude-x", Regions: []string{"india", "us"}, StartedAt: t0, UpdatedAt: t1,
		Changes: []model.EventChange{
			{At: t0, Kind: model.EventOutage, Scope: model.ScopeGlobal, Regions: []string{"europe", "india", "us"}},
			{At: t1, Kind: model.EventOutage, Scope: model.ScopeGlobal, Regions: []string{"india", "us"}},
		}}
	a := Payload(model.EventUpdate{Phase: model.PhaseUpdated, Event: e, Seq: 2})
	if want := "anthropic claude-x: outage in india, us (global) [recovered in europe]"; a.Text != want {
		t.Errorf("text %q, want %q", a.Text, want)
	}
}

func TestGroupPostsEveryUpdate(t *testing.T) {
	f := &fake{}
	n := newNotifier(t, server(t, f))
	u := updates()
	g := notify.Group{Updates: []model.EventUpdate{u["opened"], u["updated"], u["closed"]}}
	if _, err := n.Notify(context.Background(), g, ""); err != nil {
		t.Fatal(err)
	}
	if len(f.bodies) != 3 {
		t.Errorf("%d annotations, want 3", len(f.bodies))
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		code      int
		header    http.Header
		permanent bool
		after     time.Duration
		want      string
	}{
		{http.StatusUnauthorized, nil, true, 0, "grafana: authentication failed (check the service-account token)"},
		{http.StatusForbidden, nil, true, 0, "authentication failed"},
		{http.StatusBadRequest, nil, true, 0, "HTTP 400: nope"},
		{http.StatusTooManyRequests, http.Header{"Retry-After": {"7"}}, false, 7 * time.Second, "HTTP 429"},
		{http.StatusBadGateway, nil, false, 0, "HTTP 502"},
		{http.StatusServiceUnavailable, http.Header{"Retry-After": {t1.Add(30 * time.Second).Format(http.TimeFormat)}}, false, 30 * time.Second, "HTTP 503"},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.code), func(t *testing.T) {
			f := &fake{code: tt.code, header: tt.header}
			n := newNotifier(t, server(t, f))
			_, err := n.Notify(context.Background(), notify.Group{Updates: []model.EventUpdate{updates()["opened"]}}, "")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err %v, want %q", err, tt.want)
			}
			if notify.IsPermanent(err) != tt.permanent {
				t.Errorf("permanent %v, want %v", notify.IsPermanent(err), tt.permanent)
			}
			var r *notify.RetryableError
			if !tt.permanent && !errors.As(err, &r) {
				t.Errorf("%v is not retryable", err)
			}
			if got := notify.RetryAfter(err); got != tt.after {
				t.Errorf("retry after %s, want %s", got, tt.after)
			}
			if strings.Contains(err.Error(), token) {
				t.Errorf("error shows the token: %v", err)
			}
		})
	}
}

func TestUnreachableIsRetryable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	u := srv.URL
	srv.Close()
	n, err := New(Options{URL: u, Token: config.Secret(token)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = n.Notify(context.Background(), notify.Group{Updates: []model.EventUpdate{updates()["opened"]}}, "")
	if err == nil || notify.IsPermanent(err) || strings.Contains(err.Error(), token) {
		t.Errorf("err %v: want retryable, without the token", err)
	}
}

func TestNewValidates(t *testing.T) {
	for name, o := range map[string]Options{
		"no url":   {Token: "t0k3n-abc"},
		"not http": {URL: "ftp://127.0.0.1", Token: "t0k3n-abc"},
		"no token": {URL: "http://127.0.0.1:3000"},
		"no host":  {URL: "http://", Token: "t0k3n-abc"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := New(o); err == nil {
				t.Error("New accepted it")
			}
		})
	}
	n, err := New(Options{URL: "http://127.0.0.1:3000", Token: "t0k3n-abc"})
	if err != nil || n.Name() != "grafana" {
		t.Errorf("New: %v, name %q", err, n.Name())
	}
}
