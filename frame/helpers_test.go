package frame

import (
	"bytes"
	"errors"
	"strconv"
	"testing"
)

var testMask = [4]byte{0x37, 0xfa, 0x21, 0x3d}

// clientFrame builds one masked frame as a client would send it.
func clientFrame(fin bool, rsv byte, op OpCode, payload []byte) []byte {
	h := Header{Fin: fin, Rsv: rsv, OpCode: op, Masked: true, Mask: testMask, Length: int64(len(payload))}
	b := AppendHeader(nil, h)
	start := len(b)
	b = append(b, payload...)
	Cipher(b[start:], h.Mask, 0)
	return b
}

// text and bin build single-frame masked messages.
func text(s string) []byte       { return clientFrame(true, 0, OpText, []byte(s)) }
func bin(p []byte) []byte        { return clientFrame(true, 0, OpBinary, p) }
func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// got is what decoding a stream produced.
type got struct {
	msgs []Message // payloads copied
	err  error
	// at is the number of stream bytes delivered when err appeared.
	at int
}

// decodeStream feeds stream to d in chunks of size chunk (0: all at once),
// the way a connection's read loop would: unconsumed bytes stay buffered
// and Decode is called until it needs more.
func decodeStream(d *Decoder, stream []byte, chunk int) got {
	if chunk <= 0 {
		chunk = len(stream) + 1
	}
	var r got
	var pending []byte
	for off := 0; off < len(stream); {
		end := min(off+chunk, len(stream))
		pending = append(pending, stream[off:end]...)
		off = end
		for {
			m, n, err := d.Decode(pending)
			if err != nil {
				r.err, r.at = err, off
				return r
			}
			if n == 0 {
				break
			}
			if m.Kind != KindNone {
				m.Payload = bytes.Clone(m.Payload)
				r.msgs = append(r.msgs, m)
			}
			pending = pending[n:]
		}
	}
	return r
}

// wantCode checks that err is a ProtocolError with code.
func wantCode(t *testing.T, err error, code StatusCode) {
	t.Helper()
	var pe ProtocolError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v, want ProtocolError %d", err, code)
	}
	if pe.Code != code {
		t.Fatalf("err code = %d (%q), want %d", pe.Code, pe.Reason, code)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
