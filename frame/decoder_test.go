package frame

import (
	"bytes"
	"strings"
	"testing"
	"unsafe"
)

// streamCase is one client byte stream and what decoding it must give.
type streamCase struct {
	name string
	opts DecoderOptions
	in   []byte
	// want are the messages in order (Kind, OpCode, Payload, Code, Reason).
	want []Message
	// wantErr is the close code of the expected error (0: none).
	wantErr StatusCode
}

func data(op OpCode, p string) Message {
	return Message{Kind: KindData, OpCode: op, Payload: []byte(p)}
}

func runStreamCases(t *testing.T, cases []streamCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// All at once, byte by byte, and in odd chunks: same result.
			for _, chunk := range []int{0, 1, 7} {
				d := NewDecoder(tc.opts)
				r := decodeStream(d, bytes.Clone(tc.in), chunk)
				if tc.wantErr != 0 {
					wantCode(t, r.err, tc.wantErr)
				} else if r.err != nil {
					t.Fatalf("chunk %d: unexpected error %v", chunk, r.err)
				}
				if len(r.msgs) != len(tc.want) {
					t.Fatalf("chunk %d: got %d messages, want %d", chunk, len(r.msgs), len(tc.want))
				}
				for i, m := range r.msgs {
					w := tc.want[i]
					if m.Kind != w.Kind || m.OpCode != w.OpCode || !bytes.Equal(m.Payload, w.Payload) ||
						m.Code != w.Code || m.Reason != w.Reason {
						t.Fatalf("chunk %d: message %d = %v %v %q %d %q, want %v %v %q %d %q", chunk, i,
							m.Kind, m.OpCode, trunc(m.Payload), m.Code, m.Reason,
							w.Kind, w.OpCode, trunc(w.Payload), w.Code, w.Reason)
					}
				}
				d.Release()
			}
		})
	}
}

func trunc(p []byte) string {
	if len(p) > 32 {
		return string(p[:32]) + "..."
	}
	return string(p)
}

// Autobahn 1.x: text and binary frames of every length class.
func TestDecodeFraming(t *testing.T) {
	var cases []streamCase
	for _, n := range []int{0, 125, 126, 127, 128, 65535, 65536} {
		p := strings.Repeat("*", n)
		cases = append(cases,
			streamCase{name: "text " + itoa(n), in: text(p), want: []Message{data(OpText, p)}},
			streamCase{name: "binary " + itoa(n), in: bin([]byte(p)), want: []Message{data(OpBinary, p)}},
		)
	}
	cases = append(cases, streamCase{
		name: "two messages back to back",
		in:   cat(text("a"), bin([]byte{0xFE, 0xFF})),
		want: []Message{data(OpText, "a"), data(OpBinary, "\xFE\xFF")},
	})
	runStreamCases(t, cases)
}

// Autobahn 2.x: pings and pongs.
func TestDecodePingPong(t *testing.T) {
	p125 := strings.Repeat("p", 125)
	runStreamCases(t, []streamCase{
		{
			name: "empty ping (2.1)",
			in:   clientFrame(true, 0, OpPing, nil),
			want: []Message{{Kind: KindPing, OpCode: OpPing, Payload: []byte{}}},
		},
		{
			name: "ping 125 bytes (2.4)",
			in:   clientFrame(true, 0, OpPing, []byte(p125)),
			want: []Message{{Kind: KindPing, OpCode: OpPing, Payload: []byte(p125)}},
		},
		{
			name: "binary ping (2.3)",
			in:   clientFrame(true, 0, OpPing, []byte{0, 0xFF, 0xFE}),
			want: []Message{{Kind: KindPing, OpCode: OpPing, Payload: []byte{0, 0xFF, 0xFE}}},
		},
		{
			name:    "ping 126 bytes (2.5)",
			in:      clientFrame(true, 0, OpPing, []byte(p125+"x")),
			wantErr: StatusProtocolError,
		},
		{
			name: "unsolicited pong (2.6)",
			in:   cat(clientFrame(true, 0, OpPong, []byte("x")), text("t")),
			want: []Message{{Kind: KindPong, OpCode: OpPong, Payload: []byte("x")}, data(OpText, "t")},
		},
		{
			name: "ten pings",
			in:   bytes.Repeat(clientFrame(true, 0, OpPing, []byte("hi")), 10),
			want: repeatMsg(Message{Kind: KindPing, OpCode: OpPing, Payload: []byte("hi")}, 10),
		},
	})
}

