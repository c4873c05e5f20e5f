package frame

import (
	"bytes"
	"strings"
	"testing"
)

func TestNegotiateDeflate(t *testing.T) {
	const base = "permessage-deflate; server_no_context_takeover; client_no_context_takeover"
	cases := []struct {
		offer string
		want  string // "" declines
	}{
		{offer: "", want: ""},
		{offer: "x-webkit-deflate-frame", want: ""},
		{offer: "permessage-deflate", want: base},
		{offer: "permessage-deflate; client_max_window_bits", want: base},
		{offer: "permessage-deflate; client_max_window_bits=10; server_no_context_takeover", want: base},
		{offer: "permessage-deflate; client_max_window_bits=8", want: base},
		// A server window from 8 to 15 (RFC 7692 7.1.2.1; the Autobahn
		// cases 13.3.x and 13.5.x offer 9) is answered with the same value.
		{offer: "permessage-deflate; server_max_window_bits=8", want: base + "; server_max_window_bits=8"},
		{offer: "permessage-deflate; server_max_window_bits=9", want: base + "; server_max_window_bits=9"},
		{offer: "permessage-deflate; server_max_window_bits=10", want: base + "; server_max_window_bits=10"},
		{offer: "permessage-deflate; server_max_window_bits=15", want: base + "; server_max_window_bits=15"},
		{offer: "permessage-deflate; server_max_window_bits=9; client_max_window_bits=9", want: base + "; server_max_window_bits=9"},
		{offer: "permessage-deflate; server_max_window_bits=7", want: ""},
		{offer: "permessage-deflate; server_max_window_bits=16", want: ""},
		{offer: "permessage-deflate; server_max_window_bits", want: ""},
		{offer: "permessage-deflate; client_max_window_bits=7", want: ""},
		{offer: "permessage-deflate; server_max_window_bits=7, permessage-deflate", want: base},
		{offer: "permessage-deflate; unknown_param", want: ""},
		{offer: "permessage-deflate; client_no_context_takeover; client_no_context_takeover", want: ""},
		{offer: "foo, permessage-deflate; client_max_window_bits", want: base},
	}
	for _, tc := range cases {
		accept, resp := NegotiateDeflate([]byte(tc.offer))
		if accept != (tc.want != "") || resp != tc.want {
			t.Errorf("%q: accept=%v response %q, want %q", tc.offer, accept, resp, tc.want)
		}
	}
}

func TestDeflateParamsString(t *testing.T) {
	p := DeflateParams{ServerMaxWindowBits: 12, ClientMaxWindowBits: -1}
	if got := p.String(); got != "permessage-deflate; server_max_window_bits=12; client_max_window_bits" {
		t.Fatalf("got %q", got)
	}
	got, ok := ParseDeflateOffer([]byte("permessage-deflate; client_max_window_bits"))
	if !ok || got.ClientMaxWindowBits != -1 {
		t.Fatalf("got %+v %v", got, ok)
	}
}

// compressedClientFrames compresses p as a client with no context takeover
// would and splits the compressed bytes into frames of at most size bytes.
func compressedClientFrames(t testing.TB, op OpCode, p []byte, size int) []byte {
	t.Helper()
	srv, err := AppendCompressedMessage(nil, op, p)
	if err != nil {
		t.Fatal(err)
	}
	h, n, err := ParseHeader(srv)
	if err != nil || h.Rsv != rsv1 || !h.Fin || h.OpCode != op || int64(len(srv)-n) != h.Length {
		t.Fatalf("server frame header %+v err %v", h, err)
	}
	body := srv[n:]
	if size <= 0 {
		size = len(body) + 1
	}
	var out []byte
	for off := 0; off == 0 || off < len(body); off += size {
		end := min(off+size, len(body))
		fop, rsv := OpContinuation, byte(0)
		if off == 0 {
			fop, rsv = op, rsv1
		}
		out = append(out, clientFrame(end == len(body), rsv, fop, body[off:end])...)
	}
	return out
}

func TestDeflateRoundTrip(t *testing.T) {
	payloads := []string{
		"",
		"a",
		`{"event":"pusher:subscribe","data":{"channel":"presence-room"}}`,
		strings.Repeat("Hello, compressed world! ", 2000),
		strings.Repeat("κόσμε", 1000),
	}
	opts := DecoderOptions{Deflate: true}
	for _, p := range payloads {
		for _, size := range []int{0, 1, 100} {
			for _, op := range []OpCode{OpText, OpBinary} {
				stream := compressedClientFrames(t, op, []byte(p), size)
				for _, chunk := range []int{0, 3} {
					d := NewDecoder(opts)
					r := decodeStream(d, stream, chunk)
					if r.err != nil || len(r.msgs) != 1 {
						t.Fatalf("len %d frag %d: err=%v msgs=%d", len(p), size, r.err, len(r.msgs))
					}
					if m := r.msgs[0]; m.OpCode != op || string(m.Payload) != p {
						t.Fatalf("len %d frag %d: got %v %q", len(p), size, m.OpCode, trunc(m.Payload))
					}
					d.Release()
				}
			}
		}
	}
}

func TestDeflateStripsSyncTail(t *testing.T) {
	b, _ := AppendCompressedMessage([]byte("prefix"), OpText, []byte("hello hello hello"))
	if !bytes.HasPrefix(b, []byte("prefix")) {
		t.Fatal("dst prefix lost")
	}
	if bytes.HasSuffix(b, []byte{0, 0, 0xff, 0xff}) {
		t.Fatal("sync flush tail not stripped")
	}
	// Compressed and uncompressed messages interleave on one decoder.
	d := NewDecoder(DecoderOptions{Deflate: true})
	stream := cat(compressedClientFrames(t, OpText, []byte("one"), 0), text("two"),
		compressedClientFrames(t, OpBinary, []byte("three"), 2))
	r := decodeStream(d, stream, 0)
	if r.err != nil || len(r.msgs) != 3 || string(r.msgs[0].Payload) != "one" ||
		string(r.msgs[1].Payload) != "two" || string(r.msgs[2].Payload) != "three" {
		t.Fatalf("err=%v msgs=%v", r.err, r.msgs)
	}
}

func TestDeflateErrors(t *testing.T) {
	bomb := bytes.Repeat([]byte{0}, 10<<20)
	runStreamCases(t, []streamCase{
		{
			name:    "zip bomb (10 MiB of zeros)",
			opts:    DecoderOptions{Deflate: true},
			in:      compressedClientFrames(t, OpBinary, bomb, 0),
			wantErr: StatusMessageTooBig,
		},
		{
			name:    "inflated text is not UTF-8",
			opts:    DecoderOptions{Deflate: true},
			in:      compressedClientFrames(t, OpText, []byte("ok \xed\xa0\x80"), 0),
			wantErr: StatusInvalidPayload,
		},
		{
			name:    "corrupt deflate stream",
			opts:    DecoderOptions{Deflate: true},
			in:      clientFrame(true, rsv1, OpBinary, []byte{0xFF, 0xFF, 0xFF, 0xFF, 0xFF}),
			wantErr: StatusProtocolError,
		},
		{
			name:    "compressed frame without deflate negotiated",
			in:      compressedClientFrames(t, OpText, []byte("x"), 0),
			wantErr: StatusProtocolError,
		},
	})
}
