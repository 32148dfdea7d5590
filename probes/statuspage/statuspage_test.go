package statuspage

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
)

var checked = time.Date(2026, 3, 1, 9, 31, 0, 0, time.UTC)

func fixedNow() time.Time { return checked }

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// brief is the part of a claim the tests compare.
type brief struct{ id, name, status, indicator, incident, updated string }

func briefOf(cs []model.Claim) []brief {
	out := make([]brief, len(cs))
	for i, c := range cs {
		u := ""
		if !c.UpdatedAt.IsZero() {
			u = c.UpdatedAt.Format(time.RFC3339)
		}
		out[i] = brief{c.ComponentID, c.Component, c.Status, c.Indicator, c.Incident, u}
	}
	return out
}

func TestParse(t *testing.T) {
	tests := []struct {
		name, file, provider string
		want                 []brief
	}{
		{"atlassian statuspage with an open incident", "anthropic_summary.documented_shape.json", "anthropic", []brief{
			{"rwppv331jlwc", "claude.ai", "operational", "major", "", "2026-02-27T18:02:40Z"},
			{AnthropicAPIComponent, "Claude API (api.anthropic.com)", "partial_outage", "major", "Elevated errors on the Claude API", "2026-03-01T09:12:03Z"},
			{"yyzkbfz2thpt", "Claude Code", "degraded_performance", "major", "Elevated errors on the Claude API", "2026-03-01T09:14:00Z"},
			{"0qbwn08sd68x", "platform.claude.com (formerly console.anthropic.com)", "operational", "major", "", "2026-02-20T10:00:00Z"},
		}},
		{"incident.io, unknown status kept, id-less component skipped", "openai_incidentio_summary.documented_shape.json", "openai", []brief{
			{"01JMXBRMFE6N2NNT7DG6XZQ6PW", "Chat Completions", "operational", "none", "", "2026-03-01T09:30:00Z"},
			{"01JMXBRMFE5DW1QWEJ3ZHH0YZ9", "Responses", "operational", "none", "", "2026-03-01T09:30:00Z"},
			{"01JMXBRMFEXGBNQ0EE21G6QDWN", "Realtime", "full_outage", "none", "", "2026-03-01T09:29:00Z"},
			{"01JMXBRMFEGROUPAPIXXXXXXXX", "APIs", "operational", "none", "", ""},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := "https://status.example.test/api/v2/summary.json"
			cs, err := Parse(tt.provider, url, fixture(t, tt.file), checked)
			if err != nil {
				t.Fatal(err)
			}
			got := briefOf(cs)
			if len(got) != len(tt.want) {
				t.Fatalf("Parse = %+v\nwant %+v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("claim %d = %+v, want %+v", i, got[i], tt.want[i])
				}
				if cs[i].Provider != tt.provider || cs[i].Page != url || !cs[i].CheckedAt.Equal(checked) {
					t.Errorf("claim %d: provider %q page %q checked %v", i, cs[i].Provider, cs[i].Page, cs[i].CheckedAt)
				}
			}
		})
	}
}

func TestParseTolerant(t *testing.T) {
	tests := []struct {
		name, body string
		claims     int
		wantErr    bool
	}{
		{"empty object", `{}`, 0, false},
		{"components only", `{"components":[{"id":"a"}]}`, 1, false},
		{"null fields", `{"page":null,"status":null,"components":[{"id":"a","name":null,"updated_at":"yesterday"}],"incidents":null}`, 1, false},
		{"incident naming an unknown component", `{"components":[{"id":"a"}],"incidents":[{"name":"x","status":"identified","components":[{"id":"zz"}]}]}`, 1, false},
		{"not json", `<html>Just a moment...</html>`, 0, true},
		{"wrong type", `{"components":"all good"}`, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs, err := Parse("p", "u", []byte(tt.body), checked)
			if (err != nil) != tt.wantErr || len(cs) != tt.claims {
				t.Errorf("Parse = %d claims, %v; want %d, error %v", len(cs), err, tt.claims, tt.wantErr)
			}
			for _, c := range cs {
				if c.Incident != "" || !c.UpdatedAt.IsZero() {
					t.Errorf("unexpected incident or time: %+v", c)
				}
			}
		})
	}
}

func TestFetch(t *testing.T) {
	body := fixture(t, "anthropic_summary.documented_shape.json")
	tests := []struct {
		name    string
		handler http.HandlerFunc
		want    int
		wantErr string
	}{
		{"ok", func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Accept") != "application/json" || r.Method != http.MethodGet {
				http.Error(w, "bad request", http.StatusBadRequest)
				return
			}
			_, _ = w.Write(body)
		}, 4, ""},
		{"non-200", func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "challenge", http.StatusForbidden)
		}, 0, "HTTP 403"},
		{"too large", func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write([]byte(`{"components":[` + strings.Repeat(`{"id":"a"},`, MaxBody/10) + `{"id":"b"}]}`))
		}, 0, "larger than 1 MiB"},
		{"html", func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write([]byte("<html></html>"))
		}, 0, "parse summary"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			cs, err := Fetch(ctx, srv.Client(), "anthropic", srv.URL+"/api/v2/summary.json", fixedNow)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Fetch error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || len(cs) != tt.want {
				t.Fatalf("Fetch = %d claims, %v; want %d", len(cs), err, tt.want)
			}
			if !cs[0].CheckedAt.Equal(checked) || cs[0].Page != srv.URL+"/api/v2/summary.json" {
				t.Errorf("claim = %+v", cs[0])
			}
		})
	}
	t.Run("too large is ErrTooLarge", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write(make([]byte, MaxBody+1))
		}))
		defer srv.Close()
		if _, err := Fetch(context.Background(), srv.Client(), "p", srv.URL, fixedNow); !errors.Is(err, ErrTooLarge) {
			t.Errorf("Fetch error = %v, want ErrTooLarge", err)
		}
	})
}

func TestKnownPages(t *testing.T) {
	for kind, u := range KnownPages {
		if !strings.HasPrefix(u, "https://") || !strings.HasSuffix(u, "/api/v2/summary.json") {
			t.Errorf("KnownPages[%q] = %q, want an https summary.json URL", kind, u)
		}
	}
	if KnownPages["anthropic"] != "https://status.claude.com/api/v2/summary.json" {
		t.Errorf("anthropic page = %q", KnownPages["anthropic"])
	}
}

func FuzzParse(f *testing.F) {
	f.Add(fixture(f, "anthropic_summary.documented_shape.json"))
	f.Add(fixture(f, "openai_incidentio_summary.documented_shape.json"))
	f.Add([]byte(`{"components":[{"id":""}],"incidents":[{"components":[{}]}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		cs, err := Parse("p", "u", body, checked)
		if err != nil {
			return
		}
		for _, c := range cs {
			if c.ComponentID == "" || c.Provider != "p" || !c.CheckedAt.Equal(checked) {
				t.Errorf("bad claim %+v", c)
			}
		}
	})
}
