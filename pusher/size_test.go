package pusher

import (
	"testing"
	"unsafe"
)

// The per-connection state is most of an idle connection's memory
// (BENCHMARKS.md); keep it within its allocation size class.
func TestConnStateFitsItsSizeClass(t *testing.T) {
	if n := unsafe.Sizeof(conn{}); n > 176 {
		t.Fatalf("conn is %d bytes: over the 176-byte size class", n)
	}
}
