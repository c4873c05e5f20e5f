package frame

import (
	"bytes"
	"strconv"
	"testing"
)

func BenchmarkDecode(b *testing.B) {
	for _, size := range []int{32, 1024, 64 << 10} {
		b.Run("text-"+strconv.Itoa(size), func(b *testing.B) {
			msg := text(string(bytes.Repeat([]byte("a"), size)))
			in := bytes.Clone(msg)
			var d Decoder
			d.Init(DecoderOptions{})
			b.ReportAllocs()
			b.SetBytes(int64(size))
			for b.Loop() {
				copy(in, msg)
				if _, _, err := d.Decode(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("fragmented-1300x51", func(b *testing.B) {
		p := bytes.Repeat([]byte("b"), 65536)
		var frames []byte
		for off := 0; off < len(p); off += 1300 {
			end := min(off+1300, len(p))
			op := OpContinuation
			if off == 0 {
				op = OpBinary
			}
			frames = append(frames, clientFrame(end == len(p), 0, op, p[off:end])...)
		}
		in := bytes.Clone(frames)
		var d Decoder
		d.Init(DecoderOptions{})
		b.ReportAllocs()
		b.SetBytes(int64(len(p)))
		for b.Loop() {
			copy(in, frames)
			for off := 0; off < len(in); {
				_, n, err := d.Decode(in[off:])
				if err != nil {
					b.Fatal(err)
				}
				off += n
			}
		}
	})
}

func BenchmarkAppendMessage(b *testing.B) {
	payload := bytes.Repeat([]byte("x"), 1024)
	dst := make([]byte, 0, 2048)
	b.ReportAllocs()
	b.SetBytes(int64(len(payload)))
	for b.Loop() {
		dst = AppendMessage(dst[:0], OpText, payload)
	}
}

func BenchmarkCipher(b *testing.B) {
	for _, size := range []int{15, 1024, 64 << 10} {
		b.Run(strconv.Itoa(size), func(b *testing.B) {
			p := make([]byte, size)
			b.ReportAllocs()
			b.SetBytes(int64(size))
			for b.Loop() {
				Cipher(p, testMask, 1)
			}
		})
	}
}

func BenchmarkAppendCompressedMessage(b *testing.B) {
	payload := []byte(`{"event":"price-update","channel":"ticker","data":"{\"symbol\":\"BTC\",\"price\":64000.12,\"volume\":1234}"}`)
	payload = bytes.Repeat(payload, 10)
	dst := make([]byte, 0, 4096)
	b.ReportAllocs()
	b.SetBytes(int64(len(payload)))
	for b.Loop() {
		var err error
		dst, err = AppendCompressedMessage(dst[:0], OpText, payload)
		if err != nil {
			b.Fatal(err)
		}
	}
}
