package poller

import (
	"testing"
	"unsafe"
)

// An idle connection is mostly its *Conn; keep it within the 112-byte
// allocation size class (a codec costs plain connections one pointer).
func TestConnFitsItsSizeClass(t *testing.T) {
	if n := unsafe.Sizeof(Conn{}); n > 112 {
		t.Fatalf("Conn is %d bytes: over the 112-byte size class", n)
	}
}
