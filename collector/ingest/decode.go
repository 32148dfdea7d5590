package ingest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/accesswatch/accesswatch/internal/model"
	"github.com/accesswatch/accesswatch/internal/push"
)

// maxIDLen bounds a result id: model.NewID makes 32 characters.
const maxIDLen = 64

// errDecodedTooLarge is returned once a decompressed body passes its limit.
var errDecodedTooLarge = errors.New("decompressed body too large")

// errTooManyResults is returned once a batch passes push.MaxResults.
var errTooManyResults = fmt.Errorf("results: more than %d in one batch", push.MaxResults)

// capReader reads from r and fails with errDecodedTooLarge once more than limit bytes came
// through; it stops reading r there, so a gzip bomb costs at most limit+1 bytes of work.
type capReader struct {
	r    io.Reader
	left int64 // limit+1 minus what was read
}

func newCapReader(r io.Reader, limit int64) *capReader {
	return &capReader{r: r, left: limit + 1}
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, errDecodedTooLarge
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	if c.left <= 0 {
		return n, errDecodedTooLarge
	}
	return n, err
}

// decodeBatch reads one push.Batch from r as a stream: results are decoded one by one, so
// a batch over maxResults is refused as soon as its excess result starts, and an error
// names the result it is in. Unknown keys are skipped (a newer agent may send more); a
// repeated key, trailing data or a body that is not an object are errors.
func decodeBatch(r io.Reader, maxResults int) (push.Batch, error) {
	var b push.Batch
	dec := json.NewDecoder(r)
	if err := expectDelim(dec, '{', "body"); err != nil {
		return b, err
	}
	seen := make(map[string]bool, 3)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return b, fmt.Errorf("body: %w", unexpectedEOF(err))
		}
		key, _ := tok.(string) // inside an object, More and Token guarantee a string key
		if seen[key] {
			return b, fmt.Errorf("%s: repeated key", quoteKey(key))
		}
		seen[key] = true
		switch key {
		case "agent":
			err = dec.Decode(&b.Agent)
		case "sent_at":
			err = dec.Decode(&b.SentAt)
		case "results":
			b.Results, err = decodeResults(dec, maxResults)
			if err != nil {
				return b, err
			}
		default:
			var skip json.RawMessage
			err = dec.Decode(&skip)
		}
		if err != nil {
			return b, fmt.Errorf("%s: %w", quoteKey(key), unexpectedEOF(err))
		}
	}
	if err := expectDelim(dec, '}', "body"); err != nil {
		return b, err
	}
	// Reading to the end also makes a gzip reader check its checksum.
	if _, err := dec.Token(); err != io.EOF {
		if err == nil {
			return b, errors.New("body: data after the batch object")
		}
		return b, fmt.Errorf("body: %w", err)
	}
	return b, nil
}

func decodeResults(dec *json.Decoder, maxResults int) ([]model.Result, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("results: %w", unexpectedEOF(err))
	}
	if tok == nil {
		return nil, nil // null
	}
	if tok != json.Delim('[') {
		return nil, fmt.Errorf("results: want an array, got %v", describe(tok))
	}
	rs := make([]model.Result, 0, 256)
	for dec.More() {
		if len(rs) == maxResults {
			return nil, errTooManyResults
		}
		rs = append(rs, model.Result{})
		if err := dec.Decode(&rs[len(rs)-1]); err != nil {
			return nil, fmt.Errorf("results[%d]: %w", len(rs)-1, unexpectedEOF(err))
		}
	}
	if err := expectDelim(dec, ']', "results"); err != nil {
		return nil, err
	}
	return rs, nil
}

func expectDelim(dec *json.Decoder, want json.Delim, where string) error {
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("%s: %w", where, unexpectedEOF(err))
	}
	if tok != want {
		return fmt.Errorf("%s: want %q, got %v", where, want, describe(tok))
	}
	return nil
}

// unexpectedEOF turns the end of the body inside the batch into io.ErrUnexpectedEOF.
func unexpectedEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// describe names a JSON token without echoing much of it.
func describe(tok json.Token) string {
	switch v := tok.(type) {
	case nil:
		return "null"
	case json.Delim:
		return fmt.Sprintf("%q", string(v))
	case string:
		return "a string"
	case bool:
		return "a boolean"
	default:
		return "a number"
	}
}

// quoteKey quotes a key for an error message, bounded: keys come from the request.
func quoteKey(k string) string {
	if len(k) > 40 {
		k = k[:40] + "…"
	}
	return fmt.Sprintf("%q", k)
}

// statusOf maps a decoding error to its HTTP status and reason.
func statusOf(err error) (int, Reason) {
	var maxBytes *http.MaxBytesError
	var media *mediaError
	switch {
	case errors.As(err, &media):
		return http.StatusUnsupportedMediaType, ReasonMediaType
	case errors.As(err, &maxBytes), errors.Is(err, errDecodedTooLarge), errors.Is(err, errTooManyResults):
		return http.StatusRequestEntityTooLarge, ReasonTooLarge
	default:
		return http.StatusBadRequest, ReasonBadRequest
	}
}

// minTime and maxTime bound what the store can order (int64 Unix nanoseconds).
func minTime() time.Time { return time.Unix(0, math.MinInt64) }
func maxTime() time.Time { return time.Unix(0, math.MaxInt64) }

// classSet is model.Classes() as a set.
func classSet() map[model.Class]bool {
	m := make(map[model.Class]bool)
	for _, c := range model.Classes() {
		m[c] = true
	}
	return m
}

// validateResult checks what the collector needs to store, key and aggregate a result, and
// that its vantage, region and country are the configuration's. The error names the field,
// as results[i].field.
func validateResult(i int, r *model.Result, agent *agentConf, classes map[model.Class]bool, tr *trust) error {
	field := func(name, format string, args ...any) error {
		return fmt.Errorf("results[%d].%s: "+format, append([]any{i, name}, args...)...)
	}
	switch {
	case r.ID == "":
		return field("id", "required")
	case len(r.ID) > maxIDLen:
		return field("id", "longer than %d bytes", maxIDLen)
	case !utf8.ValidString(r.ID):
		return field("id", "not valid UTF-8")
	case r.Time.IsZero():
		return field("time", "required")
	case r.Time.Before(minTime()) || r.Time.After(maxTime()):
		return field("time", "outside the years 1678 to 2262")
	case r.Vantage == "":
		return field("vantage", "required")
	case agent.vantages != nil && !agent.vantages[r.Vantage]:
		return &vantageError{field("vantage", "%s is not a vantage of agent %q", quoteKey(r.Vantage), agent.id)}
	case r.Region == "":
		return field("region", "required")
	}
	if err := tr.identity(i, r, field); err != nil {
		return err
	}
	switch {
	case r.Check == "":
		return field("check", "required")
	case !classes[r.Class]:
		return field("class", "%s is not a known class", quoteKey(string(r.Class)))
	}
	return nil
}

// vantageError marks a result from a vantage the agent may not report for: a
// configuration mismatch between agent and collector, counted apart from malformed input.
type vantageError struct{ error }

func (e *vantageError) Unwrap() error { return e.error }
