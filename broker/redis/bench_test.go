package redis_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/fanout/fanout/broker"
	"github.com/fanout/fanout/broker/redis"
)

type countHandler struct{ n atomic.Int64 }

func (h *countHandler) Deliver(broker.Publication)   { h.n.Add(1) }
func (h *countHandler) TerminateUser(string, string) {}

// BenchmarkPublishRedis publishes through one node: the in-memory broker,
// and Redis one publication per call and in bursts of 10 (one pipeline
// each), with 16 concurrent publishers per CPU (rueidis pipelines
// their commands on one connection). It reports publications
// per second.
func BenchmarkPublishRedis(b *testing.B) {
	p := broker.Publication{App: "app-id", Channel: "bench", Event: "e", Data: `"{\"n\":1}"`}
	run := func(b *testing.B, br broker.Broker, burst int) {
		ps := make([]broker.Publication, burst)
		for i := range ps {
			ps[i] = p
		}
		b.ReportAllocs()
		b.SetParallelism(16) // 16 publishers per CPU, like concurrent HTTP API calls
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := br.Publish(context.Background(), ps...); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N*burst)/b.Elapsed().Seconds(), "pubs/s")
	}
	b.Run("memory", func(b *testing.B) {
		m := broker.NewMemory()
		_ = m.Start(&countHandler{})
		run(b, m, 1)
	})
	srv := startRedis(b)
	for _, burst := range []int{1, 10} {
		name := "redis/burst=1"
		if burst == 10 {
			name = "redis/burst=10"
		}
		b.Run(name, func(b *testing.B) {
			r, err := redis.New(redis.Options{URL: srv.URL(), Prefix: "bench"})
			if err != nil {
				b.Fatal(err)
			}
			defer r.Close()
			_ = r.Start(&countHandler{})
			run(b, r, burst)
		})
	}
}
