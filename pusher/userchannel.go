package pusher

import "strings"

// serverToUserPrefix names the channel pusher-js subscribes to after a
// successful pusher:signin ("#server-to-user-" + the signed-in user id).
const serverToUserPrefix = "#server-to-user-"

// subscribeUserChannel answers pusher-js's subscription to its user
// channel: success for the connection's own signed-in user (as Pusher
// answers it, so pusher-js's signin flow completes without an error),
// 401 otherwise. fanout has no send-to-user API, so nothing is joined.
func (s *Server) subscribeUserChannel(c *conn, name string) {
	if !c.authed || c.user == "" || strings.TrimPrefix(name, serverToUserPrefix) != c.user {
		s.subscriptionError(c, name, "AuthError", "a user channel is only for its own signed-in user", 401)
		return
	}
	s.send(c, eventFrame("pusher_internal:subscription_succeeded", name, `"{}"`, ""))
}
