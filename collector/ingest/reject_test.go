package ingest

import (
	"bytes"
	"compress/gzip"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/accesswatch/accesswatch/internal/model"
	"github.com/accesswatch/accesswatch/internal/push"
)

// batchJSON is a valid batch of agent A with the given results array (raw JSON).
func batchJSON(results string) []byte {
	return []byte(`{"agent":"mumbai","sent_at":"2026-03-01T11:59:58.5Z","results":` + results + `}`)
}

// resultJSON is a valid result as JSON with its fields changed by edits (key → raw value;
// an empty value removes the key).
func resultJSON(t *testing.T, i int, edits map[string]string) string {
	t.Helper()
	s := string(mustJSON(t, result(i, defaultVantageA)))
	for k, v := range edits {
		key := `"` + k + `":`
		start := strings.Index(s, key)
		if start < 0 {
			s = strings.TrimSuffix(s, "}") + `,` + key + v + `}`
			continue
		}
		end := start + len(key)
		// The value ends at the next top-level comma; the fields edited here are scalars.
		if s[end] == '"' {
			end += 1 + strings.IndexByte(s[end+1:], '"') + 1
		} else {
			end += strings.IndexAny(s[end:], ",}")
		}
		if v == "" {
			s = s[:start] + strings.TrimPrefix(s[end:], ",")
		} else {
			s = s[:start] + key + v + s[end:]
		}
	}
	return s
}

