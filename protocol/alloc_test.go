//go:build !race

package protocol

import "testing"

// TestZeroAlloc holds the hot path to no allocation: the channel kind and
// name checks run for every subscribe, publish and delivery; the encoders
// run for every event, into a buffer the caller sized.
func TestZeroAlloc(t *testing.T) {
	buf := make([]byte, 0, 1024)
	var sink bool
	var id uint64
	cases := map[string]func(){
		"KindOf": func() {
			k := KindOf("presence-cache-room")
			sink = k.NeedsAuth() && k.ClientEvents() && k.Presence() && k.Cache() && !k.Encrypted() && k.Listed()
		},
		"ValidChannelName": func() { sink = ValidChannelName("private-encrypted-cache-x.y@z") },
		"ValidUserChannel": func() { sink = ValidUserChannel("#server-to-user-42") },
		"ParseSocketID":    func() { id, sink = ParseSocketID("123456.7890") },
		"AppendSocketID":   func() { buf = AppendSocketID(buf[:0], 123456<<32|7890) },
		"AppendEvent": func() {
			buf = AppendEvent(buf[:0], "client-typing", "private-chat", `"{\"x\":1}"`, "user-é\n")
		},
		"AppendError":      func() { buf = AppendError(buf[:0], CodeOverCapacity, "server busy") },
		"AppendJSONString": func() { buf = AppendJSONString(buf[:0], "héllo \"world\"\n\xff") },
	}
	for name, fn := range cases {
		if n := testing.AllocsPerRun(100, fn); n != 0 {
			t.Errorf("%s: %v allocations per run, want 0", name, n)
		}
	}
	_, _ = sink, id
}
