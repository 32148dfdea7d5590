// Package ingestload is a load generator for the collector's push endpoint: it builds
// gzip-compressed batches of synthetic results, as an agent would send them, then posts
// them from concurrent clients and reports throughput and latency. Bodies are built before
// the clock starts, so the figure measures the collector, not the generator.
package ingestload

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
	"github.com/accesswatch/accesswatch/internal/push"
)

// Report is the outcome of a load run.
type Report struct {
	Batches    int   // batches acknowledged (200)
	Results    int   // results in acknowledged batches
	Accepted   int   // results the collector stored now
	Duplicates int   // results it already had
	Refused    int   // results it refused (not in its configuration or outside its time window)
	Failed     int   // requests that failed or were answered with an error
	FirstError error // of the first failed request
	BytesSent  int64 // compressed bodies of acknowledged batches

	Prepare       time.Duration // building and compressing the bodies, before the clock starts
	Duration      time.Duration // from the first request to the last answer
	ResultsPerSec float64       // Results / Duration
	LatencyP50    time.Duration // per request
	LatencyP99    time.Duration
	LatencyMax    time.Duration
}

func (r Report) String() string {
	return fmt.Sprintf("%d results in %d batches in %v: %.0f results/s (accepted %d, duplicates %d, refused %d, failed requests %d; "+
		"latency p50 %v p99 %v max %v; %.1f MB sent; bodies built in %v)",
		r.Results, r.Batches, r.Duration.Round(time.Millisecond), r.ResultsPerSec, r.Accepted, r.Duplicates, r.Refused, r.Failed,
		r.LatencyP50.Round(time.Microsecond), r.LatencyP99.Round(time.Microsecond), r.LatencyMax.Round(time.Microsecond),
		float64(r.BytesSent)/1e6, r.Prepare.Round(time.Millisecond))
}

// Run posts total synthetic results in batches of batch from concurrency clients to url
// (the collector's base URL, or its push URL) as agent with token. The results have fresh
// ids, so repeated runs against one collector store everything. It returns an error for
// bad arguments, and, with the full report, when any request failed.
func Run(ctx context.Context, url, token, agent string, concurrency, batch, total int) (Report, error) {
	if concurrency <= 0 || batch <= 0 || total <= 0 {
		return Report{}, fmt.Errorf("ingestload: concurrency (%d), batch (%d) and total (%d) must be positive",
			concurrency, batch, total)
	}
	start := time.Now()
	// Dated up to now, one millisecond apart: within a collector's time window.
	bodies, err := Bodies(agent, batch, total, start.Add(-time.Duration(total)*time.Millisecond))
	if err != nil {
		return Report{}, err
	}
	prepare := time.Since(start)
	client := NewClient(concurrency)
	defer client.CloseIdleConnections()
	rep, err := Post(ctx, client, url, token, agent, concurrency, bodies)
	rep.Prepare = prepare
	return rep, err
}

// Body is one compressed push request body.
type Body struct {
	Data    []byte
	Results int
}

// Bodies builds the gzip-compressed push bodies of total synthetic results (see
// Synthetic), batch to a body, timed from start on.
func Bodies(agent string, batch, total int, start time.Time) ([]Body, error) {
	var out []Body
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if err != nil {
		return nil, err
	}
	for done := 0; done < total; done += batch {
		n := min(batch, total-done)
		b := push.Batch{Agent: agent, SentAt: time.Now(), Results: Synthetic(done, n, start)}
		buf.Reset()
		zw.Reset(&buf)
		if err := json.NewEncoder(zw).Encode(&b); err != nil {
			return nil, fmt.Errorf("ingestload: encode batch: %w", err)
		}
		if err := zw.Close(); err != nil {
			return nil, fmt.Errorf("ingestload: compress batch: %w", err)
		}
		out = append(out, Body{Data: bytes.Clone(buf.Bytes()), Results: n})
	}
	return out, nil
}

// The fleet Synthetic results come from: a collector accepts them only when its
// configuration lists these vantages and models (ConfigYAML).
var (
	synthProviders = []string{"anthropic", "openai", "gemini", "mistral", "groq"}
	synthRegions   = []string{"in", "au", "de", "us", "br", "za"}
)

const synthModels = 10

// Fleet is the vantages (id, region, country) and the models of each provider Synthetic
// results name, as ConfigYAML writes them.
func Fleet() (vantages []struct{ ID, Region, Country string }, models map[string][]string) {
	for _, r := range synthRegions {
		vantages = append(vantages, struct{ ID, Region, Country string }{"load-" + r, r, strings.ToUpper(r)})
	}
	models = make(map[string][]string)
	for _, p := range synthProviders {
		for i := range synthModels {
			models[p] = append(models[p], fmt.Sprintf("%s-model-%d", p, i))
		}
	}
	return vantages, models
}

// ConfigYAML is the vantages and providers sections a collector needs to accept Synthetic
// results: vantage "load-<region>" in each region (country its upper case) and models
// "<provider>-model-<0…9>" of five providers.
func ConfigYAML() string {
	var b strings.Builder
	b.WriteString("vantages:\n")
	for _, r := range synthRegions {
		fmt.Fprintf(&b, "  - { id: load-%s, region: %s, country: %s }\n", r, r, strings.ToUpper(r))
	}
	b.WriteString("providers:\n")
	for _, p := range synthProviders {
		models := make([]string, synthModels)
		for i := range models {
			models[i] = fmt.Sprintf("%s-model-%d", p, i)
		}
		kind := p
		if p == "groq" {
			fmt.Fprintf(&b, "  - { id: %s, kind: openai_compatible, base_url: \"https://api.groq.com/openai/v1\", models: [%s] }\n", p, strings.Join(models, ", "))
			continue
		}
		fmt.Fprintf(&b, "  - { id: %s, kind: %s, models: [%s] }\n", p, kind, strings.Join(models, ", "))
	}
	return b.String()
}

