package bench

import (
	"math/rand/v2"
	"sort"
	"testing"
)

func TestHistIndexBounds(t *testing.T) {
	for _, v := range []int64{0, 1, 127, 128, 129, 255, 256, 1000, 1 << 20, 123456789, 1 << 62} {
		lo, hi := histBounds(histIndex(v))
		if v < lo || v > hi {
			t.Fatalf("value %d outside its bucket [%d,%d]", v, lo, hi)
		}
		if v >= 128 && float64(hi-lo) > float64(v)/64 {
			t.Fatalf("bucket of %d too wide: [%d,%d]", v, lo, hi)
		}
	}
	// Buckets are contiguous: the next bucket starts one past this one.
	for i := 0; i < histBuckets-1; i++ {
		_, hi := histBounds(i)
		lo, _ := histBounds(i + 1)
		if lo != hi+1 {
			t.Fatalf("gap between bucket %d (hi %d) and %d (lo %d)", i, hi, i+1, lo)
		}
	}
}

func TestQuantileExactSmall(t *testing.T) {
	var h Histogram
	for v := int64(1); v <= 100; v++ {
		h.Record(v)
	}
	for _, c := range []struct {
		q    float64
		want int64
	}{{0.5, 50}, {0.9, 90}, {0.99, 99}, {1, 100}, {0, 1}} {
		if got := h.Quantile(c.q); got != c.want {
			t.Errorf("q%.2f = %d, want %d", c.q, got, c.want)
		}
	}
	if h.Min != 1 || h.Max != 100 || h.Mean() != 50.5 {
		t.Errorf("min %d max %d mean %f", h.Min, h.Max, h.Mean())
	}
}

func TestQuantileRelativeError(t *testing.T) {
	var h Histogram
	r := rand.New(rand.NewPCG(1, 2))
	vals := make([]int64, 20000)
	for i := range vals {
		vals[i] = int64(r.ExpFloat64() * 2e6) // ~2 ms mean latencies in ns
		h.Record(vals[i])
	}
	sort.Slice(vals, func(i, j int) bool { return vals[i] < vals[j] })
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999} {
		exact := vals[int(q*float64(len(vals)))-1]
		got := h.Quantile(q)
		if d := float64(got-exact) / float64(exact); d > 0.02 || d < -0.02 {
			t.Errorf("q%v: got %d exact %d (%.3f off)", q, got, exact, d)
		}
	}
}

func TestMergeAndSparse(t *testing.T) {
	var a, b Histogram
	for v := int64(0); v < 1000; v++ {
		a.Record(v * 1000)
		b.Record(v*1000 + 500000)
	}
	c := *b.toSparse().histogram()
	a.Merge(&c)
	if a.Total != 2000 || a.Min != 0 || a.Max != 999*1000+500000 {
		t.Fatalf("merged total %d min %d max %d", a.Total, a.Min, a.Max)
	}
	if got := a.Quantile(0.5); got < 740000 || got > 760000 {
		t.Fatalf("merged median %d", got)
	}
}
