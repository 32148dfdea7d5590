package store

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/accesswatch/accesswatch/internal/model"
)

// BenchmarkWrite measures Write with batches of 500 results whose shape resembles live
// traffic: times increasing, spread over 300 (provider, model, region) series. The
// figure that matters is results/s (target: at least 50,000 on 2 cores).
func BenchmarkWrite(b *testing.B) {
	const batchSize = 500
	providers := []string{"anthropic", "openai", "gemini", "mistral", "groq"}
	regions := []string{"in", "au", "de", "us", "br", "za"}
	s := openStore(b, Options{})
	ctx := context.Background()
	batch := make([]model.Result, batchSize)
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
		if err := s.Write(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "results/s")
}
