package export

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/accesswatch/accesswatch/collector/store"
	"github.com/accesswatch/accesswatch/internal/httpjson"
	"github.com/accesswatch/accesswatch/internal/model"
)

// Formats.
const (
	FormatCSV   = "csv"
	FormatJSONL = "jsonl"
)

// DefaultWindow is how far back from reaches when it is not given.
const DefaultWindow = 24 * time.Hour

// ParamError is a bad query parameter.
type ParamError struct {
	Param string // the parameter's name
	Msg   string
}

func (e *ParamError) Error() string { return fmt.Sprintf("parameter %q: %s", e.Param, e.Msg) }

// ParseFilter reads provider, model, region, vantage, class, from, to and format from q.
// from and to are RFC 3339 times or a duration back from now ("30d", "24h", "90m");
// from defaults to 24 hours before now, to to no bound; format to csv. A bad parameter
// is a *ParamError naming it.
func ParseFilter(q url.Values, now time.Time) (store.Filter, string, error) {
	f := store.Filter{
		Provider: q.Get("provider"), Model: q.Get("model"), Region: q.Get("region"),
		Vantage: q.Get("vantage"), Class: q.Get("class"),
	}
	if f.Class != "" && !slices.Contains(model.Classes(), model.Class(f.Class)) {
		return store.Filter{}, "", &ParamError{"class", fmt.Sprintf("unknown class %q", f.Class)}
	}
	var err error
	f.Since = now.Add(-DefaultWindow)
	if v := q.Get("from"); v != "" {
		if f.Since, err = parseTime(v, now); err != nil {
			return store.Filter{}, "", &ParamError{"from", err.Error()}
		}
	}
	if v := q.Get("to"); v != "" {
		if f.Until, err = parseTime(v, now); err != nil {
			return store.Filter{}, "", &ParamError{"to", err.Error()}
		}
		if !f.Until.After(f.Since) {
			return store.Filter{}, "", &ParamError{"to", "must be after from"}
		}
	}
	format := q.Get("format")
	switch format {
	case "":
		format = FormatCSV
	case FormatCSV, FormatJSONL:
	default:
		return store.Filter{}, "", &ParamError{"format", fmt.Sprintf("%q is not csv or jsonl", format)}
	}
	return f, format, nil
}

// parseTime reads an RFC 3339 time, or a positive duration back from now: Go's
// ("24h", "90m") or whole days ("30d").
func parseTime(v string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t.UTC(), nil
	}
	var d time.Duration
	if days, ok := strings.CutSuffix(v, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n <= 0 || n > 36500 {
			return time.Time{}, fmt.Errorf("%q is neither an RFC 3339 time nor a duration like 30d or 24h", v)
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(v); err != nil || d <= 0 {
			return time.Time{}, fmt.Errorf("%q is neither an RFC 3339 time nor a duration like 30d or 24h", v)
		}
	}
	return now.Add(-d).UTC(), nil
}

// Source is what the handler exports from; *store.Store is one.
type Source interface {
	Export(ctx context.Context, f store.Filter, fn func(model.Result) error) error
}

// flushEvery is how many bytes the handler writes between flushes to the client.
const flushEvery = 32 << 10

// Handler serves GET /api/v1/results/export (see ParseFilter for the parameters): the
// matching results oldest first, as an attachment, written and flushed as the source
// yields them. A bad parameter is a 400 with a JSON body naming it. A failure before
// anything was sent is a 500; after, the connection is aborted, so that the client sees
// a truncated download rather than a complete-looking file.
func Handler(src Source, now func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeError(w, http.StatusMethodNotAllowed, "", "method not allowed")
			return
		}
		t := now().UTC()
		f, format, err := ParseFilter(r.URL.Query(), t)
		if err != nil {
			var pe *ParamError
			if errors.As(err, &pe) {
				writeError(w, http.StatusBadRequest, pe.Param, err.Error())
				return
			}
			writeError(w, http.StatusBadRequest, "", err.Error())
			return
		}
		h := w.Header()
		write, ext := WriteCSV, "csv"
		h.Set("Content-Type", "text/csv; charset=utf-8")
		if format == FormatJSONL {
			write, ext = WriteJSONL, "jsonl"
			h.Set("Content-Type", "application/x-ndjson")
		}
		h.Set("Content-Disposition", `attachment; filename="`+Filename(f, t, ext)+`"`)
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		if r.Method == http.MethodHead {
			return
		}
		fw := &flushWriter{w: w}
		fw.flusher, _ = w.(http.Flusher)
		err = write(fw, func(fn func(model.Result) error) error { return src.Export(r.Context(), f, fn) })
		if err == nil {
			err = fw.flush()
		}
		if err != nil {
			if fw.n == 0 && r.Context().Err() == nil {
				h.Del("Content-Disposition")
				writeError(w, http.StatusInternalServerError, "", "export failed")
				return
			}
			panic(http.ErrAbortHandler) // net/http closes the connection without logging
		}
	})
}

// flushWriter passes writes to the client, flushing every flushEvery bytes so the
// download progresses while the source is read.
type flushWriter struct {
	w       io.Writer
	flusher http.Flusher
	n       int64 // bytes written
	pending int   // since the last flush
}

func (f *flushWriter) Write(p []byte) (int, error) {
	n, err := f.w.Write(p)
	f.n += int64(n)
	f.pending += n
	if err == nil && f.pending >= flushEvery {
		err = f.flush()
	}
	return n, err
}

func (f *flushWriter) flush() error {
	f.pending = 0
	if f.flusher == nil {
		return nil
	}
	if rc, ok := f.flusher.(interface{ FlushError() error }); ok {
		return rc.FlushError()
	}
	f.flusher.Flush()
	return nil
}

// Filename names an export by what it holds: provider, model and dates, such as
// accesswatch_anthropic_claude-x_2026-02-28_2026-03-01.csv. to defaults to now.
func Filename(f store.Filter, now time.Time, ext string) string {
	part := func(s string) string {
		if s == "" {
			return "all"
		}
		return strings.Map(func(r rune) rune {
			switch {
			case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-':
				return r
			}
			return '-'
		}, s)
	}
	to := f.Until
	if to.IsZero() {
		to = now
	}
	return fmt.Sprintf("accesswatch_%s_%s_%s_%s.%s", part(f.Provider), part(f.Model),
		f.Since.UTC().Format("2006-01-02"), to.UTC().Format("2006-01-02"), ext)
}

// writeError answers {"error":msg,"param":param} (param when not empty), not to be cached.
func writeError(w http.ResponseWriter, status int, param, msg string) {
	w.Header().Set("Cache-Control", "no-store")
	httpjson.WriteJSON(w, status, httpjson.Error{Error: msg, Param: param})
}
