package interop

import "testing"

// TestSendToUser: the pusher SDK's sendToUser against pusher-js users
// signed in with pusher:signin.
func TestSendToUser(t *testing.T) {
	needNode(t)
	run(t, inProcess(t), "node", "--test", "send-to-user.mjs")
}