func repeatMsg(m Message, n int) []Message {
	out := make([]Message, n)
	for i := range out {
		out[i] = m
	}
	return out
}

// Autobahn 3.x: reserved bits.
func TestDecodeReservedBits(t *testing.T) {
	var cases []streamCase
	for rsv := byte(1); rsv <= 7; rsv++ {
		cases = append(cases,
			streamCase{
				name:    "text rsv " + itoa(int(rsv)),
				in:      cat(text("ok"), clientFrame(true, rsv, OpText, []byte("x"))),
				want:    []Message{data(OpText, "ok")},
				wantErr: StatusProtocolError,
			},
			streamCase{
				name:    "ping rsv " + itoa(int(rsv)),
				in:      clientFrame(true, rsv, OpPing, []byte("x")),
				wantErr: StatusProtocolError,
			},
		)
	}
	deflate := DecoderOptions{Deflate: true}
	cases = append(cases,
		streamCase{
			name:    "rsv1 on ping with deflate",
			opts:    deflate,
			in:      clientFrame(true, rsv1, OpPing, nil),
			wantErr: StatusProtocolError,
		},
		streamCase{
			name:    "rsv1 on continuation with deflate",
			opts:    deflate,
			in:      cat(clientFrame(false, 0, OpText, []byte("a")), clientFrame(true, rsv1, OpContinuation, []byte("b"))),
			wantErr: StatusProtocolError,
		},
		streamCase{
			name:    "rsv2 with deflate",
			opts:    deflate,
			in:      clientFrame(true, 0x2, OpText, []byte("a")),
			wantErr: StatusProtocolError,
		},
	)
	runStreamCases(t, cases)
}

// Autobahn 4.x: reserved opcodes.
func TestDecodeReservedOpcodes(t *testing.T) {
	var cases []streamCase
	for _, op := range []OpCode{3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF} {
		cases = append(cases, streamCase{
			name:    "opcode " + itoa(int(op)),
			in:      cat(text("ok"), clientFrame(true, 0, op, []byte("payload")), text("never")),
			want:    []Message{data(OpText, "ok")},
			wantErr: StatusProtocolError,
		})
	}
	runStreamCases(t, cases)
}

