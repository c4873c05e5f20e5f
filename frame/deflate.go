package frame

import (
	"bytes"
	"compress/flate"
	"strconv"
	"sync"

	"github.com/gobwas/httphead"
	"github.com/gobwas/ws/wsflate"
)

// DeflateParams are permessage-deflate extension parameters (RFC 7692 7.1).
// Window bits of 0 mean the parameter is absent; -1 means present without a
// value (client_max_window_bits only).
type DeflateParams struct {
	ServerNoContextTakeover bool
	ClientNoContextTakeover bool
	ServerMaxWindowBits     int
	ClientMaxWindowBits     int
}

// serverDeflateResponse is what the server answers when the client asks
// for no window limit: no context takeover in either direction, so neither
// side keeps a sliding window per connection.
var serverDeflateResponse = DeflateParams{ServerNoContextTakeover: true, ClientNoContextTakeover: true}.String()

// FullWindowBits is the largest LZ77 window of RFC 7692 (2^15 bytes), the
// one the server compresses with unless the client asks for less.
const FullWindowBits = 15

// MinWindowBits is the smallest window an offer may name (RFC 7692
// sections 7.1.2.1 and 7.1.2.2: 8 to 15).
const MinWindowBits = 8

// Response is the server's answer to the accepted offer p: no context
// takeover both ways and, when the client offered server_max_window_bits,
// the same value back (RFC 7692 section 7.1.2.1: "the same or smaller
// value"), which binds the server to back-references of at most
// 2^ServerMaxWindowBits bytes. client_max_window_bits is never answered:
// the server inflates any window up to 2^15, so the client may use what it
// offered (section 7.1.2.2).
func (p DeflateParams) Response() DeflateParams {
	return DeflateParams{ServerNoContextTakeover: true, ClientNoContextTakeover: true, ServerMaxWindowBits: p.ServerMaxWindowBits}
}

// WindowBits is the LZ77 window the server may use under offer p:
// ServerMaxWindowBits when given, else FullWindowBits.
func (p DeflateParams) WindowBits() int {
	if p.ServerMaxWindowBits >= MinWindowBits && p.ServerMaxWindowBits < FullWindowBits {
		return p.ServerMaxWindowBits
	}
	return FullWindowBits
}

// String formats p as a Sec-WebSocket-Extensions value.
func (p DeflateParams) String() string {
	s := wsflate.ExtensionName
	if p.ServerNoContextTakeover {
		s += "; server_no_context_takeover"
	}
	if p.ClientNoContextTakeover {
		s += "; client_no_context_takeover"
	}
	if p.ServerMaxWindowBits > 0 {
		s += "; server_max_window_bits=" + strconv.Itoa(p.ServerMaxWindowBits)
	}
	switch {
	case p.ClientMaxWindowBits > 0:
		s += "; client_max_window_bits=" + strconv.Itoa(p.ClientMaxWindowBits)
	case p.ClientMaxWindowBits < 0:
		s += "; client_max_window_bits"
	}
	return s
}

// NegotiateDeflate inspects the client's Sec-WebSocket-Extensions value(s)
// (several header lines joined with ", ") and reports whether to accept
// permessage-deflate, with the response header value. The first acceptable
// offer wins; an offer is declined when its parameters are malformed
// (window bits outside 8-15, a parameter twice, an unknown parameter: RFC
// 7692 section 7.1). Any server_max_window_bits from 8 to 15 is accepted
// and answered with the same value (see DeflateParams.Response); the
// response always carries server_no_context_takeover and
// client_no_context_takeover.
func NegotiateDeflate(offer []byte) (accept bool, response string) {
	p, ok := ParseDeflateOffer(offer)
	if !ok {
		return false, ""
	}
	return true, p.Response().String()
}

