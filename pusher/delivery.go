package pusher

import (
	"runtime"
	"time"

	"github.com/fanout/fanout/broker"
)

// deliveryQueueLen bounds each delivery worker's queue; a full queue
// makes Deliver wait (back-pressure on the publisher or the broker). It is
// short on purpose: under overload a long queue only turns into latency.
// Measured with `make bench-compare` at a 1,000 events/s target to 18,000
// subscribers on two cores: 256 per worker gave p50 784 ms at 73 k
// deliveries/s, 32 gave p50 263 ms at 80 k/s, 8 gave p50 175 ms but
// starved the workers (58 k/s).
const deliveryQueueLen = 32

// newDeliveryQueues makes the delivery workers' queues (New calls it, so
// that a broker may deliver before Serve; the events wait).
func newDeliveryQueues() []chan broker.Publication {
	qs := make([]chan broker.Publication, 2*runtime.GOMAXPROCS(0))
	for i := range qs {
		qs[i] = make(chan broker.Publication, deliveryQueueLen)
	}
	return qs
}

// startDelivery runs the delivery workers. Events of one channel always go
// to the same worker, in order; different channels fan out in parallel,
// and a publisher (the HTTP API, the Redis reader) does not wait for the
// writes of a big channel, nor do other channels queue behind it.
func (s *Server) startDelivery() {
	for _, q := range s.deliveries {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			for {
				select {
				case p := <-q:
					s.deliver(p)
					s.pending.Add(-1)
				case <-s.stop:
					return
				}
			}
		}()
	}
}

// Deliver implements broker.Handler: it queues p for its channel's
// delivery worker and returns; events of one channel keep their order.
func (s *Server) Deliver(p broker.Publication) {
	q := s.deliveries[s.hub.Index(p.Channel)%len(s.deliveries)]
	s.pending.Add(1)
	select {
	case q <- p:
	case <-s.stop:
		s.pending.Add(-1)
	}
}

// waitDelivered waits until every queued event has been written to its
// subscribers' queues, or until the deadline.
func (s *Server) waitDelivered(deadline time.Time) {
	for s.pending.Load() > 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
}
