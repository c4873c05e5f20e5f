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

// deliveredCount is how many deliveries the worker's latency shards
// hold: every timed delivery is recorded once, so no shared counter is
// bumped per frame.
func (w *worker) deliveredCount() uint64 {
	var n uint64
	for i := range w.lat {
		w.lat[i].mu.Lock()
		n += w.lat[i].h.Total
		w.lat[i].mu.Unlock()
	}
	return n
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
