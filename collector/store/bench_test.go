package store

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
)

// BenchmarkWrite measures Write with batches of 500 results whose shape resembles live
// traffic: times increasing, spread over 300 (provider, model, region) series. The
// figure that matters is results/s (target: at least 50,000 on 2 cores).
func BenchmarkWrite(b *testing.B) {
	s := openStore(b, Options{})
	benchmarkBatches(b, 500, func(ctx context.Context, batch []model.Result) error { return s.Write(ctx, batch) })
}

// BenchmarkInsert is BenchmarkWrite through Insert, in the collector's batch sizes: the
// ingest handler's (1000, from an agent) and a small one; and a replay, all duplicates.
func BenchmarkInsert(b *testing.B) {
	for _, size := range []int{1000, 100} {
		b.Run("batch="+strconv.Itoa(size), func(b *testing.B) {
			s := openStore(b, Options{})
			benchmarkBatches(b, size, func(ctx context.Context, batch []model.Result) error {
				fresh, err := s.Insert(ctx, batch)
				if err == nil && len(fresh) != len(batch) {
					err = fmt.Errorf("Insert returned %d fresh of %d", len(fresh), len(batch))
				}
				return err
			})
		})
	}
	b.Run("replay", func(b *testing.B) {
		s := openStore(b, Options{})
		batch := make([]model.Result, 1000)
		for i := range batch {
			batch[i] = uniqueResult(0, i)
		}
		ctx := context.Background()
		if err := s.Write(ctx, batch); err != nil {
			b.Fatal(err)
		}
		n := 0
		b.ReportAllocs()
		for b.Loop() {
			fresh, err := s.Insert(ctx, batch)
			if err != nil || len(fresh) != 0 {
				b.Fatalf("replay: %d fresh, %v", len(fresh), err)
			}
			n += len(batch)
		}
		b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "results/s")
	})
}

// benchmarkBatches calls write with batches of size results whose shape resembles live
// traffic: times increasing, spread over 300 (provider, model, region) series.
func benchmarkBatches(b *testing.B, size int, write func(context.Context, []model.Result) error) {
	providers := []string{"anthropic", "openai", "gemini", "mistral", "groq"}
	regions := []string{"in", "au", "de", "us", "br", "za"}
	ctx := context.Background()
	batch := make([]model.Result, size)
	for i := range batch {
		batch[i] = fullResult(i)
	}
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		for i := range batch {
			r := &batch[i]
			r.Time = base.Add(time.Duration(n) * time.Millisecond)
			r.ID = strconv.FormatInt(r.Time.UnixNano(), 16) // time-ordered, like model.NewID
			r.Provider = providers[n%len(providers)]
			r.Region = regions[(n/len(providers))%len(regions)]
			r.Model = "model-" + strconv.Itoa(n%10)
			n++
		}
		if err := write(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "results/s")
}