// ParseDeflateOffer returns the parameters of the first acceptable
// permessage-deflate offer in a Sec-WebSocket-Extensions value.
func ParseDeflateOffer(offer []byte) (DeflateParams, bool) {
	opts, ok := httphead.ParseOptions(offer, nil)
	if !ok {
		return DeflateParams{}, false
	}
	for _, opt := range opts {
		if !bytes.Equal(opt.Name, wsflate.ExtensionNameBytes) {
			continue
		}
		var wp wsflate.Parameters
		if wp.Parse(opt) != nil {
			continue
		}
		p := DeflateParams{
			ServerNoContextTakeover: wp.ServerNoContextTakeover,
			ClientNoContextTakeover: wp.ClientNoContextTakeover,
			ServerMaxWindowBits:     int(wp.ServerMaxWindowBits),
			ClientMaxWindowBits:     int(wp.ClientMaxWindowBits),
		}
		if wp.ClientMaxWindowBits == 1 {
			// wsflate marks a value-less client_max_window_bits with 1.
			p.ClientMaxWindowBits = -1
		}
		return p, true
	}
	return DeflateParams{}, false
}

// deflateSyncTail is what a sync flush ends with; RFC 7692 7.2.1 strips it.
var deflateSyncTail = []byte{0x00, 0x00, 0xff, 0xff}

// appendWriter is an io.Writer appending to a slice.
type appendWriter struct{ b []byte }

func (w *appendWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

// deflater is a flate writer with its output, pooled together.
type deflater struct {
	out appendWriter
	fw  *flate.Writer
}

var deflaterPool sync.Pool

func getDeflater() *deflater {
	if f, ok := deflaterPool.Get().(*deflater); ok {
		return f
	}
	f := new(deflater)
	// BestSpeed: broadcasts are compressed once per message on the hot
	// path, and level 1 keeps the per-writer state smallest.
	f.fw, _ = flate.NewWriter(&f.out, flate.BestSpeed)
	return f
}

// AppendCompressedMessage compresses payload with no context takeover and
// the full 2^15-byte window, strips the trailing 0x00 0x00 0xff 0xff, and
// appends one unmasked FIN frame with RSV1 set to dst. op must be OpText or
// OpBinary (RFC 7692 does not compress control frames). The compressor is
// pooled; with room in dst it does not allocate.
func AppendCompressedMessage(dst []byte, op OpCode, payload []byte) ([]byte, error) {
	return AppendCompressedMessageWindow(dst, op, payload, FullWindowBits)
}

// AppendCompressedMessageWindow is AppendCompressedMessage for a peer that
// accepted an LZ77 window of 2^windowBits bytes (8 to 15; other values
// mean 15). compress/flate cannot shrink its window, so below 15 the
// payload is cut into pieces of 2^windowBits bytes and each piece is
// compressed by a reset compressor, ending in a sync flush: one valid
// DEFLATE stream (RFC 1951) of non-final blocks whose back-references
// never reach out of their own piece, so no distance exceeds the window.
func AppendCompressedMessageWindow(dst []byte, op OpCode, payload []byte, windowBits int) ([]byte, error) {
	piece := len(payload)
	if windowBits >= MinWindowBits && windowBits < FullWindowBits {
		piece = 1 << windowBits
	}
	f := getDeflater()
	defer deflaterPool.Put(f)
	start := len(dst)
	// Reserve the largest unmasked header, compress after it, then slide the
	// body left to sit behind the real header.
	f.out.b = append(dst, make([]byte, maxHeaderSize-4)...)
	for first := true; first || len(payload) > 0; first = false {
		n := min(piece, len(payload))
		f.fw.Reset(&f.out)
		if _, err := f.fw.Write(payload[:n]); err != nil {
			return dst, err
		}
		if err := f.fw.Flush(); err != nil {
			return dst, err
		}
		payload = payload[n:]
	}
	out := f.out.b
	f.out.b = nil
	out = bytes.TrimSuffix(out, deflateSyncTail)
	bodyAt := start + maxHeaderSize - 4
	body := len(out) - bodyAt
	h := Header{Fin: true, Rsv: rsv1, OpCode: op, Length: int64(body)}
	hdr := AppendHeader(out[start:start:bodyAt], h)
	copy(out[start+len(hdr):], out[bodyAt:])
	return out[:start+len(hdr)+body], nil
}
