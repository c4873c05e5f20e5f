package bench_test

import (
	"fmt"

	"github.com/fanout/fanout/bench"
)

// A Histogram records latencies in nanoseconds and answers quantiles
// within 1/64 of the true value.
func ExampleHistogram() {
	var h bench.Histogram
	for ms := int64(1); ms <= 100; ms++ {
		h.Record(ms * 1_000_000)
	}
	fmt.Printf("p50 %.1f ms, p99 %.1f ms, max %d ms\n",
		float64(h.Quantile(0.5))/1e6, float64(h.Quantile(0.99))/1e6, h.Max/1_000_000)
	// Output: p50 50.1 ms, p99 99.1 ms, max 100 ms
}
