package console

import (
	"bytes"
	"testing"
	"time"

	"github.com/fanout/fanout/metrics"
)

// BenchmarkSample is what the console costs a node nobody watches: one
// sample a second (read the fanout_ series, parse them, keep the
// figures).
func BenchmarkSample(b *testing.B) {
	m := metrics.New()
	for _, app := range []string{"a", "b", "c"} {
		m.AddApp(app)
		m.ConnectionOpened(app)
	}
	m.ObserveFanout(time.Millisecond)
	s := newSampler("n", 300, func(w *bytes.Buffer) { m.WriteSeries(w) }, func() error { return nil })
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		now = now.Add(time.Second)
		s.take(now)
	}
}

// TestSampleFigures: a sample reads connections by app, rates between
// two samples and the latency of the batches in between.
func TestSampleFigures(t *testing.T) {
	m := metrics.New()
	m.AddApp("a")
	m.ConnectionOpened("a")
	m.ConnectionOpened("a")
	s := newSampler("n", 3, func(w *bytes.Buffer) { m.WriteSeries(w) }, func() error { return nil })
	t0 := time.Unix(100, 0)
	first := s.take(t0)
	if first.Connections != 2 || first.ByApp["a"] != 2 || first.LatencyP50 != nil {
		t.Fatalf("first sample %+v", first)
	}
	m.MessagesOut(50, 5000)
	for range 10 {
		m.ObserveFanout(300 * time.Microsecond)
	}
	next := s.take(t0.Add(2 * time.Second))
	if next.DeliveriesPerS != 25 || next.BytesOutPerS != 2500 {
		t.Fatalf("rates %v deliveries/s, %v B/s; want 25 and 2500", next.DeliveriesPerS, next.BytesOutPerS)
	}
	if next.LatencyP50 == nil || *next.LatencyP50 <= 0 || *next.LatencyP50 > 0.4 {
		t.Fatalf("p50 %v ms, want within the 0.2-0.4 ms bucket", next.LatencyP50)
	}
	for range 3 {
		s.take(t0.Add(3 * time.Second))
	}
	if n := len(s.kept.all()); n != 3 {
		t.Fatalf("kept %d samples, want the bound 3", n)
	}
}
