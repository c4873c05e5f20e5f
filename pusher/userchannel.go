package pusher

import "github.com/fanout/fanout/protocol"

// subscribeUserChannel lets a signed-in connection receive the events sent
// to its user (sendToUser): it joins its own user channel, and only that
// one; any other user's channel is refused with 401.
func (s *Server) subscribeUserChannel(c *conn, name string) {
	if id, ok := protocol.UserOf(name); !ok || !c.authed.Load() || c.user == "" || id != c.user {
		s.subscriptionError(c, name, "AuthError", "a user channel is only for its own signed-in user", 401)
		return
	}
	if c.findChannel(name) == nil {
		s.join(c, name)
	}
	s.whenListening(c.app.ID, name, func() {
		s.send(c, eventFrame(protocol.EventSubscriptionSucceeded, name, `"{}"`, ""))
	})
}
