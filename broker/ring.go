package broker

import (
	"slices"
	"sync"
	"time"
)

// stream is one channel's history in process: a bounded ring of the last
// events of one epoch. mu also orders a channel's publishes: Memory holds
// it from the append through the hand-off to the handler, so delivery
// order is offset order.
type stream struct {
	mu      sync.Mutex
	epoch   string
	top     uint64        // offset of the newest event; 0 when none
	size    uint64        // events kept at most
	ring    []Publication // ring[(offset-1) % size]; grows with the events, up to size
	expires int64         // unix nanoseconds; the stream is gone after it
	freed   bool          // swept from the map; a holder must look again
}

// newStream is an empty stream of a fresh epoch. Its ring is allocated
// as events arrive, not up front: a subscribe creates the stream of a
// channel that may never get an event, and size can be large.
func newStream(size int) *stream {
	return &stream{epoch: NewEpoch(), size: uint64(max(size, 1))}
}

// expired reports whether the TTL passed; mu is held.
func (s *stream) expired(now int64) bool { return now >= s.expires }

// reset starts a fresh epoch; mu is held.
func (s *stream) reset() {
	s.epoch, s.top = NewEpoch(), 0
	clear(s.ring)
	s.ring = s.ring[:0]
}

// next is the position the next appended event gets; mu is held.
func (s *stream) next() Position { return Position{Epoch: s.epoch, Offset: s.top + 1} }

// append keeps p, whose Position is next(); mu is held.
func (s *stream) append(p *Publication, now int64, ttl time.Duration) {
	s.top++
	if i := s.top - 1; i < s.size && i == uint64(len(s.ring)) {
		if len(s.ring) == cap(s.ring) { // grow by doubling, never past size
			s.ring = slices.Grow(s.ring, int(min(max(2*uint64(cap(s.ring)), 8), s.size))-len(s.ring))
		}
		s.ring = append(s.ring, *p)
	} else {
		s.ring[i%s.size] = *p
	}
	s.expires = now + int64(ttl)
}

// oldest is the offset of the oldest kept event (0 when none); mu is held.
func (s *stream) oldest() uint64 {
	if s.top == 0 {
		return 0
	}
	if s.top <= s.size {
		return 1
	}
	return s.top - s.size + 1
}

// read selects events as HistoryQuery says; mu is held.
func (s *stream) read(q HistoryQuery) HistoryPage {
	page := HistoryPage{Position: Position{Epoch: s.epoch, Offset: s.top}, Oldest: s.oldest()}
	if s.top == 0 {
		return page
	}
	lo, hi := page.Oldest, s.top
	if q.Since.Epoch == s.epoch {
		if q.Backward {
			if q.Since.Offset <= 1 {
				return page
			}
			hi = min(hi, q.Since.Offset-1)
		} else {
			lo = max(lo, q.Since.Offset+1)
		}
	}
	if lo > hi {
		return page
	}
	n := hi - lo + 1
	if q.Limit > 0 && uint64(q.Limit) < n {
		n = uint64(q.Limit)
	}
	page.Events = make([]Publication, 0, n)
	for i := uint64(0); i < n; i++ {
		off := lo + i
		if q.Backward {
			off = hi - i
		}
		page.Events = append(page.Events, s.ring[(off-1)%s.size])
	}
	return page
}
