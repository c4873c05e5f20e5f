package bench

import (
	"bytes"
	"testing"

	"github.com/gobwas/ws"
)

// TestClientFrameDecodesWithGobwas checks our masked frames against an
// independent RFC 6455 implementation.
func TestClientFrameDecodesWithGobwas(t *testing.T) {
	for _, n := range []int{0, 5, 125, 126, 1000, 70000} {
		payload := bytes.Repeat([]byte{'x'}, n)
		b := appendClientFrame(nil, opText, payload)
		f, err := ws.ReadFrame(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("len %d: %v", n, err)
		}
		if !f.Header.Masked || !f.Header.Fin || f.Header.OpCode != ws.OpText {
			t.Fatalf("len %d: header %+v", n, f.Header)
		}
		ws.Cipher(f.Payload, f.Header.Mask, 0)
		if !bytes.Equal(f.Payload, payload) {
			t.Fatalf("len %d: payload mismatch", n)
		}
	}
}

func TestParseServerFrame(t *testing.T) {
	for _, n := range []int{0, 125, 126, 65535, 65536} {
		var buf bytes.Buffer
		ws.WriteFrame(&buf, ws.NewTextFrame(bytes.Repeat([]byte{'y'}, n)))
		b := buf.Bytes()
		h, ok, bad := parseServerFrame(b, 1<<20)
		if !ok || bad || h.plen != n || h.op != opText || !h.fin || h.hlen+h.plen != len(b) {
			t.Fatalf("len %d: %+v ok=%v bad=%v", n, h, ok, bad)
		}
		if _, ok, _ := parseServerFrame(b[:h.hlen-1], 1<<20); ok {
			t.Fatalf("len %d: truncated header accepted", n)
		}
	}
	if _, _, bad := parseServerFrame([]byte{0xC1, 0}, 10); !bad {
		t.Fatal("reserved bit accepted")
	}
}

func FuzzParseServerFrame(f *testing.F) {
	f.Add([]byte{0x81, 0x05, 'h', 'e', 'l', 'l', 'o'})
	f.Add([]byte{0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, ok, bad := parseServerFrame(b, 1<<16)
		if ok && (bad || h.hlen > len(b) || h.plen < 0 || h.plen > 1<<16) {
			t.Fatalf("inconsistent %+v ok=%v bad=%v", h, ok, bad)
		}
	})
}