// Synthetic returns n results numbered from first on, one millisecond apart from start,
// spread like live traffic over 5 providers, 10 models, 6 regions (vantages "load-<region>")
// and a mix of classes, most of them ok. Each has a fresh model.NewID.
func Synthetic(first, n int, start time.Time) []model.Result {
	providers, regions := synthProviders, synthRegions
	classes := []model.Class{model.ClassOK, model.ClassOK, model.ClassOK, model.ClassOK, model.ClassGeoBlocked,
		model.ClassOK, model.ClassOK, model.ClassRateLimited, model.ClassOK, model.ClassTimeout}
	rs := make([]model.Result, n)
	for k := range rs {
		i := first + k
		t := start.Add(time.Duration(i) * time.Millisecond)
		provider, region, class := providers[i%5], regions[(i/5)%6], classes[(i/30)%10]
		status, layer := 200, model.LayerAPI
		switch class {
		case model.ClassGeoBlocked:
			status = 403
		case model.ClassRateLimited:
			status = 429
		case model.ClassTimeout:
			status, layer = 0, model.LayerTCP
		}
		rs[k] = model.Result{
			ID: model.NewID(t), SchemaVersion: model.SchemaVersion, Time: t, ScheduledAt: t.Add(-time.Millisecond),
			Vantage: "load-" + region, Region: region, Country: strings.ToUpper(region), Provider: provider,
			Kind: provider, Model: fmt.Sprintf("%s-model-%d", provider, i%synthModels), Check: model.CheckGenerate,
			Method: http.MethodPost, URL: "https://api." + provider + ".example/v1/messages", HTTPStatus: status,
			Classification: model.Classification{Layer: layer, Class: class, Access: model.AccessOf(class),
				Signature: fmt.Sprintf("%s/%d/%s", provider, status, class)},
			Timings:  model.Timings{DNSMs: 1.5, ConnectMs: 12.25, TLSMs: 20.5, FirstByteMs: 180, TotalMs: 181.75},
			RemoteIP: "192.0.2.10", TLSVersion: "TLS 1.3", CertSHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
			RequestID: fmt.Sprintf("req_%012d", i), EdgeColo: "BOM",
			Excerpt:  `{"type":"error","error":{"type":"permission_error","message":"Request not allowed"}}`,
			EgressIP: "198.51.100.7", EgressASN: 64500,
		}
	}
	return rs
}

// NewClient returns an HTTP client that keeps one connection per concurrent poster.
func NewClient(concurrency int) *http.Client {
	return &http.Client{
		Timeout: time.Minute,
		Transport: &http.Transport{
			MaxIdleConnsPerHost: concurrency,
			DisableCompression:  true,
			IdleConnTimeout:     time.Minute,
		},
	}
}

// Post sends bodies to url from concurrency goroutines, each body once, and reports.
// It returns an error when ctx ended early or any request failed.
func Post(ctx context.Context, client *http.Client, url, token, agent string, concurrency int, bodies []Body) (Report, error) {
	if !strings.HasSuffix(url, push.Path) {
		url = strings.TrimSuffix(url, "/") + push.Path
	}
	var (
		next      atomic.Int64
		mu        sync.Mutex
		rep       Report
		latencies = make([]time.Duration, 0, len(bodies))
		wg        sync.WaitGroup
	)
	start := time.Now()
	for range max(concurrency, 1) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= len(bodies) {
					return
				}
				t0 := time.Now()
				resp, err := post(ctx, client, url, token, agent, bodies[i].Data)
				d := time.Since(t0)
				mu.Lock()
				latencies = append(latencies, d)
				if err != nil {
					rep.Failed++
					if rep.FirstError == nil {
						rep.FirstError = fmt.Errorf("batch %d: %w", i, err)
					}
				} else {
					rep.Batches++
					rep.Results += bodies[i].Results
					rep.Accepted += resp.Accepted
					rep.Duplicates += resp.Duplicates
					rep.Refused += resp.Refused
					rep.BytesSent += int64(len(bodies[i].Data))
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	rep.Duration = time.Since(start)
	if rep.Duration > 0 {
		rep.ResultsPerSec = float64(rep.Results) / rep.Duration.Seconds()
	}
	if len(latencies) > 0 {
		slices.Sort(latencies)
		rep.LatencyP50 = latencies[len(latencies)/2]
		rep.LatencyP99 = latencies[min(len(latencies)-1, len(latencies)*99/100)]
		rep.LatencyMax = latencies[len(latencies)-1]
	}
	switch {
	case ctx.Err() != nil:
		return rep, fmt.Errorf("ingestload: stopped after %d batches: %w", rep.Batches, ctx.Err())
	case rep.Failed > 0:
		return rep, fmt.Errorf("ingestload: %d of %d requests failed; first: %w", rep.Failed, len(bodies), rep.FirstError)
	}
	return rep, nil
}

func post(ctx context.Context, client *http.Client, url, token, agent string, body []byte) (push.Response, error) {
	var out push.Response
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return out, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Content-Encoding", "gzip")
	req.Header.Set(push.HeaderAgent, agent)
	resp, err := client.Do(req)
	if err != nil {
		return out, err
	}
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return out, err
	}
	if resp.StatusCode != http.StatusOK {
		var e push.Error
		_ = json.Unmarshal(data, &e)
		return out, fmt.Errorf("HTTP %d: %s", resp.StatusCode, e.Error)
	}
	if err := json.Unmarshal(data, &out); err != nil {
		return out, errors.New("undecodable answer: " + err.Error())
	}
	return out, nil
}
