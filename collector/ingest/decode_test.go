package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/accesswatch/accesswatch/internal/push"
)

func TestDecodeBatch(t *testing.T) {
	r0 := string(mustJSON(t, result(0, "in-1")))
	tests := []struct {
		name        string
		body        string
		wantAgent   string
		wantResults int
		wantErr     string
	}{
		{"unknown keys are skipped", `{"v":2,"agent":"a","extra":{"x":[1,{"y":null}]},"sent_at":"2026-03-01T00:00:00Z","results":[` + r0 + `]}`, "a", 1, ""},
		{"keys in any order", `{"results":[` + r0 + `],"sent_at":"2026-03-01T00:00:00Z","agent":"a"}`, "a", 1, ""},
		{"unknown result fields are ignored", `{"agent":"a","results":[{"id":"x","future_field":[1,2]}]}`, "a", 1, ""},
		{"whitespace around", " \n{\"agent\":\"a\"}\n\t ", "a", 0, ""},
		{"empty body", ``, "", 0, "body: unexpected EOF"},
		{"null body", `null`, "", 0, `body: want "{", got null`},
		{"cut inside results", `{"agent":"a","results":[` + r0, "", 0, "results: unexpected EOF"},
		{"cut inside a result", `{"agent":"a","results":[` + r0[:20], "", 0, "results[0]: unexpected EOF"},
		{"two objects", `{"agent":"a"}{"agent":"a"}`, "", 0, "data after the batch object"},
		{"agent not a string", `{"agent":7}`, "", 0, `"agent": json: cannot unmarshal number`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := decodeBatch(strings.NewReader(tt.body), 5)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if b.Agent != tt.wantAgent || len(b.Results) != tt.wantResults {
				t.Errorf("got agent %q, %d results; want %q, %d", b.Agent, len(b.Results), tt.wantAgent, tt.wantResults)
			}
		})
	}
}

func TestDecodeBatchStopsAtMaxResults(t *testing.T) {
	r := string(mustJSON(t, result(0, "in-1")))
	body := `{"agent":"a","results":[` + strings.Repeat(r+",", 3) + r + `, this is never read`
	if _, err := decodeBatch(strings.NewReader(body), 3); !errors.Is(err, errTooManyResults) {
		t.Errorf("error = %v, want errTooManyResults as soon as result 4 starts", err)
	}
	body = `{"agent":"a","results":[` + strings.Repeat(r+",", 2) + r + `]}`
	if b, err := decodeBatch(strings.NewReader(body), 3); err != nil || len(b.Results) != 3 {
		t.Errorf("exactly the maximum: %d results, %v", len(b.Results), err)
	}
}

func TestBounded(t *testing.T) {
	long := strings.Repeat("é", 400)
	got := bounded(long)
	if len(got) > 310 || !strings.HasSuffix(got, "…") || !strings.HasPrefix(long, strings.TrimSuffix(got, "…")) {
		t.Errorf("bounded cut %d bytes to %d: %q", len(long), len(got), got)
	}
	if bounded("short") != "short" {
		t.Error("bounded changed a short message")
	}
}