func TestPushRejects(t *testing.T) {
	ok0, ok1 := resultJSON(t, 0, nil), resultJSON(t, 1, nil)
	valid := batchJSON("[" + ok0 + "," + ok1 + "]")
	arr := func(rs ...string) []byte { return batchJSON("[" + strings.Join(rs, ",") + "]") }
	tests := []struct {
		name       string
		req        req
		wantStatus int
		wantReason Reason // "" for refusals before authentication
		wantMsg    string
	}{
		{"GET", req{method: http.MethodGet, body: nil}, 405, "", "method GET not allowed; use POST"},
		{"PUT", req{method: http.MethodPut, body: valid}, 405, "", "method PUT not allowed; use POST"},
		{"text/plain", req{ctype: strp("text/plain"), body: valid}, 415, ReasonMediaType, `Content-Type "text/plain" not supported; use application/json`},
		{"no content type", req{ctype: strp(""), body: valid}, 415, ReasonMediaType, "Content-Type missing; use application/json"},
		{"latin1", req{ctype: strp("application/json; charset=latin1"), body: valid}, 415, ReasonMediaType, `charset "latin1" not supported; use utf-8`},
		{"brotli", req{encoding: strp("br"), body: valid}, 415, ReasonMediaType, `Content-Encoding "br" not supported; use gzip or identity`},
		{"not gzip", req{raw: true, body: valid}, 400, ReasonBadRequest, "gzip body: gzip: invalid header"},
		{"truncated gzip", req{raw: true, body: gzipped(t, valid)[:40]}, 400, ReasonBadRequest, "unexpected EOF"},
		{"malformed JSON", req{body: []byte(`{"agent":"mumbai",`)}, 400, ReasonBadRequest, "body: unexpected EOF"},
		{"not an object", req{body: []byte(`[1,2]`)}, 400, ReasonBadRequest, `body: want "{", got "["`},
		{"trailing data", req{body: append(valid, []byte(` {}`)...)}, 400, ReasonBadRequest, "body: data after the batch object"},
		{"repeated key", req{body: []byte(`{"agent":"mumbai","agent":"mumbai"}`)}, 400, ReasonBadRequest, `"agent": repeated key`},
		{"results not an array", req{body: batchJSON(`{}`)}, 400, ReasonBadRequest, `results: want an array, got "{"`},
		{"missing sent_at", req{body: []byte(`{"agent":"mumbai","results":[` + ok0 + `]}`)}, 400, ReasonBadRequest, "sent_at: required"},
		{"bad sent_at", req{body: []byte(`{"agent":"mumbai","sent_at":"yesterday"}`)}, 400, ReasonBadRequest, `"sent_at": parsing time`},
		{"result not an object", req{body: arr(ok0, `7`)}, 400, ReasonBadRequest, "results[1]: json: cannot unmarshal number"},
		{"wrong field type", req{body: arr(ok0, ok1, resultJSON(t, 2, map[string]string{"http_status": `"403"`}))}, 400, ReasonBadRequest, "results[2]: json: cannot unmarshal string"},
		{"missing id", req{body: arr(ok0, ok1, ok1, ok1, ok1, ok1, ok1, ok1, ok1, ok1, ok1, ok1, resultJSON(t, 12, map[string]string{"id": ""}))}, 400, ReasonBadRequest, "results[12].id: required"},
		{"long id", req{body: arr(resultJSON(t, 0, map[string]string{"id": `"` + strings.Repeat("a", 65) + `"`}))}, 400, ReasonBadRequest, "results[0].id: longer than 64 bytes"},
		{"missing time", req{body: arr(ok0, resultJSON(t, 1, map[string]string{"time": ""}))}, 400, ReasonBadRequest, "results[1].time: required"},
		{"time out of range", req{body: arr(resultJSON(t, 0, map[string]string{"time": `"2400-01-01T00:00:00Z"`}))}, 400, ReasonBadRequest, "results[0].time: outside the years 1678 to 2262"},
		{"missing vantage", req{body: arr(resultJSON(t, 0, map[string]string{"vantage": ""}))}, 400, ReasonBadRequest, "results[0].vantage: required"},
		{"missing region", req{body: arr(resultJSON(t, 0, map[string]string{"region": ""}))}, 400, ReasonBadRequest, "results[0].region: required"},
		{"missing check", req{body: arr(resultJSON(t, 0, map[string]string{"check": ""}))}, 400, ReasonBadRequest, "results[0].check: required"},
		{"unknown class", req{body: arr(resultJSON(t, 0, map[string]string{"class": `"weird"`}))}, 400, ReasonBadRequest, `results[0].class: "weird" is not a known class`},
		{"vantage of another agent", req{body: arr(ok0, ok1, ok1, resultJSON(t, 3, map[string]string{"vantage": `"in-2"`}))}, 400, ReasonVantage, `results[3].vantage: "in-2" is not a vantage of agent "mumbai"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			a := e.do(t, tt.req)
			if a.status != tt.wantStatus {
				t.Fatalf("status %d, want %d; body %s", a.status, tt.wantStatus, a.body)
			}
			if msg := a.errMsg(t); !strings.Contains(msg, tt.wantMsg) {
				t.Errorf("error = %q, want it to contain %q", msg, tt.wantMsg)
			}
			if tt.wantStatus == 405 && a.header.Get("Allow") != http.MethodPost {
				t.Errorf("Allow = %q, want POST", a.header.Get("Allow"))
			}
			if n := e.count(t); n != 0 {
				t.Errorf("stored %d results from a refused batch", n)
			}
			if len(e.freshIDs(agentA)) != 0 {
				t.Error("OnFresh called for a refused batch")
			}
			s := e.h.Stats()
			if tt.wantReason == "" {
				if s.BadMethod != 1 {
					t.Errorf("BadMethod = %d, want 1", s.BadMethod)
				}
				return
			}
			if got := s.Agents[agentA].Rejected[tt.wantReason]; got != 1 {
				t.Errorf("Rejected[%s] = %d, want 1 (all: %v)", tt.wantReason, got, s.Agents[agentA].Rejected)
			}
		})
	}
}

// TestResultJSONEdits checks the test helper itself: an edit it cannot make would leave
// a test passing for the wrong reason.
func TestResultJSONEdits(t *testing.T) {
	var r model.Result
	s := resultJSON(t, 0, map[string]string{"id": "", "vantage": `"x"`, "http_status": `"403"`, "new": `1`})
	if strings.Contains(s, `"id":`) || !strings.Contains(s, `"vantage":"x"`) || !strings.Contains(s, `"http_status":"403"`) || !strings.Contains(s, `"new":1`) {
		t.Errorf("edits not applied: %s", s)
	}
	if err := jsonUnmarshalLoose(resultJSON(t, 0, map[string]string{"id": ""}), &r); err != nil {
		t.Errorf("removing a key broke the JSON: %v", err)
	}
}

func TestPushSizeLimits(t *testing.T) {
	const limit = 64 << 10 // decompressed limit: 512 KiB
	many := func(n int) []byte {
		var b bytes.Buffer
		b.WriteString("[")
		for i := range n {
			if i > 0 {
				b.WriteString(",")
			}
			b.Write(mustJSON(t, result(i, defaultVantageA)))
		}
		b.WriteString("]")
		return batchJSON(b.String())
	}
	big := many(300) // ~100 KiB: over the limit as is, well under it compressed
	if len(big) <= limit || len(gzipped(t, big)) >= limit {
		t.Fatalf("test body of %d bytes (%d compressed) does not straddle the limit", len(big), len(gzipped(t, big)))
	}
	tests := []struct {
		name       string
		limit      int64
		req        req
		wantStatus int
		wantMsg    string
	}{
		{"identity over the limit", limit, req{encoding: strp("identity"), body: big}, 413, "http: request body too large"},
		{"chunked identity over the limit", limit, req{encoding: strp("identity"), body: big, chunked: true}, 413, "http: request body too large"},
		{"gzip within both limits", limit, req{body: big}, 200, ""},
		{"gzip over the compressed limit", limit, req{raw: true, body: gzippedLevel(t, big, gzip.NoCompression), chunked: true}, 413, "http: request body too large"},
		{"gzip over the decompressed limit", 8 << 10, req{body: big}, 413, "decompressed body too large"},
		{"gzip bomb", limit, req{raw: true, body: gzipBomb(t, 64<<20)}, 413, "decompressed body too large"},
		{"too many results", 0, req{body: many(push.MaxResults + 1)}, 413, "results: more than 10000 in one batch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, func(o *Options) { o.MaxBodyBytes = tt.limit })
			a := e.do(t, tt.req)
			if a.status != tt.wantStatus {
				t.Fatalf("status %d, want %d; body %.300s", a.status, tt.wantStatus, a.body)
			}
			if tt.wantStatus == 200 {
				return
			}
			if msg := a.errMsg(t); !strings.Contains(msg, tt.wantMsg) {
				t.Errorf("error = %q, want it to contain %q", msg, tt.wantMsg)
			}
			if n := e.count(t); n != 0 {
				t.Errorf("stored %d results from a refused batch", n)
			}
			if got := e.h.Stats().Agents[agentA].Rejected[ReasonTooLarge]; got != 1 {
				t.Errorf("Rejected[too_large] = %d, want 1", got)
			}
		})
	}
}

// gzipBomb is a batch whose results array is followed by n bytes of whitespace: valid
// JSON of any size from a few kilobytes.
func gzipBomb(t *testing.T, n int) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = zw.Write([]byte(`{"agent":"mumbai","sent_at":"2026-03-01T11:59:58.5Z","results":[`))
	spaces := bytes.Repeat([]byte(" "), 1<<20)
	for range n >> 20 {
		_, _ = zw.Write(spaces)
	}
	_, _ = zw.Write([]byte(`]}`))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if buf.Len() > 1<<20 {
		t.Fatalf("bomb is %d bytes compressed", buf.Len())
	}
	return buf.Bytes()
}

func TestCapReaderStopsReading(t *testing.T) {
	src := &countingReader{}
	c := newCapReader(src, 1000)
	buf := make([]byte, 300)
	var total int
	var err error
	for range 100 {
		var n int
		n, err = c.Read(buf)
		total += n
		if err != nil {
			break
		}
	}
	if !errors.Is(err, errDecodedTooLarge) {
		t.Fatalf("err = %v, want errDecodedTooLarge", err)
	}
	if src.read != 1001 || total != 1001 {
		t.Errorf("read %d from the source (%d passed on), want exactly limit+1", src.read, total)
	}
	if n, err := c.Read(buf); n != 0 || !errors.Is(err, errDecodedTooLarge) {
		t.Errorf("Read after the limit = %d, %v", n, err)
	}
	exact := newCapReader(strings.NewReader(strings.Repeat("x", 1000)), 1000)
	if b, err := readAll(exact); err != nil || len(b) != 1000 {
		t.Errorf("a body of exactly the limit: %d bytes, %v", len(b), err)
	}
}

type countingReader struct{ read int }

func (c *countingReader) Read(p []byte) (int, error) {
	c.read += len(p)
	return len(p), nil
}

func gzippedLevel(t *testing.T, b []byte, level int) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, level)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = zw.Write(b)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
