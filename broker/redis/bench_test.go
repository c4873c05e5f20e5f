package redis_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fanout/fanout/broker"
	"github.com/fanout/fanout/broker/redis"
)

type countHandler struct{ n atomic.Int64 }

func (h *countHandler) Deliver(broker.Publication)   { h.n.Add(1) }
func (h *countHandler) TerminateUser(string, string) {}

// historyHandler keeps history (100 events, 5 min) for every channel.
type historyHandler struct{ countHandler }

func (h *historyHandler) HistoryFor(string, string) (broker.HistorySpec, bool) {
	return broker.HistorySpec{Size: 100, TTL: 5 * time.Minute}, true
}

// BenchmarkPublishRedis publishes through one node: the in-memory broker,
// and Redis one publication per call and in bursts of 10 (one pipeline
// each), with 16 concurrent publishers per CPU (rueidis pipelines
// their commands on one connection). It reports publications
// per second.
func BenchmarkPublishRedis(b *testing.B) {
	p := broker.Publication{App: "app-id", Channel: "bench", Event: "e", Data: `"{\"n\":1}"`}
	run := func(b *testing.B, br broker.Broker, burst int) {
		b.ReportAllocs()
		b.SetParallelism(16) // 16 publishers per CPU, like concurrent HTTP API calls
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			ps := make([]broker.Publication, burst) // Publish sets positions in it
			for i := range ps {
				ps[i] = p
			}
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
	b.Run("memory/history", func(b *testing.B) {
		m := broker.NewMemory()
		_ = m.Start(&historyHandler{})
		defer m.Close()
		run(b, m, 1)
	})
	srv := startRedis(b)
	for _, c := range []struct {
		name    string
		burst   int
		history bool
		heard   bool // another node subscribes to the channel
	}{{"redis/burst=1", 1, false, false}, {"redis/history/burst=1", 1, true, false}, {"redis/burst=10", 10, false, false},
		{"redis/history/burst=10", 10, true, false}, {"redis/heard/burst=1", 1, false, true}, {"redis/heard/burst=10", 10, false, true}} {
		b.Run(c.name, func(b *testing.B) {
			r, err := redis.New(redis.Options{URL: srv.URL(), Prefix: "bench"})
			if err != nil {
				b.Fatal(err)
			}
			defer r.Close()
			if c.heard {
				sub, err := redis.New(redis.Options{URL: srv.URL(), Prefix: "bench"})
				if err != nil {
					b.Fatal(err)
				}
				defer sub.Close()
				_ = sub.Start(&countHandler{})
				sub.Subscribe(p.App, p.Channel)
				for deadline := time.Now().Add(10 * time.Second); !sub.Listening(p.App, p.Channel); time.Sleep(10 * time.Millisecond) {
					if time.Now().After(deadline) {
						b.Fatal("subscriber not listening within 10s")
					}
				}
			}
			var h broker.Handler = &countHandler{}
			if c.history {
				h = &historyHandler{}
			}
			_ = r.Start(h)
			run(b, r, c.burst)
		})
	}
}
