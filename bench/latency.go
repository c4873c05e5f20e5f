package bench

import "sync"

// latShards spread latency recording over locks, since many netpoll
// handler goroutines deliver at once.
const latShards = 16

type latShard struct {
	mu sync.Mutex
	h  Histogram
	_  [64]byte
}

func (s *latShard) record(ns int64) {
	s.mu.Lock()
	s.h.Record(ns)
	s.mu.Unlock()
}

func mergeShards(shards *[latShards]latShard) (*Histogram, uint64) {
	var h Histogram
	for i := range shards {
		shards[i].mu.Lock()
		h.Merge(&shards[i].h)
		shards[i].mu.Unlock()
	}
	return &h, h.Total
}