// FuzzServeHTTP feeds arbitrary bodies, plain or gzip, to the handler: it must never
// panic, answer 200 only for a batch whose every result is valid (and then store exactly
// those), and otherwise answer a JSON error and store nothing.
func FuzzServeHTTP(f *testing.F) {
	valid := mustJSON(f, batchOf(agentA, results(defaultVantageA, 1, 2)))
	f.Add(valid, false)
	f.Add(gzipped(f, valid), true)
	f.Add([]byte(`{"agent":"mumbai","sent_at":"2026-03-01T11:59:58Z","results":[{"id":"x","time":"2026-03-01T11:00:00Z","vantage":"in-1","region":"in","check":"model","class":"ok"}]}`), false)
	f.Add([]byte(`{"agent":"mumbai","sent_at":"2026-03-01T11:59:58Z","results":[{"id":"x"}],"results":[]}`), false)
	f.Add([]byte(`{"agent":"mumbai","results":[{"time":"0001-01-01T00:00:00Z"}]}`), false)
	f.Add([]byte(`{"agent":"mumbai","sent_at":"2026-03-01T11:59:58Z","results":[`), false)
	f.Add([]byte("\x1f\x8b\x08\x00\x00\x00\x00\x00"), true)
	f.Add([]byte(`[]`), false)
	f.Fuzz(func(t *testing.T, body []byte, gz bool) {
		sink := &memSink{}
		h, err := New(Options{Agents: testAgents(), Sink: sink, MaxBodyBytes: 1 << 20,
			Now: func() time.Time { return base }})
		if err != nil {
			t.Fatal(err)
		}
		r := httptest.NewRequestWithContext(context.Background(), http.MethodPost, push.Path, bytes.NewReader(body))
		r.Header.Set("Authorization", "Bearer "+tokenA)
		r.Header.Set(push.HeaderAgent, agentA)
		r.Header.Set("Content-Type", "application/json")
		if gz {
			r.Header.Set("Content-Encoding", "gzip")
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		data, _ := io.ReadAll(w.Result().Body)
		switch w.Code {
		case http.StatusOK:
			var resp push.Response
			if err := json.Unmarshal(data, &resp); err != nil {
				t.Fatalf("200 with an undecodable answer %q", data)
			}
			if resp.Accepted != len(sink.ids) {
				t.Errorf("accepted %d, the sink holds %d", resp.Accepted, len(sink.ids))
			}
			// What was accepted must have been a valid batch: decode it again and check.
			in := body
			if gz {
				in, _ = io.ReadAll(mustGunzip(t, body))
			}
			b, err := decodeBatch(bytes.NewReader(in), push.MaxResults)
			if err != nil || b.Agent != agentA || b.SentAt.IsZero() {
				t.Fatalf("accepted a batch that does not decode as valid: %v", err)
			}
			auth, _ := newAuthTable(testAgents())
			tr, _ := newTrust(testVantages(), testWatch(), 0, 0)
			for i := range b.Results {
				if err := validateResult(i, &b.Results[i], &auth.agents[0], classSet(), tr); err != nil {
					t.Fatalf("accepted an invalid result: %v", err)
				}
			}
		case http.StatusBadRequest, http.StatusForbidden, http.StatusRequestEntityTooLarge:
			var e push.Error
			if err := json.Unmarshal(data, &e); err != nil || e.Error == "" {
				t.Fatalf("%d with an answer that is not a push.Error: %q", w.Code, data)
			}
			if sink.calls != 0 {
				t.Errorf("a refused batch reached the sink")
			}
		default:
			t.Fatalf("unexpected status %d: %s", w.Code, data)
		}
	})
}

func mustGunzip(t *testing.T, b []byte) io.Reader {
	t.Helper()
	zr, err := newGzip(b)
	if err != nil {
		t.Fatalf("accepted a body that is not gzip: %v", err)
	}
	return zr
}

// The retirement date a models check read from the vendor's list crosses the push wire.
func TestDecodeBatchKeepsRetirement(t *testing.T) {
	body := `{"agent":"a","results":[{"id":"r1","time":"2026-03-01T12:00:00Z","vantage":"v","region":"eu","check":"models",` +
		`"class":"ok","model":"magistral-medium-latest","retires_at":"2026-07-31T12:00:00Z","replacement":"mistral-medium-latest"}]}`
	b, err := decodeBatch(strings.NewReader(body), 5)
	if err != nil {
		t.Fatal(err)
	}
	r := b.Results[0]
	if r.RetiresAt == nil || !r.RetiresAt.Equal(time.Date(2026, 7, 31, 12, 0, 0, 0, time.UTC)) || r.Replacement != "mistral-medium-latest" {
		t.Fatalf("decoded retires_at %v replacement %q", r.RetiresAt, r.Replacement)
	}
}
