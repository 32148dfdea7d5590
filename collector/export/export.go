// Package export streams stored results for journalists: CSV (stable, citable
// columns) and JSON Lines (the full model.Result), and the HTTP handler of
// GET /api/v1/results/export, whose query parameters ParseFilter also reads for the
// CLI's `accesswatch export`. Nothing is buffered whole: rows are written as the store
// yields them, so a month of data costs no more memory than a page.
package export

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"strconv"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
)

// Columns are the CSV header, in order. Journalists cite these names: only append.
func Columns() []string {
	return []string{"time", "received_at", "vantage", "region", "country", "egress_ip", "egress_asn",
		"provider", "model", "check", "method", "url", "http_status", "class", "layer", "access",
		"signature", "failure", "request_id", "edge_colo", "edge_region", "remote_ip", "tls_version",
		"cert_sha256", "total_ms", "excerpt", "result_id", "ended_at"}
}

// row fills rec (of len(Columns())) with r's values.
func row(rec []string, r *model.Result) {
	ts := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339Nano)
	}
	num := func(n int64) string {
		if n == 0 {
			return ""
		}
		return strconv.FormatInt(n, 10)
	}
	rec[0], rec[1] = ts(r.Time), ts(r.ReceivedAt)
	rec[2], rec[3], rec[4], rec[5] = r.Vantage, r.Region, r.Country, r.EgressIP
	rec[6] = num(int64(r.EgressASN))
	rec[7], rec[8], rec[9], rec[10], rec[11] = r.Provider, r.Model, r.Check, r.Method, r.URL
	rec[12] = num(int64(r.HTTPStatus))
	rec[13], rec[14], rec[15] = string(r.Class), string(r.Layer), string(r.Access)
	rec[16], rec[17], rec[18] = r.Signature, r.Failure, r.RequestID
	rec[19], rec[20], rec[21], rec[22], rec[23] = r.EdgeColo, r.EdgeRegion, r.RemoteIP, r.TLSVersion, r.CertSHA256
	rec[24] = strconv.FormatFloat(r.Timings.TotalMs, 'f', -1, 64)
	rec[25], rec[26] = r.Excerpt, r.ID
	rec[27] = ts(r.EndedAt) // when the answer or failure came; time is when the request started
}

// WriteCSV writes the header and then one row per result that next yields. next is
// called once, with the function to call for each result (store.Store.Export fits).
// When next fails, its error is returned and rows still buffered are not written.
func WriteCSV(w io.Writer, next func(func(model.Result) error) error) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(Columns()); err != nil {
		return err
	}
	rec := make([]string, len(Columns()))
	err := next(func(r model.Result) error {
		row(rec, &r)
		return cw.Write(rec) // an error of w surfaces here once csv's buffer fills
	})
	if err != nil {
		return err // what csv still buffers is dropped: the output is incomplete anyway
	}
	cw.Flush()
	return cw.Error()
}

// WriteJSONL writes each result that next yields as one JSON object on its own line.
func WriteJSONL(w io.Writer, next func(func(model.Result) error) error) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return next(func(r model.Result) error { return enc.Encode(&r) })
}
