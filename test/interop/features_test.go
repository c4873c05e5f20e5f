package interop

import "testing"

// TestMemberLimits: pusher-js presence members at and over the member
// limits, authorized by the pusher SDK.
func TestMemberLimits(t *testing.T) {
	needNode(t)
	run(t, inProcess(t), "node", "--test", "member-limits.mjs")
}
