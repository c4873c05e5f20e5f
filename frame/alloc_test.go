//go:build !race

package frame

import (
	"bytes"
	"testing"
)

func TestZeroAllocs(t *testing.T) {
	msg := text(`{"event":"pusher:ping","data":{}}`)
	in := bytes.Clone(msg)
	payload := bytes.Repeat([]byte("x"), 1024)
	dst := make([]byte, 0, 2048)
	hdr := AppendHeader(nil, Header{Fin: true, OpCode: OpText, Masked: true, Mask: testMask, Length: 70000})
	var d Decoder
	d.Init(DecoderOptions{})
	var sink int

	cases := []struct {
		name string
		fn   func()
	}{
		{
			name: "Decode masked single-frame text in place",
			fn: func() {
				copy(in, msg) // re-mask: Decode unmasks in place
				m, n, err := d.Decode(in)
				if err != nil || n != len(in) || m.Kind != KindData {
					t.Fatalf("decode: %v", err)
				}
				sink += len(m.Payload)
			},
		},
		{
			name: "Decode incomplete text frame (prefix UTF-8 check)",
			fn: func() {
				copy(in, msg)
				_, n, err := d.Decode(in[:len(in)-1])
				if err != nil || n != 0 {
					t.Fatalf("decode partial: n=%d %v", n, err)
				}
				d.checked, d.partial = 0, utf8State{}
			},
		},
		{
			name: "AppendMessage into a buffer with capacity",
			fn:   func() { sink += len(AppendMessage(dst[:0], OpText, payload)) },
		},
		{
			name: "AppendClose",
			fn:   func() { sink += len(AppendClose(dst[:0], StatusGoingAway, "drain")) },
		},
		{
			name: "ParseHeader",
			fn: func() {
				h, n, _ := ParseHeader(hdr)
				sink += n + int(h.Length)
			},
		},
		{
			name: "Cipher",
			fn:   func() { sink += Cipher(payload, testMask, 1) },
		},
	}
	for _, tc := range cases {
		if a := testing.AllocsPerRun(100, tc.fn); a != 0 {
			t.Errorf("%s: %v allocs per run, want 0", tc.name, a)
		}
	}
	_ = sink
}

// TestPooledPathsSettle: once the pools are warm, fragmented and compressed
// messages cost no allocations either.
func TestPooledPathsSettle(t *testing.T) {
	frag := cat(clientFrame(false, 0, OpText, []byte("frag")), clientFrame(true, 0, OpContinuation, []byte("ment")))
	comp := compressedClientFrames(t, OpText, bytes.Repeat([]byte("hello "), 100), 0)
	dst := make([]byte, 0, 1024)
	src := bytes.Repeat([]byte("hello "), 100)
	for _, tc := range []struct {
		name   string
		stream []byte
		opts   DecoderOptions
	}{
		{name: "fragmented", stream: frag},
		{name: "compressed", stream: comp, opts: DecoderOptions{Deflate: true}},
	} {
		in := bytes.Clone(tc.stream)
		var d Decoder
		d.Init(tc.opts)
		a := testing.AllocsPerRun(100, func() {
			copy(in, tc.stream)
			for off := 0; off < len(in); {
				_, n, err := d.Decode(in[off:])
				if err != nil || n == 0 {
					t.Fatalf("%s: n=%d err=%v", tc.name, n, err)
				}
				off += n
			}
		})
		if a != 0 {
			t.Errorf("%s: %v allocs per message", tc.name, a)
		}
	}
	if a := testing.AllocsPerRun(100, func() {
		dst, _ = AppendCompressedMessage(dst[:0], OpText, src)
	}); a != 0 {
		t.Errorf("AppendCompressedMessage: %v allocs", a)
	}
}
