package tlsconn

import (
	"encoding/binary"
	"testing"
)

// FuzzFirstRecord: the check the loop runs on a client's first bytes
// never panics, refuses what is not a TLS handshake record at once, and
// calls a record complete only when all of it is there.
func FuzzFirstRecord(f *testing.F) {
	f.Add([]byte{22, 3, 1, 0, 4, 1, 0, 0, 0})
	f.Add([]byte{22, 3, 1, 0xff, 0xff})
	f.Add([]byte("GET / HTTP/1.1\r\n\r\n"))
	f.Add([]byte{22})
	f.Fuzz(func(t *testing.T, b []byte) {
		complete, err := firstRecord(b)
		if len(b) > 0 && b[0] != recordHandshake && err == nil {
			t.Fatalf("%x: not a handshake record, accepted", b)
		}
		if complete {
			if err != nil || len(b) < recordHeaderLen {
				t.Fatalf("%x: complete with %v", b, err)
			}
			if n := int(binary.BigEndian.Uint16(b[3:5])); len(b) < recordHeaderLen+n || n > maxRecordLen {
				t.Fatalf("%x: complete but record of %d bytes", b, n)
			}
		}
	})
}