// Autobahn 5.x: fragmentation, with control frames in between.
func TestDecodeFragmentation(t *testing.T) {
	ping := clientFrame(true, 0, OpPing, []byte("ping"))
	pingMsg := Message{Kind: KindPing, OpCode: OpPing, Payload: []byte("ping")}
	runStreamCases(t, []streamCase{
		{
			name: "text in two fragments (5.3)",
			in:   cat(clientFrame(false, 0, OpText, []byte("frag")), clientFrame(true, 0, OpContinuation, []byte("ment"))),
			want: []Message{data(OpText, "fragment")},
		},
		{
			name: "binary in five fragments with empty ones",
			in: cat(clientFrame(false, 0, OpBinary, nil), clientFrame(false, 0, OpContinuation, []byte("ab")),
				clientFrame(false, 0, OpContinuation, nil), clientFrame(false, 0, OpContinuation, []byte("c")),
				clientFrame(true, 0, OpContinuation, nil)),
			want: []Message{data(OpBinary, "abc")},
		},
		{
			name: "ping between fragments (5.6)",
			in:   cat(clientFrame(false, 0, OpText, []byte("frag")), ping, clientFrame(true, 0, OpContinuation, []byte("ment"))),
			want: []Message{pingMsg, data(OpText, "fragment")},
		},
		{
			name: "close between fragments",
			in:   cat(clientFrame(false, 0, OpText, []byte("frag")), clientFrame(true, 0, OpClose, closeBody(1000, "bye"))),
			want: []Message{{Kind: KindClose, OpCode: OpClose, Payload: closeBody(1000, "bye"), Code: 1000, Reason: "bye"}},
		},
		{
			name:    "fragmented ping (5.1)",
			in:      cat(clientFrame(false, 0, OpPing, []byte("a")), clientFrame(true, 0, OpContinuation, []byte("b"))),
			wantErr: StatusProtocolError,
		},
		{
			name:    "continuation first, fin (5.9)",
			in:      cat(clientFrame(true, 0, OpContinuation, []byte("x")), text("never")),
			wantErr: StatusProtocolError,
		},
		{
			name:    "continuation first, not fin (5.10)",
			in:      clientFrame(false, 0, OpContinuation, []byte("x")),
			wantErr: StatusProtocolError,
		},
		{
			name:    "text inside fragmented text (5.18)",
			in:      cat(clientFrame(false, 0, OpText, []byte("a")), clientFrame(true, 0, OpText, []byte("b"))),
			wantErr: StatusProtocolError,
		},
		{
			name: "message after a fragmented one",
			in:   cat(clientFrame(false, 0, OpText, []byte("a")), clientFrame(true, 0, OpContinuation, []byte("b")), text("c")),
			want: []Message{data(OpText, "ab"), data(OpText, "c")},
		},
	})
}

// Autobahn 6.x: UTF-8 in text messages, whole and across fragments.
func TestDecodeUTF8(t *testing.T) {
	var cases []streamCase
	for _, uc := range utf8Cases {
		if uc.fail < 0 {
			cases = append(cases, streamCase{name: uc.name, in: text(uc.in), want: []Message{data(OpText, uc.in)}})
			continue
		}
		cases = append(cases, streamCase{name: uc.name, in: text(uc.in), wantErr: StatusInvalidPayload})
	}
	kosme := "κόσμε"
	// Split a valid text message at every byte into two and three
	// fragments (6.2.x, 6.4.x style).
	for i := 0; i <= len(kosme); i++ {
		cases = append(cases, streamCase{
			name: "kosme split at " + itoa(i),
			in: cat(clientFrame(false, 0, OpText, []byte(kosme[:i])),
				clientFrame(false, 0, OpContinuation, []byte(kosme[i:min(i+1, len(kosme))])),
				clientFrame(true, 0, OpContinuation, []byte(kosme[min(i+1, len(kosme)):]))),
			want: []Message{data(OpText, kosme)},
		})
	}
	cases = append(cases,
		streamCase{
			name:    "message ends in the middle of a rune",
			in:      cat(clientFrame(false, 0, OpText, []byte("a\xce")), clientFrame(true, 0, OpContinuation, nil)),
			wantErr: StatusInvalidPayload,
		},
		streamCase{
			name:    "invalid across a fragment boundary",
			in:      cat(clientFrame(false, 0, OpText, []byte("a\xed")), clientFrame(true, 0, OpContinuation, []byte("\xa0\x80"))),
			wantErr: StatusInvalidPayload,
		},
		streamCase{
			name: "binary is not validated",
			in:   bin([]byte("\xff\xfe")),
			want: []Message{data(OpBinary, "\xff\xfe")},
		},
	)
	runStreamCases(t, cases)
}

