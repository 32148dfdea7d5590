package notify

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
)

func TestSubmitBounded(t *testing.T) {
	d := New(Options{})
	us := make([]model.EventUpdate, maxInbox+3)
	d.Submit(us...)
	d.Submit(revoked("a", 1))
	if got := d.Stats().Dropped; got != 4 {
		t.Errorf("dropped = %d, want 4", got)
	}
}

// brokenLog fails every call.
type brokenLog struct{}

func (brokenLog) Get(context.Context, string, string) (Entry, bool, error) {
	return Entry{}, false, errors.New("disk gone")
}
func (brokenLog) Put(context.Context, string, string, Entry) error { return errors.New("disk gone") }

func TestBrokenLogStillSends(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeNotifier{name: "slack"}
		d := New(Options{Notifiers: []Notifier{f}, Log: brokenLog{}})
		stop := running(t, d)
		d.Submit(revoked("a", 1, "india"))
		time.Sleep(2 * time.Second)
		synctest.Wait()
		stop()
		if len(f.got()) != 1 {
			t.Errorf("calls = %d, want 1", len(f.got()))
		}
	})
}

func TestValidate(t *testing.T) {
	a, b := &fakeNotifier{name: "a"}, &fakeNotifier{name: "a"}
	tests := []struct {
		name string
		o    Options
		want string
	}{
		{"ok", Options{Notifiers: []Notifier{a}, Routes: []Route{{Receivers: []string{"a"}}},
			Silences: []Silence{{Starts: t0, Ends: t0.Add(time.Hour)}}}, ""},
		{"duplicate", Options{Notifiers: []Notifier{a, b}}, `receiver name "a" is not unique`},
		{"undefined receiver", Options{Notifiers: []Notifier{a}, Routes: []Route{{Receivers: []string{"x"}}}}, `route 0: undefined receiver "x"`},
		{"silence ends", Options{Silences: []Silence{{Starts: t0}}}, "silence 0: ends must be after starts"},
		{"negative", Options{MaxAttempts: -1}, "group_wait, max_attempts and backoffs must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.o.Validate()
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("Validate = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestScrubAndRedact(t *testing.T) {
	const hook = "https://hooks.slack.com/services/T0/B0/SECRETX"
	err := fmt.Errorf("post %q: %w", hook, context.DeadlineExceeded)
	s := Scrub(err, hook, "")
	if got := s.Error(); got != `post "<redacted>": context deadline exceeded` {
		t.Errorf("Scrub = %q", got)
	}
	if !errors.Is(s, context.DeadlineExceeded) {
		t.Error("scrubbed error lost its context cause")
	}
	plain := errors.New("no secret here")
	if Scrub(plain, hook) != plain { //nolint:errorlint // the very same error back is what is tested
		t.Error("Scrub changed an error without secrets")
	}
	if got := RedactURL("https://user:pw@example.com/hook?token=x"); got != "https://example.com/<redacted>" {
		t.Errorf("RedactURL = %q", got)
	}
	if got := RedactURL("::not a url"); got != "<redacted>" {
		t.Errorf("RedactURL = %q", got)
	}
}
