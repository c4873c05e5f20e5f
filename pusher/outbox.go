package pusher

import (
	"context"
	"runtime"
	"time"

	"github.com/fanout/fanout/broker"
)

// outboxLen bounds each outbox queue: client and member events the loops
// hand to a remote broker. A full queue refuses the event at once.
const outboxLen = 1024

// outboxWait bounds one remote publish from the outbox.
const outboxWait = 2 * time.Second

func newOutbox() []chan broker.Publication {
	qs := make([]chan broker.Publication, runtime.GOMAXPROCS(0))
	for i := range qs {
		qs[i] = make(chan broker.Publication, outboxLen)
	}
	return qs
}

// startOutbox runs one publisher per outbox queue. Events of one channel
// use the same queue, so they reach the broker in order.
func (s *Server) startOutbox() {
	for _, q := range s.outbox {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			for {
				select {
				case p := <-q:
					ctx, cancel := context.WithTimeout(context.Background(), outboxWait)
					_ = s.Publish(ctx, p)
					cancel()
				case <-s.stop:
					return
				}
			}
		}()
	}
}

// doneCtx is a context that is already done: an Offer with it never
// waits.
var doneCtx = func() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}()

// publishFromLoop publishes from a loop goroutine, which must not wait:
// the memory broker takes p only if the channel's queue has room now; a
// remote broker's publish goes through a bounded outbox. It returns
// ErrBusy when there is no room.
func (s *Server) publishFromLoop(p broker.Publication) error {
	if s.outbox == nil {
		return s.publish(doneCtx, p)
	}
	q := s.outbox[s.hub.Index(p.Channel)%len(s.outbox)]
	select {
	case q <- p:
		return nil
	default:
		return ErrBusy
	}
}
