package pusher

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/fanout/fanout/session"
)

// Drain stops accepting WebSocket connections and turns Ready false, then
// closes every connection with 4200 (reconnect now), spread evenly over
// window with jitter so that clients do not come back in one burst. Each
// close flushes what is queued first. Until the last close the listener
// stays open for plain HTTP, so a load balancer's fresh probe reads 503
// from /readyz (and the HTTP API keeps working, each answer saying
// "Connection: close": drain_http.go); new upgrades get HTTP 503. It
// returns when every connection is gone or ctx ends.
func (s *Server) Drain(ctx context.Context, window time.Duration) error {
	s.draining.Store(true)
	defer s.poller.StopAccepting()
	// Events already accepted reach their subscribers' queues first.
	if d, ok := ctx.Deadline(); ok {
		s.waitDelivered(d)
	} else {
		s.waitDelivered(time.Now().Add(window))
	}
	conns := s.allConns()
	rand.Shuffle(len(conns), func(i, j int) { conns[i], conns[j] = conns[j], conns[i] })
	start := time.Now()
	step := time.Duration(0)
	if len(conns) > 0 {
		step = window / time.Duration(len(conns))
	}
	for i, c := range conns {
		at := start.Add(time.Duration(i)*step + time.Duration(rand.Int64N(int64(step)+1)))
		if d := time.Until(at); d > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(d):
			}
		}
		s.goAway(c)
	}
	// A token check on the pool may have opened a connection after the
	// list was made: close what is still open now.
	for _, c := range s.allConns() {
		s.goAway(c)
	}
	s.poller.StopAccepting() // the last close is out: probes may now be refused
	for s.poller.Conns() > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return nil
}

// goAway closes c with 4200 once what is queued for it has gone out.
func (s *Server) goAway(c *conn) {
	s.closeWith(c, CodeGoingAway, "server going away", session.Drain, false)
	c.pc.Close()
}

// allConns lists the open connections: every one of them is on a wheel.
func (s *Server) allConns() []*conn {
	seen := make(map[*conn]struct{}, s.Conns())
	out := make([]*conn, 0, s.Conns())
	for _, w := range s.wheels {
		w.Each(func(c *conn) {
			if _, ok := seen[c]; ok || c.state.Phase() != session.Open {
				return
			}
			seen[c] = struct{}{}
			out = append(out, c)
		})
	}
	return out
}
