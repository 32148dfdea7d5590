package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accesswatch/accesswatch/alerting/notify"
	"github.com/accesswatch/accesswatch/internal/config"
	"github.com/accesswatch/accesswatch/internal/model"
	"github.com/accesswatch/accesswatch/internal/testkit"
)

var t0 = time.Date(2026, 3, 2, 14, 5, 0, 0, time.UTC)

const secret = "whsec-SECRETVALUE-123"

func opened() model.EventUpdate {
	return model.EventUpdate{Phase: model.PhaseOpened, Seq: 1, Event: model.Event{
		ID: "ev-fable", Kind: model.EventRevoked, Condition: model.EventRevoked, Scope: model.ScopeRegional,
		IncidentID: "inc-2026", Provider: "anthropic", Model: "claude-fable-5",
		Regions: []string{"india", "australia", "europe"}, StartedAt: t0, UpdatedAt: t0,
		Signature: "geo_blocked", Sample: `HTTP 403 {"error":{"type":"forbidden","message":"Request not allowed"}}`,
		Evidence: []string{"r1", "r2"},
		Changes:  []model.EventChange{{At: t0, Kind: model.EventRevoked, Scope: model.ScopeRegional, Regions: []string{"india", "australia", "europe"}}},
	}}
}

func closed() model.EventUpdate {
	u := opened()
	end := t0.Add(2*time.Hour + 14*time.Minute)
	u.Phase, u.Seq = model.PhaseClosed, 3
	u.Event.Outcome, u.Event.EndedAt, u.Event.UpdatedAt = model.EventRestored, &end, end
	return u
}

func TestBodyGolden(t *testing.T) {
	for name, u := range map[string]model.EventUpdate{"opened": opened(), "closed": closed()} {
		t.Run(name, func(t *testing.T) {
			g := notify.Group{IncidentID: "inc-2026", Phase: u.Phase, Updates: []model.EventUpdate{u},
				URL: "https://watch.example.org/incidents/inc-2026", Path: "/incidents/inc-2026"}
			got, err := Body(g, u)
			if err != nil {
				t.Fatal(err)
			}
			var pretty bytes.Buffer
			if err := json.Indent(&pretty, got, "", "  "); err != nil {
				t.Fatal(err)
			}
			pretty.WriteByte('\n')
			path := filepath.Join("testdata", name+".json")
			testkit.Golden(t, path, pretty.Bytes())
			// The body round-trips to the same event, phase and seq.
			var p Payload
			if err := json.Unmarshal(got, &p); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(p.Event, u.Event) || p.Phase != u.Phase || p.Seq != u.Seq {
				t.Errorf("round trip: %+v", p)
			}
		})
	}
}