// Autobahn 6.4.x: invalid UTF-8 is reported before the frame is complete.
func TestDecodeUTF8FailFastInsideFrame(t *testing.T) {
	payload := []byte("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xf4\x90\x80\x80\x65\x64\x69\x74\x65\x64")
	payload = append(payload, bytes.Repeat([]byte("x"), 1000)...)
	for _, fragmented := range []bool{false, true} {
		var stream []byte
		var badAt int
		if fragmented {
			first := clientFrame(false, 0, OpText, []byte("ok "))
			stream = cat(first, clientFrame(true, 0, OpContinuation, payload))
			badAt = len(stream) - len(payload) + 13
		} else {
			stream = clientFrame(true, 0, OpText, payload)
			badAt = len(stream) - len(payload) + 13
		}
		for _, chunk := range []int{1, 3, 5} {
			d := NewDecoder(DecoderOptions{})
			r := decodeStream(d, stream, chunk)
			wantCode(t, r.err, StatusInvalidPayload)
			if r.at > badAt+chunk-1 {
				t.Fatalf("fragmented=%v chunk %d: error after %d bytes, the bad byte arrived at %d", fragmented, chunk, r.at, badAt)
			}
		}
	}
}

// Autobahn 7.x: close frames.
func TestDecodeClose(t *testing.T) {
	runStreamCases(t, []streamCase{
		{
			name: "close 1000 with reason",
			in:   clientFrame(true, 0, OpClose, closeBody(1000, "done")),
			want: []Message{{Kind: KindClose, OpCode: OpClose, Payload: closeBody(1000, "done"), Code: 1000, Reason: "done"}},
		},
		{
			name: "empty close",
			in:   clientFrame(true, 0, OpClose, nil),
			want: []Message{{Kind: KindClose, OpCode: OpClose, Payload: []byte{}, Code: StatusNoStatusRcvd}},
		},
		{
			name:    "close with one byte (7.3.2)",
			in:      clientFrame(true, 0, OpClose, []byte{3}),
			wantErr: StatusProtocolError,
		},
		{
			name:    "close with 124-byte reason (7.3.6)",
			in:      clientFrame(true, 0, OpClose, closeBody(1000, strings.Repeat("*", 124))),
			wantErr: StatusProtocolError,
		},
		{
			name:    "close code 1006",
			in:      clientFrame(true, 0, OpClose, closeBody(1006, "")),
			wantErr: StatusProtocolError,
		},
		{
			name:    "close with invalid UTF-8 reason (7.5.1)",
			in:      clientFrame(true, 0, OpClose, closeBody(1000, "\xed\xa0\x80")),
			wantErr: StatusInvalidPayload,
		},
	})
}

// Autobahn 9.x: large messages, single frame and fragmented.
func TestDecodeLarge(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	opts := DecoderOptions{MaxMessageSize: 16 << 20}
	var frags [][]byte
	for off := 0; off < len(big); off += 64 << 10 {
		op := OpContinuation
		if off == 0 {
			op = OpBinary
		}
		frags = append(frags, clientFrame(off+64<<10 >= len(big), 0, op, big[off:off+64<<10]))
	}
	for name, stream := range map[string][]byte{"single frame": bin(big), "64 KiB fragments": cat(frags...)} {
		for _, chunk := range []int{0, 4096, 65536} {
			d := NewDecoder(opts)
			r := decodeStream(d, bytes.Clone(stream), chunk)
			if r.err != nil || len(r.msgs) != 1 || !bytes.Equal(r.msgs[0].Payload, big) {
				t.Fatalf("%s chunk %d: err=%v msgs=%d", name, chunk, r.err, len(r.msgs))
			}
			d.Release()
		}
	}
}

// Autobahn 10.x: a 64 KiB message auto-fragmented into 1300-byte frames
// reassembles; anything over the limit fails fast with 1009.
func TestDecodeAutoFragmentedAndLimits(t *testing.T) {
	p := bytes.Repeat([]byte("A"), 65536)
	var frags [][]byte
	for off := 0; off < len(p); off += 1300 {
		end := min(off+1300, len(p))
		op := OpContinuation
		if off == 0 {
			op = OpText
		}
		frags = append(frags, clientFrame(end == len(p), 0, op, p[off:end]))
	}
	runStreamCases(t, []streamCase{
		{
			name: "64 KiB in 1300-byte fragments",
			in:   cat(frags...),
			want: []Message{data(OpText, string(p))},
		},
		{
			name:    "one byte over the default limit, single frame",
			in:      text(string(p) + "A"),
			wantErr: StatusMessageTooBig,
		},
		{
			name:    "over the limit across fragments",
			in:      cat(clientFrame(false, 0, OpBinary, p[:40000]), clientFrame(true, 0, OpContinuation, p[:30000])),
			wantErr: StatusMessageTooBig,
		},
		{
			name: "custom small limit",
			opts: DecoderOptions{MaxMessageSize: 10},
			in:   cat(text("0123456789"), text("0123456789A")),
			want: []Message{data(OpText, "0123456789")}, wantErr: StatusMessageTooBig,
		},
	})
	// Fail fast: the header alone is enough.
	d := NewDecoder(DecoderOptions{})
	hdr := AppendHeader(nil, Header{Fin: true, OpCode: OpBinary, Masked: true, Mask: testMask, Length: 1 << 40})
	_, _, err := d.Decode(hdr)
	wantCode(t, err, StatusMessageTooBig)
}

