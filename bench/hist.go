package bench

import (
	"math"
	"math/bits"
)

// Histogram is a log-linear histogram of non-negative int64 values
// (nanoseconds here): exact below 128, then 64 sub-buckets per power of
// two, so any recorded value is reported within 1/64 (1.6%) of itself.
// The zero value is ready to use. Not safe for concurrent use.
type Histogram struct {
	Counts [histBuckets]uint64 `json:"-"`
	Total  uint64              `json:"total"`
	Min    int64               `json:"min"`
	Max    int64               `json:"max"`
	Sum    float64             `json:"sum"`
}

const (
	histSubBits = 7
	histHalf    = 1 << (histSubBits - 1)                 // 64
	histBuckets = (63-histSubBits)*histHalf + 2*histHalf // int64 values have at most 63 bits
)

func histIndex(v int64) int {
	if v < 0 {
		v = 0
	}
	u := uint64(v)
	if u < 2*histHalf {
		return int(u)
	}
	shift := bits.Len64(u) - histSubBits
	return shift*histHalf + int(u>>uint(shift))
}

// histBounds returns the lowest and highest value that map to idx.
func histBounds(idx int) (lo, hi int64) {
	if idx < 2*histHalf {
		return int64(idx), int64(idx)
	}
	shift := idx/histHalf - 1
	m := uint64(idx%histHalf + histHalf)
	lo64 := m << uint(shift)
	hi64 := (m+1)<<uint(shift) - 1
	if hi64 > math.MaxInt64 {
		hi64 = math.MaxInt64
	}
	return int64(lo64), int64(hi64)
}

// Record adds one value.
func (h *Histogram) Record(v int64) {
	if v < 0 {
		v = 0
	}
	if h.Total == 0 || v < h.Min {
		h.Min = v
	}
	if v > h.Max {
		h.Max = v
	}
	h.Counts[histIndex(v)]++
	h.Total++
	h.Sum += float64(v)
}

// Merge adds every value of o into h.
func (h *Histogram) Merge(o *Histogram) {
	if o.Total == 0 {
		return
	}
	if h.Total == 0 || o.Min < h.Min {
		h.Min = o.Min
	}
	if o.Max > h.Max {
		h.Max = o.Max
	}
	for i, c := range o.Counts {
		h.Counts[i] += c
	}
	h.Total += o.Total
	h.Sum += o.Sum
}

// Quantile returns the value at quantile q in [0,1]: the midpoint of the
// bucket holding the ceil(q*Total)-th smallest value, clamped to
// [Min, Max]. It returns 0 for an empty histogram.
func (h *Histogram) Quantile(q float64) int64 {
	if h.Total == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.Total)))
	if rank < 1 {
		rank = 1
	}
	var seen uint64
	for i, c := range h.Counts {
		seen += c
		if seen >= rank {
			lo, hi := histBounds(i)
			v := lo + (hi-lo)/2
			return min(max(v, h.Min), h.Max)
		}
	}
	return h.Max
}

// Mean is the arithmetic mean of the recorded values.
func (h *Histogram) Mean() float64 {
	if h.Total == 0 {
		return 0
	}
	return h.Sum / float64(h.Total)
}

// sparse is the wire form of a Histogram between worker and parent.
type sparse struct {
	Idx    []int    `json:"i"`
	Counts []uint64 `json:"c"`
	Min    int64    `json:"min"`
	Max    int64    `json:"max"`
	Sum    float64  `json:"sum"`
}

func (h *Histogram) toSparse() sparse {
	s := sparse{Min: h.Min, Max: h.Max, Sum: h.Sum}
	for i, c := range h.Counts {
		if c != 0 {
			s.Idx = append(s.Idx, i)
			s.Counts = append(s.Counts, c)
		}
	}
	return s
}

func (s sparse) histogram() *Histogram {
	h := &Histogram{Min: s.Min, Max: s.Max, Sum: s.Sum}
	for k, i := range s.Idx {
		if i >= 0 && i < histBuckets && k < len(s.Counts) {
			h.Counts[i] += s.Counts[k]
			h.Total += s.Counts[k]
		}
	}
	return h
}
