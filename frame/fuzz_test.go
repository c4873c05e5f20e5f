package frame

import (
	"bytes"
	"testing"
	"unicode/utf8"
)

func FuzzParseHeader(f *testing.F) {
	f.Add([]byte{0x81, 0x85, 1, 2, 3, 4})
	f.Add([]byte{0x82, 0x7E, 0x01, 0x00})
	f.Add([]byte{0x82, 0xFF, 0, 0, 0, 1, 0, 0, 0, 0, 1, 2, 3, 4})
	f.Add([]byte{0x89, 0x7E, 0x00, 0x7E})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, n, err := ParseHeader(b)
		if err != nil || n == 0 {
			if n != 0 {
				t.Fatalf("n=%d with err %v", n, err)
			}
			return
		}
		if n > len(b) || n != HeaderSize(h) && !nonMinimal(b) {
			t.Fatalf("n=%d, HeaderSize=%d, len=%d", n, HeaderSize(h), len(b))
		}
		if h.Length < 0 || (h.OpCode.IsControl() && (h.Length > 125 || !h.Fin)) {
			t.Fatalf("accepted %+v", h)
		}
		// Re-encoding and re-parsing gives the same header.
		h2, n2, err := ParseHeader(AppendHeader(nil, h))
		if err != nil || h2 != h || n2 != HeaderSize(h) {
			t.Fatalf("round trip: %+v -> %+v (%v)", h, h2, err)
		}
	})
}

// nonMinimal reports whether b's length field uses a longer form than needed.
func nonMinimal(b []byte) bool {
	h, _, _ := ParseHeader(b)
	switch b[1] & 0x7F {
	case 126:
		return h.Length <= 125
	case 127:
		return h.Length <= 0xFFFF
	}
	return false
}

func FuzzDecoder(f *testing.F) {
	f.Add(text("hello"), []byte("payload"), uint8(3), uint8(0))
	f.Add(cat(clientFrame(false, 0, OpText, []byte("κό")), clientFrame(true, 0, OpContinuation, []byte("σμε"))), []byte("κόσμε"), uint8(1), uint8(1))
	f.Add(clientFrame(true, 0, OpClose, closeBody(1000, "x")), []byte{0xff, 0xfe}, uint8(2), uint8(6))
	f.Add([]byte{0xC1, 0x80, 0, 0, 0, 0, 0xFF}, []byte{}, uint8(0), uint8(3))
	f.Fuzz(func(t *testing.T, stream, payload []byte, split, mode uint8) {
		opts := DecoderOptions{
			MaxMessageSize: int64(mode&0x30) << 6, // 0 (default), 1 KiB, 2 KiB, 3 KiB
			Deflate:        mode&1 != 0,
			AllowUnmasked:  mode&2 != 0,
		}
		// Random bytes never panic, in any chunking.
		decodeStream(NewDecoder(opts), bytes.Clone(stream), int(split))

		// Round trip: a fragmented client message decodes to its payload.
		op := OpBinary
		if mode&4 != 0 {
			op = OpText
		}
		var frames []byte
		size := int(split) + 1
		for off := 0; off == 0 || off < len(payload); off += size {
			end := min(off+size, len(payload))
			fop := OpContinuation
			if off == 0 {
				fop = op
			}
			frames = append(frames, clientFrame(end == len(payload), 0, fop, payload[off:end])...)
		}
		opts.MaxMessageSize = 1 << 20
		r := decodeStream(NewDecoder(opts), frames, int(mode>>6)*5)
		if op == OpText && !utf8.Valid(payload) {
			wantCode(t, r.err, StatusInvalidPayload)
			return
		}
		if r.err != nil || len(r.msgs) != 1 || !bytes.Equal(r.msgs[0].Payload, payload) || r.msgs[0].OpCode != op {
			t.Fatalf("round trip failed: err=%v msgs=%d", r.err, len(r.msgs))
		}
	})
}

func FuzzUTF8(f *testing.F) {
	for _, c := range utf8Cases {
		f.Add([]byte(c.in), uint8(1))
	}
	f.Fuzz(func(t *testing.T, p []byte, split uint8) {
		size := int(split)%7 + 1
		var s utf8State
		accepted := len(p)
		for off := 0; off < len(p); off += size {
			end := min(off+size, len(p))
			if !s.feed(p[off:end]) {
				accepted = off
				break
			}
		}
		if valid := accepted == len(p) && s.complete(); valid != utf8.Valid(p) {
			t.Fatalf("%x: validator says %v, stdlib %v", p, valid, utf8.Valid(p))
		}
		if accepted == len(p) && len(p) <= 64 && !isPrefix(p) {
			t.Fatalf("%x: accepted a sequence that cannot be completed", p)
		}
	})
}

func FuzzParseRequestHead(f *testing.F) {
	f.Add([]byte(goodUpgrade), 0)
	f.Add([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), 16)
	f.Add([]byte("GET /\r\n\r\n"), 0)
	f.Fuzz(func(t *testing.T, b []byte, max int) {
		max %= 1 << 14
		h, n, err := ParseRequestHead(b, max)
		limit := max
		if limit <= 0 {
			limit = DefaultMaxRequestHead
		}
		switch {
		case err != nil:
			if n != 0 {
				t.Fatalf("n=%d with err %v", n, err)
			}
		case n > 0:
			if n > limit || n > len(b) || !bytes.HasSuffix(b[:n], []byte("\r\n\r\n")) {
				t.Fatalf("n=%d for %q", n, b)
			}
			if h.Method == "" {
				t.Fatal("complete head without a method")
			}
			// Whatever parses is safe to hand to the upgrader.
			out, _ := AppendUpgradeResponse(nil, b[:n], UpgradeOptions{})
			if !bytes.HasPrefix(out, []byte("HTTP/1.1 ")) {
				t.Fatalf("response %q", out)
			}
		default:
			if len(b) >= limit {
				t.Fatalf("no error for %d bytes over limit %d", len(b), limit)
			}
		}
	})
}
