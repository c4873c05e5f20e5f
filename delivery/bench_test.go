package delivery

import (
	"context"
	"testing"
)

// BenchmarkFanout10kSubscribers measures the engine's own cost of
// writing one event to a channel of 10,000 subscribers (split over the
// helpers), with a sink that only counts: no encoding, no syscalls.
// Compare with pusher's BenchmarkPublish10kSubscribers, which writes to
// real sockets.
func BenchmarkFanout10kSubscribers(b *testing.B) {
	const subscribers = 10000
	k := &sink{}
	e, hub := testEngine(b, k, Options{})
	subscribe(hub, "ch", subscribers)
	e.Start()
	evs := []*msg{newMsg("ch", 0, 100)}
	var bt batch[*sub]
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		e.deliverBatch(&bt, key("ch"), evs)
	}
	b.ReportMetric(float64(k.frames.Load())/b.Elapsed().Seconds(), "deliveries/s")
}

// BenchmarkOfferAndDeliver measures an event's way through the queues:
// Offer, a worker's batch, a write to each of 8 subscribers.
func BenchmarkOfferAndDeliver(b *testing.B) {
	k := &sink{}
	e, hub := testEngine(b, k, Options{})
	subscribe(hub, "ch", 8)
	e.Start()
	m := newMsg("ch", 0, 100)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := e.Offer(context.Background(), key("ch"), m, len(m.b)); err != nil {
			b.Fatal(err)
		}
	}
	written(b, e)
}
