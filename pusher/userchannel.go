package pusher

import "strings"

// serverToUserPrefix names the channel pusher-js subscribes to after a
// successful pusher:signin ("#server-to-user-" + the signed-in user id),
// and the channel the Pusher server SDKs' sendToUser publishes to.
const serverToUserPrefix = "#server-to-user-"

// MaxUserID bounds the user id in a user channel's name.
const MaxUserID = 200

// IsUserChannel reports whether name is a valid "#server-to-user-<id>"
// channel, which the HTTP API accepts besides ValidChannelName names.
func IsUserChannel(name string) bool {
	id, ok := strings.CutPrefix(name, serverToUserPrefix)
	return ok && id != "" && len(id) <= MaxUserID && !strings.ContainsAny(id, "\x00\n\r")
}

// subscribeUserChannel lets a signed-in connection receive the events sent
// to its user (sendToUser): it joins its own user channel, and only that
// one; any other user's channel is refused with 401.
func (s *Server) subscribeUserChannel(c *conn, name string) {
	if !c.authed || c.user == "" || strings.TrimPrefix(name, serverToUserPrefix) != c.user || !IsUserChannel(name) {
		s.subscriptionError(c, name, "AuthError", "a user channel is only for its own signed-in user", 401)
		return
	}
	if c.findChannel(name) == nil {
		s.join(c, name)
	}
	s.whenListening(c.app.ID, name, func() {
		s.send(c, eventFrame("pusher_internal:subscription_succeeded", name, `"{}"`, ""))
	})
}
