package pusher

import (
	"sync/atomic"

	"github.com/fanout/fanout/protocol"
)

// A stream's first moment. The 200 is an event stream's success signal:
// EventSource has no other (there is no subscription_succeeded), and a
// first-time client has no Last-Event-ID to recover from. So an event
// published after the client has read the 200 must reach the stream.
//
// sseStart writes the 200 corked (poller.Conn.Cork), joins the channels
// and turns the connection open; from then on deliveries queue behind
// the head, in order. sseGoLive lets it all go once the broker delivers
// every channel's events to this node (broker.Listener: at once on a
// single node; over Redis once Redis confirmed the node's SUBSCRIBE or
// SSUBSCRIBE). A publish accepted after the 200 has gone out therefore
// finds the stream among the channel's open subscribers on a node that
// receives the channel. Nothing waits on a goroutine of its own: the
// last channel's confirmation (the broker's goroutine) or the loop itself
// uncorks, and an idle stream keeps nothing of this.

// sseGoLive answers each channel of c once the broker delivers it to this
// node, and uncorks c's 200 when the last one does. Loop goroutine, or
// the pool while c is verifying; the callbacks may run on the broker's
// goroutine.
func (s *Server) sseGoLive(c *conn, app string, channels []string) {
	left := new(atomic.Int32)
	left.Store(int32(len(channels)))
	for _, name := range channels {
		presence := protocol.KindOf(name).Presence()
		s.whenListening(app, name, func() {
			if !presence { // joinPresence answers it with its member list
				s.subscribed(c, name, []byte("{}"))
			}
			if left.Add(-1) == 0 {
				c.pc.Uncork()
			}
		})
	}
}
