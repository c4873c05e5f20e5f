package frame

import (
	"bytes"
	"testing"
)

func TestHeaderRoundTrip(t *testing.T) {
	lengths := []int64{0, 1, 125, 126, 127, 65535, 65536, 1 << 32, 1<<63 - 1}
	for _, l := range lengths {
		for _, masked := range []bool{false, true} {
			h := Header{Fin: true, Rsv: 0x5, OpCode: OpBinary, Masked: masked, Length: l}
			if masked {
				h.Mask = testMask
			}
			b := AppendHeader(nil, h)
			if len(b) != HeaderSize(h) {
				t.Fatalf("len %d: AppendHeader wrote %d bytes, HeaderSize says %d", l, len(b), HeaderSize(h))
			}
			got, n, err := ParseHeader(b)
			if err != nil || n != len(b) || got != h {
				t.Fatalf("len %d masked %v: got %+v n=%d err=%v, want %+v", l, masked, got, n, err, h)
			}
			// Every proper prefix is incomplete, not an error.
			for i := range len(b) {
				if _, n, err := ParseHeader(b[:i]); n != 0 || err != nil {
					t.Fatalf("prefix %d of %d: n=%d err=%v", i, len(b), n, err)
				}
			}
		}
	}
}

func TestParseHeaderMinimalEncoding(t *testing.T) {
	// RFC 6455 asks senders for the minimal form; receivers may accept
	// longer forms, and this one does.
	b := []byte{0x82, 0x7E, 0x00, 0x05}
	h, n, err := ParseHeader(b)
	if err != nil || n != 4 || h.Length != 5 {
		t.Fatalf("got %+v n=%d err=%v", h, n, err)
	}
	b = []byte{0x82, 0x7F, 0, 0, 0, 0, 0, 0, 0, 5}
	h, n, err = ParseHeader(b)
	if err != nil || n != 10 || h.Length != 5 {
		t.Fatalf("got %+v n=%d err=%v", h, n, err)
	}
}

func TestParseHeaderErrors(t *testing.T) {
	cases := []struct {
		name string
		b    []byte
	}{
		{
			name: "64-bit length with the top bit set",
			b:    []byte{0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 1},
		},
		{
			name: "ping longer than 125 (Autobahn 2.5)",
			b:    []byte{0x89, 0xFE, 0x00, 0x7E},
		},
		{
			name: "fragmented ping (Autobahn 5.3)",
			b:    []byte{0x09, 0x80},
		},
		{
			name: "fragmented close",
			b:    []byte{0x08, 0x80},
		},
		{
			name: "reserved control opcode longer than 125",
			b:    []byte{0x8B, 0xFE, 0x01, 0x00},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, n, err := ParseHeader(tc.b)
			if n != 0 {
				t.Fatalf("n = %d, want 0", n)
			}
			wantCode(t, err, StatusProtocolError)
		})
	}
}

func TestParseHeaderFields(t *testing.T) {
	b := []byte{0x4A, 0x83, 1, 2, 3, 4}
	h, n, err := ParseHeader(b)
	want := Header{Fin: false, Rsv: 0x4, OpCode: 0xA, Masked: true, Mask: [4]byte{1, 2, 3, 4}, Length: 3}
	if err == nil {
		t.Fatalf("fragmented pong accepted: %+v", h)
	}
	b[0] = 0xCA
	want.Fin = true
	h, n, err = ParseHeader(b)
	if err != nil || n != 6 || h != want {
		t.Fatalf("got %+v n=%d err=%v, want %+v", h, n, err, want)
	}
	if !bytes.Equal(AppendHeader(nil, h), b) {
		t.Fatalf("re-encoded %x, want %x", AppendHeader(nil, h), b)
	}
}

func TestOpCodeClasses(t *testing.T) {
	for op := OpCode(0); op < 16; op++ {
		wantControl := op >= 8
		wantData := op <= 2
		if op.IsControl() != wantControl || op.IsData() != wantData {
			t.Errorf("op %d: IsControl=%v IsData=%v", op, op.IsControl(), op.IsData())
		}
		wantDefined := op <= 2 || (op >= 8 && op <= 10)
		if op.defined() != wantDefined {
			t.Errorf("op %d: defined=%v", op, op.defined())
		}
	}
}
