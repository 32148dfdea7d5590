// Package loadtest is a small closed-loop HTTP load generator for loopback benchmarks: a fixed
// number of workers on keep-alive connections request a list of URLs round-robin for a fixed
// duration and report the rate and latency percentiles.
package loadtest

import (
	"context"
	"io"
	"net"
	"net/http"
	"sort"
	"sync"
	"time"
)

// Report is the outcome of one Run.
type Report struct {
	Requests int64         // completed requests (including failed ones)
	Errors   int64         // transport errors and statuses other than 2xx/304
	RPS      float64       // Requests per second of wall time
	P50      time.Duration // median latency
	P99      time.Duration // 99th-percentile latency
	Elapsed  time.Duration
}

// Run requests urls round-robin from concurrency workers until d has passed or ctx ends.
func Run(ctx context.Context, urls []string, concurrency int, d time.Duration) Report {
	return RunWith(ctx, urls, concurrency, d, false)
}

// RunWith is Run; with gzip set the client asks for gzip bodies (and counts their bytes).
func RunWith(ctx context.Context, urls []string, concurrency int, d time.Duration, gzip bool) Report {
	if len(urls) == 0 || concurrency <= 0 || d <= 0 {
		return Report{}
	}
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        concurrency * 2,
		MaxIdleConnsPerHost: concurrency * 2,
		MaxConnsPerHost:     concurrency,
		DisableCompression:  !gzip,
		IdleConnTimeout:     30 * time.Second,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}

	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	type result struct {
		lat  []time.Duration
		errs int64
	}
	results := make([]result, concurrency)
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < concurrency; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			res := &results[w]
			res.lat = make([]time.Duration, 0, 4096)
			for i := w; ctx.Err() == nil; i++ {
				t0 := time.Now()
				ok := get(ctx, client, urls[i%len(urls)])
				if ctx.Err() != nil && !ok {
					break // cut off by the deadline: not a server failure
				}
				res.lat = append(res.lat, time.Since(t0))
				if !ok {
					res.errs++
				}
			}
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(start)
	var all []time.Duration
	var rep Report
	for _, r := range results {
		all = append(all, r.lat...)
		rep.Errors += r.errs
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	rep.Requests = int64(len(all))
	rep.Elapsed = elapsed
	rep.RPS = float64(rep.Requests) / elapsed.Seconds()
	rep.P50, rep.P99 = percentile(all, 50), percentile(all, 99)
	return rep
}

func get(ctx context.Context, c *http.Client, url string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false
	}
	resp, err := c.Do(req)
	if err != nil {
		return false
	}
	_, err = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return err == nil && (resp.StatusCode/100 == 2 || resp.StatusCode == http.StatusNotModified)
}

// percentile of sorted latencies (nearest rank).
func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p+99)/100 - 1
	if i < 0 {
		i = 0
	}
	return sorted[i]
}