// receiver is a webhook endpoint that verifies signatures the way doc.go tells users to.
type receiver struct {
	secret []byte
	script []int // statuses to answer, then 204

	mu       sync.Mutex
	got      []Payload
	headers  []http.Header
	badSig   int
	unsigned int
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "read", http.StatusBadRequest)
		return
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.headers = append(rc.headers, r.Header.Clone())
	if sig := r.Header.Get(HeaderSignature); sig == "" {
		rc.unsigned++
	} else if !Verify(rc.secret, r.Header.Get(HeaderTimestamp), sig, body) {
		rc.badSig++
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var p Payload
	if err := json.Unmarshal(body, &p); err != nil {
		http.Error(w, "json", http.StatusBadRequest)
		return
	}
	rc.got = append(rc.got, p)
	if len(rc.script) > 0 {
		code := rc.script[0]
		rc.script = rc.script[1:]
		if code == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "5")
		}
		w.WriteHeader(code)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func newNotifier(t *testing.T, u string, secret string) *Notifier {
	t.Helper()
	n, err := New(Options{URL: u, Secret: configSecret(secret), Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func group(us ...model.EventUpdate) notify.Group {
	return notify.Group{IncidentID: "inc-2026", Phase: us[0].Phase, Updates: us, At: t0}
}

func TestSignedDelivery(t *testing.T) {
	rc := &receiver{secret: []byte(secret)}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	n := newNotifier(t, srv.URL+"/hook", secret)
	if _, err := n.Notify(context.Background(), group(opened(), closed()), ""); err != nil {
		t.Fatal(err)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.badSig != 0 || rc.unsigned != 0 || len(rc.got) != 2 {
		t.Fatalf("bad signatures %d, unsigned %d, delivered %d", rc.badSig, rc.unsigned, len(rc.got))
	}
	h := rc.headers[1]
	want := map[string]string{
		"Content-Type": "application/json", "User-Agent": "accesswatch",
		HeaderEvent: "revoked", HeaderPhase: "closed", HeaderOutcome: "restored", HeaderDelivery: "ev-fable/3", HeaderTimestamp: strconv.FormatInt(t0.Unix(), 10),
	}
	for k, v := range want {
		if got := h.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if rc.got[0].Phase != model.PhaseOpened || rc.got[1].Phase != model.PhaseClosed || rc.got[1].EndedAt == nil {
		t.Errorf("payloads %+v", rc.got)
	}
}

func TestWrongSecretRejectedByReceiver(t *testing.T) {
	rc := &receiver{secret: []byte("another-secret")}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	_, err := newNotifier(t, srv.URL, secret).Notify(context.Background(), group(opened()), "")
	if err == nil || !notify.IsPermanent(err) || rc.badSig != 1 {
		t.Errorf("err %v, bad signatures %d", err, rc.badSig)
	}
}

func TestUnsignedWithoutSecret(t *testing.T) {
	rc := &receiver{}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	if _, err := newNotifier(t, srv.URL, "").Notify(context.Background(), group(opened()), ""); err != nil {
		t.Fatal(err)
	}
	if rc.unsigned != 1 || rc.headers[0].Get(HeaderTimestamp) != "" {
		t.Errorf("unsigned %d, timestamp %q", rc.unsigned, rc.headers[0].Get(HeaderTimestamp))
	}
}

func TestStatusClassification(t *testing.T) {
	tests := []struct {
		status     int
		ok         bool
		permanent  bool
		retryAfter time.Duration
	}{
		{200, true, false, 0},
		{202, true, false, 0},
		{204, true, false, 0},
		{429, false, false, 5 * time.Second},
		{408, false, false, 0},
		{500, false, false, 0},
		{503, false, false, 0},
		{400, false, true, 0},
		{401, false, true, 0},
		{404, false, true, 0},
		{410, false, true, 0},
		{304, false, true, 0},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.status), func(t *testing.T) {
			rc := &receiver{secret: []byte(secret), script: []int{tt.status}}
			srv := httptest.NewServer(rc)
			defer srv.Close()
			// Two updates: a failure on the first stops the group.
			_, err := newNotifier(t, srv.URL, secret).Notify(context.Background(), group(opened(), closed()), "")
			if tt.ok {
				if err != nil || len(rc.got) != 2 {
					t.Fatalf("err %v, delivered %d", err, len(rc.got))
				}
				return
			}
			if err == nil {
				t.Fatal("want an error")
			}
			if notify.IsPermanent(err) != tt.permanent || notify.RetryAfter(err) != tt.retryAfter {
				t.Errorf("%v: permanent %v, retry after %v", err, notify.IsPermanent(err), notify.RetryAfter(err))
			}
			if len(rc.got) != 1 {
				t.Errorf("delivered %d, want the group to stop at the failure", len(rc.got))
			}
			if !strings.Contains(err.Error(), fmt.Sprintf("HTTP %d", tt.status)) {
				t.Errorf("error %q lacks the status", err)
			}
		})
	}
}

func TestErrorsHideCredentials(t *testing.T) {
	// A receiver that echoes the request URL in its error body, and one that is gone.
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no such hook "+r.URL.String(), http.StatusNotFound)
	}))
	defer echo.Close()
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()
	const path = "/hooks/SECRETPATH-abc?token=SECRETQUERY-xyz"
	leaks := []string{"SECRETPATH", "SECRETQUERY", "hunter2pw", secret}
	for name, base := range map[string]string{"echo": echo.URL, "gone": gone.URL} {
		t.Run(name, func(t *testing.T) {
			u := strings.Replace(base, "http://", "http://user:hunter2pw@", 1) + path
			_, err := newNotifier(t, u, secret).Notify(context.Background(), group(opened()), "")
			if err == nil {
				t.Fatal("want an error")
			}
			for _, s := range leaks {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error leaks %q: %v", s, err)
				}
			}
		})
	}
	if _, err := New(Options{URL: "ftp://user:hunter2pw@example.com/SECRETPATH"}); err == nil || strings.Contains(err.Error(), "hunter2pw") {
		t.Errorf("New = %v", err)
	}
}

func TestTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	n, err := New(Options{URL: srv.URL, Timeout: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	_, err = n.Notify(context.Background(), group(opened()), "")
	if err == nil || notify.IsPermanent(err) || !strings.Contains(err.Error(), "deadline") {
		t.Errorf("err = %v, want a retryable deadline error", err)
	}
}

func TestVerify(t *testing.T) {
	body := []byte(`{"id":"ev-1"}`)
	sig := Sign([]byte(secret), "1700000000", body)
	tests := []struct {
		name                string
		key                 string
		ts, signature, body string
		want                bool
	}{
		{"valid", secret, "1700000000", sig, string(body), true},
		{"tampered body", secret, "1700000000", sig, `{"id":"ev-2"}`, false},
		{"other timestamp", secret, "1700000001", sig, string(body), false},
		{"wrong secret", "other", "1700000000", sig, string(body), false},
		{"no prefix", secret, "1700000000", strings.TrimPrefix(sig, "sha256="), string(body), false},
		{"empty secret", "", "1700000000", Sign(nil, "1700000000", body), string(body), false},
		{"garbage", secret, "1700000000", "sha256=zz", string(body), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Verify([]byte(tt.key), tt.ts, tt.signature, []byte(tt.body)); got != tt.want {
				t.Errorf("Verify = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := t0
	tests := []struct {
		h    string
		want time.Duration
	}{
		{"", 0},
		{"5", 5 * time.Second},
		{" 30 ", 30 * time.Second},
		{"-1", 0},
		{"999999999999", notify.MaxRetryAfter},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0},
		{"soon", 0},
	}
	for _, tt := range tests {
		t.Run(tt.h, func(t *testing.T) {
			if got := notify.ParseRetryAfter(tt.h, now); got != tt.want {
				t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.h, got, tt.want)
			}
		})
	}
}

func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"5", "", "Mon, 02 Mar 2026 14:06:30 GMT", "-3", "1e9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		if d := notify.ParseRetryAfter(h, t0); d < 0 || d > notify.MaxRetryAfter {
			t.Errorf("parseRetryAfter(%q) = %v out of [0, %v]", h, d, notify.MaxRetryAfter)
		}
	})
}

func FuzzVerify(f *testing.F) {
	f.Add("1700000000", "sha256=00", []byte(`{}`))
	f.Fuzz(func(t *testing.T, ts, sig string, body []byte) {
		if Verify([]byte(secret), ts, sig, body) && sig != Sign([]byte(secret), ts, body) {
			t.Errorf("accepted a signature that is not the body's")
		}
	})
}

func configSecret(s string) config.Secret { return config.Secret(s) }
