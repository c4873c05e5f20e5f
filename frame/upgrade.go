package frame

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/gobwas/ws"
)

// UpgradeOptions shapes the 101 response. The zero value answers with no
// subprotocol and no extension.
type UpgradeOptions struct {
	// Protocol is echoed in Sec-WebSocket-Protocol when the client offered
	// it. Default "": none.
	Protocol string
	// Deflate includes the permessage-deflate response (no context takeover
	// both ways, see NegotiateDeflate). Default false.
	Deflate bool
	// DeflateWindowBits, from 8 to 15, answers the client's
	// server_max_window_bits with that value (DeflateParams.Response); the
	// server must then compress with AppendCompressedMessageWindow and
	// these bits. Default 0: no parameter (the client offered none),
	// window 2^15.
	DeflateWindowBits int
}

// HandshakeError is a refused upgrade: the HTTP status sent and why. It is a
// value type: read it with errors.As.
type HandshakeError struct {
	Status int
	Reason string
}

func (e HandshakeError) Error() string { return e.Reason }

// AppendUpgradeResponse validates head, a complete request head as found by
// ParseRequestHead, as a WebSocket upgrade (GET, HTTP/1.1, Host, Upgrade,
// Connection, Sec-WebSocket-Version 13, a well-formed Sec-WebSocket-Key)
// with gobwas/ws, and appends the 101 Switching Protocols response to dst.
// On a bad handshake it appends the matching 4xx response (with
// "Connection: close") instead and returns a HandshakeError.
func AppendUpgradeResponse(dst []byte, head []byte, opts UpgradeOptions) ([]byte, error) {
	out := &appendWriter{b: dst}
	u := ws.Upgrader{ProtocolCustom: echoProtocol(opts.Protocol)}
	if opts.Deflate {
		resp := serverDeflateResponse
		if b := opts.DeflateWindowBits; b >= MinWindowBits && b <= FullWindowBits {
			resp = DeflateParams{ServerMaxWindowBits: b}.Response().String()
		}
		ext := ws.HandshakeHeaderString("Sec-WebSocket-Extensions: " + resp + "\r\n")
		u.OnBeforeUpgrade = func() (ws.HandshakeHeader, error) { return ext, nil }
	}
	conn := struct {
		io.Reader
		io.Writer
	}{bytes.NewReader(head), out}
	_, err := u.Upgrade(conn)
	if err == nil {
		return out.b, nil
	}
	var rej *ws.ConnectionRejectedError
	if !errors.As(err, &rej) || len(out.b) == len(dst) {
		// Not a handshake verdict (the head was cut short): nothing written.
		return AppendHTTPError(dst, http.StatusBadRequest, "malformed HTTP request"),
			HandshakeError{Status: http.StatusBadRequest, Reason: "malformed HTTP request"}
	}
	status := rej.StatusCode()
	if status == 0 {
		status = http.StatusInternalServerError
	}
	return insertConnectionClose(out.b, len(dst)), HandshakeError{Status: status, Reason: err.Error()}
}

// echoProtocol selects proto from the client's Sec-WebSocket-Protocol list
// when it is there.
func echoProtocol(proto string) func([]byte) (string, bool) {
	return func(offer []byte) (string, bool) {
		for len(offer) > 0 {
			var item []byte
			item, offer, _ = bytes.Cut(offer, []byte(","))
			if proto != "" && string(bytes.Trim(item, " \t")) == proto {
				return proto, true
			}
		}
		return "", true
	}
}

// insertConnectionClose adds "Connection: close" after the status line of
// the response that starts at b[start:].
func insertConnectionClose(b []byte, start int) []byte {
	i := bytes.Index(b[start:], []byte("\r\n"))
	if i < 0 {
		return b
	}
	at := start + i + 2
	const line = "Connection: close\r\n"
	b = append(b, line...)
	copy(b[at+len(line):], b[at:len(b)-len(line)])
	copy(b[at:], line)
	return b
}

// AppendHTTPError appends a minimal HTTP/1.1 response with status, a
// "Connection: close" header and body as plain text.
func AppendHTTPError(dst []byte, status int, body string) []byte {
	dst = append(dst, "HTTP/1.1 "...)
	dst = strconv.AppendInt(dst, int64(status), 10)
	dst = append(dst, ' ')
	dst = append(dst, http.StatusText(status)...)
	dst = append(dst, "\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: "...)
	dst = strconv.AppendInt(dst, int64(len(body)), 10)
	dst = append(dst, "\r\n\r\n"...)
	return append(dst, body...)
}