func TestDecodeMasking(t *testing.T) {
	unmasked := AppendMessage(nil, OpText, []byte("hi"))
	runStreamCases(t, []streamCase{
		{
			name:    "unmasked client frame",
			in:      unmasked,
			wantErr: StatusProtocolError,
		},
		{
			name: "unmasked allowed",
			opts: DecoderOptions{AllowUnmasked: true},
			in:   cat(unmasked, text("masked too")),
			want: []Message{data(OpText, "hi"), data(OpText, "masked too")},
		},
	})
}

func TestDecodeInPlaceAliasesInput(t *testing.T) {
	in := text("hello")
	d := NewDecoder(DecoderOptions{})
	m, n, err := d.Decode(in)
	if err != nil || n != len(in) || string(m.Payload) != "hello" {
		t.Fatalf("got %q n=%d err=%v", m.Payload, n, err)
	}
	if &m.Payload[0] != &in[len(in)-5] {
		t.Fatal("payload does not alias the input")
	}
	if d.buf != nil {
		t.Fatal("decoder took a buffer for a single-frame message")
	}
}

func TestDecoderHoldsNoBufferWhenIdle(t *testing.T) {
	d := NewDecoder(DecoderOptions{})
	stream := cat(clientFrame(false, 0, OpText, []byte("a")), clientFrame(true, 0, OpContinuation, []byte("b")))
	_, n, _ := d.Decode(stream)
	if d.buf == nil {
		t.Fatal("no assembly buffer while a fragmented message is in flight")
	}
	m, _, err := d.Decode(stream[n:])
	if err != nil || string(m.Payload) != "ab" {
		t.Fatalf("got %q %v", m.Payload, err)
	}
	// The payload stays valid until the next Decode, which frees the buffer.
	if _, _, err := d.Decode(nil); err != nil || d.buf != nil {
		t.Fatalf("buffer kept after the next Decode (err %v)", err)
	}
	_, n, _ = d.Decode(stream)
	d.Release()
	if d.buf != nil || d.has(flagInMessage) {
		t.Fatal("Release kept state")
	}
}

func TestDecoderIsSmall(t *testing.T) {
	if s := unsafe.Sizeof(Decoder{}); s > 48 {
		t.Fatalf("Decoder is %d bytes, budget 48", s)
	}
}

func TestDecoderUnusableAfterError(t *testing.T) {
	d := NewDecoder(DecoderOptions{})
	if _, _, err := d.Decode(AppendMessage(nil, OpText, []byte("x"))); err == nil {
		t.Fatal("unmasked frame accepted")
	}
	_, n, err := d.Decode(text("fine"))
	if err == nil || n != 0 {
		t.Fatalf("decoder kept going after an error: n=%d", n)
	}
	d.Release()
	if _, _, err := d.Decode(text("fine")); err != nil {
		t.Fatalf("after Release: %v", err)
	}
}

func TestZeroDecoderUsesDefaults(t *testing.T) {
	var d Decoder
	r := decodeStream(&d, text(strings.Repeat("a", 65537)), 0)
	wantCode(t, r.err, StatusMessageTooBig)
}
