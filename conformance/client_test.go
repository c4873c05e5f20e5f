package conformance

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/fanout/fanout/config"
	"github.com/fanout/fanout/internal/fantest"
)

// Opcodes and close codes used by the cases, spelled as on the wire so a
// case reads like the RFC.
const (
	opCont   = 0x0
	opText   = 0x1
	opBinary = 0x2
	opClose  = 0x8
	opPing   = 0x9
	opPong   = 0xA
)

// hangGuard bounds every read so a broken server fails a case instead of
// hanging the run; no case passes or fails on how fast the server is.
const hangGuard = 2 * time.Minute

// echoNode starts a node serving /echo with a 64 MiB message limit, as
// `fanout serve --echo --max-message-size 67108864` does.
// With CONFORMANCE_TLS=1 (set by TestOverTLS) the node terminates TLS
// and dial speaks wss.
func echoNode(t *testing.T) string {
	t.Helper()
	cfg := fantest.Config()
	cfg.Server.Echo = true
	cfg.Server.MaxMessageSize = 64 << 20
	return start(t, cfg)
}

// start runs a node with cfg, terminating TLS in the TLS run.
func start(t *testing.T, cfg config.Config) string {
	t.Helper()
	clientTLS = nil
	if os.Getenv("CONFORMANCE_TLS") == "1" {
		pki := fantest.NewPKI(t)
		cfg.Server.TLS.Cert, cfg.Server.TLS.Key = pki.CertFile, pki.KeyFile
		clientTLS = pki.ClientConfig()
	}
	return fantest.Start(t, cfg, nil).Addr()
}

// clientTLS is the client side of the TLS run; nil for plain TCP. The
// tests run one after another, each setting it before it dials.
var clientTLS *tls.Config

// TestOverTLS runs every case of this package again, as a child process,
// against a node that terminates TLS itself (records split anywhere by
// the network land on the loop's record layer first).
func TestOverTLS(t *testing.T) {
	if os.Getenv("CONFORMANCE_TLS") == "1" {
		t.Skip("this is the TLS run")
	}
	cmd := exec.Command(os.Args[0], "-test.count=1", "-test.timeout=10m")
	cmd.Env = append(os.Environ(), "CONFORMANCE_TLS=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("conformance over TLS: %v\n%s", err, out)
	}
	if testing.Verbose() {
		t.Logf("%s", out)
	}
}

// frm is one WebSocket frame.
type frm struct {
	fin     bool
	rsv     byte // the three RSV bits, 0-7
	op      byte
	payload []byte
}

// mask is the masking key of every client frame: its bytes differ so a
// server that ignores or misapplies one of them garbles the payload.
var mask = [4]byte{0x37, 0xfa, 0x21, 0x3d}

// enc encodes f as a masked client frame, choosing the 7, 16 or 64-bit
// length form as RFC 6455 5.2 requires.
func enc(f frm) []byte { return encode(f, true) }

// encUnmasked encodes f without a mask, which a server must refuse.
func encUnmasked(f frm) []byte { return encode(f, false) }

func encode(f frm, masked bool) []byte {
	b0 := f.rsv<<4 | f.op&0x0f
	if f.fin {
		b0 |= 0x80
	}
	var mbit byte
	if masked {
		mbit = 0x80
	}
	b := []byte{b0}
	n := len(f.payload)
	switch {
	case n <= 125:
		b = append(b, mbit|byte(n))
	case n <= 0xffff:
		b = append(b, mbit|126)
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	default:
		b = append(b, mbit|127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	if !masked {
		return append(b, f.payload...)
	}
	b = append(b, mask[:]...)
	start := len(b)
	b = append(b, f.payload...)
	for i := range f.payload {
		b[start+i] ^= mask[i&3]
	}
	return b
}

// text and bin are unfragmented data frames; closeFrame a close frame
// with a code (0 means none) and a reason.
func text(s string) frm { return frm{fin: true, op: opText, payload: []byte(s)} }
func bin(p []byte) frm  { return frm{fin: true, op: opBinary, payload: p} }
func ping(p string) frm { return frm{fin: true, op: opPing, payload: []byte(p)} }
func pong(p string) frm { return frm{fin: true, op: opPong, payload: []byte(p)} }
func closeFrame(code uint16, reason string) frm {
	var p []byte
	if code != 0 {
		p = binary.BigEndian.AppendUint16(nil, code)
	}
	return frm{fin: true, op: opClose, payload: append(p, reason...)}
}

// client is a raw WebSocket client over a real socket.
type client struct {
	t *testing.T
	c net.Conn
	r *bufio.Reader
}

// dial opens a TCP connection to addr and performs the upgrade by hand.
func dial(t *testing.T, addr string) *client {
	t.Helper()
	var c net.Conn
	var err error
	if clientTLS != nil {
		c, err = tls.DialWithDialer(&net.Dialer{Timeout: hangGuard}, "tcp", addr, clientTLS)
	} else {
		c, err = net.DialTimeout("tcp", addr, hangGuard)
	}
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	cl := &client{t: t, c: c, r: bufio.NewReaderSize(c, 64<<10)}
	req := "GET /echo HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	cl.write([]byte(req))
	_ = c.SetReadDeadline(time.Now().Add(hangGuard))
	resp, err := http.ReadResponse(cl.r, nil)
	if err != nil {
		t.Fatalf("upgrade response: %v", err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade status %d, want 101", resp.StatusCode)
	}
	// RFC 6455 1.3's own example key and accept value.
	if got := resp.Header.Get("Sec-WebSocket-Accept"); got != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
		t.Fatalf("Sec-WebSocket-Accept %q", got)
	}
	return cl
}

// write writes b whole.
func (c *client) write(b []byte) {
	c.t.Helper()
	_ = c.c.SetWriteDeadline(time.Now().Add(hangGuard))
	if _, err := c.c.Write(b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// send writes each frame with its own write call.
func (c *client) send(fs ...frm) {
	c.t.Helper()
	for _, f := range fs {
		c.write(enc(f))
	}
}

// sendChunked writes the frames as one byte stream cut into size-byte
// writes, so frame boundaries fall anywhere.
func (c *client) sendChunked(size int, fs ...frm) {
	c.t.Helper()
	var b []byte
	for _, f := range fs {
		b = append(b, enc(f)...)
	}
	c.writeChunked(b, size)
}

func (c *client) writeChunked(b []byte, size int) {
	c.t.Helper()
	for len(b) > 0 {
		k := min(size, len(b))
		c.write(b[:k])
		b = b[k:]
	}
}

// readFrame reads one server frame; a server frame must never be masked.
func (c *client) readFrame() (frm, error) {
	_ = c.c.SetReadDeadline(time.Now().Add(hangGuard))
	var h [2]byte
	if _, err := io.ReadFull(c.r, h[:]); err != nil {
		return frm{}, err
	}
	f := frm{fin: h[0]&0x80 != 0, rsv: h[0] >> 4 & 7, op: h[0] & 0x0f}
	if h[1]&0x80 != 0 {
		return frm{}, errors.New("server frame is masked")
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var l [2]byte
		if _, err := io.ReadFull(c.r, l[:]); err != nil {
			return frm{}, err
		}
		n = uint64(binary.BigEndian.Uint16(l[:]))
	case 127:
		var l [8]byte
		if _, err := io.ReadFull(c.r, l[:]); err != nil {
			return frm{}, err
		}
		n = binary.BigEndian.Uint64(l[:])
	}
	if n > 128<<20 {
		return frm{}, fmt.Errorf("server frame of %d bytes", n)
	}
	f.payload = make([]byte, n)
	if _, err := io.ReadFull(c.r, f.payload); err != nil {
		return frm{}, err
	}
	if f.rsv != 0 {
		return f, fmt.Errorf("server frame with RSV bits %d", f.rsv)
	}
	return f, nil
}

// readMessage reads one message: a control frame as it is, or a data
// message reassembled from however many fragments the server chose.
func (c *client) readMessage() (op byte, payload []byte) {
	c.t.Helper()
	var data []byte
	var first byte
	for {
		f, err := c.readFrame()
		if err != nil {
			c.t.Fatalf("read: %v", err)
		}
		if f.op >= 0x8 {
			if first != 0 && f.op == opClose {
				c.t.Fatalf("close frame inside a fragmented message")
			}
			if first == 0 {
				return f.op, f.payload
			}
			c.t.Fatalf("server interleaved control frame 0x%x in a message", f.op)
		}
		if first == 0 {
			if f.op == opCont {
				c.t.Fatalf("server sent a continuation frame first")
			}
			first = f.op
		} else if f.op != opCont {
			c.t.Fatalf("server started a new message (0x%x) inside one", f.op)
		}
		data = append(data, f.payload...)
		if f.fin {
			return first, data
		}
	}
}

// expect reads the next message and requires it to be op with payload.
func (c *client) expect(op byte, payload []byte) {
	c.t.Helper()
	gotOp, got := c.readMessage()
	if gotOp != op || !bytes.Equal(got, payload) {
		c.t.Fatalf("got op 0x%x with %d bytes %s, want op 0x%x with %d bytes %s",
			gotOp, len(got), short(got), op, len(payload), short(payload))
	}
}

func short(b []byte) string {
	if len(b) > 40 {
		return fmt.Sprintf("%q...", b[:40])
	}
	return fmt.Sprintf("%q", b)
}

// expectClose requires the next frame to be a close frame with code
// (1005 for an empty body), answers it, and requires the server to close
// the TCP connection with nothing more sent.
func (c *client) expectClose(code uint16) {
	c.t.Helper()
	op, p := c.readMessage()
	if op != opClose {
		c.t.Fatalf("got op 0x%x (%s), want a close frame with %d", op, short(p), code)
	}
	got := uint16(1005)
	if len(p) >= 2 {
		got = binary.BigEndian.Uint16(p)
	}
	if len(p) == 1 {
		c.t.Fatalf("server close frame with a one-byte body")
	}
	if got != code {
		c.t.Fatalf("close code %d (reason %q), want %d", got, p[min(2, len(p)):], code)
	}
	_ = c.c.SetWriteDeadline(time.Now().Add(hangGuard))
	answer := code
	if answer == 1005 {
		answer = 0 // 1005 never goes on the wire: answer with an empty body
	}
	_, _ = c.c.Write(enc(closeFrame(answer, "")))
	c.expectEOF()
}

// expectEOF requires the server to close the connection without sending
// anything more.
func (c *client) expectEOF() {
	c.t.Helper()
	f, err := c.readFrame()
	if err == nil {
		c.t.Fatalf("frame 0x%x (%s) after the close handshake, want EOF", f.op, short(f.payload))
	}
	if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !isReset(err) {
		c.t.Fatalf("after close: %v, want EOF", err)
	}
}

func isReset(err error) bool {
	var ne *net.OpError
	return errors.As(err, &ne) && !ne.Timeout()
}

// closeNormally runs the client-initiated close handshake with 1000.
func (c *client) closeNormally() {
	c.t.Helper()
	c.send(closeFrame(1000, ""))
	op, p := c.readMessage()
	if op != opClose || len(p) < 2 || binary.BigEndian.Uint16(p) != 1000 {
		c.t.Fatalf("answer to close 1000: op 0x%x %s", op, short(p))
	}
	c.expectEOF()
}

// smallNode starts an echo node with a 4 KiB message limit.
func smallNode(t *testing.T) string {
	t.Helper()
	cfg := fantest.Config()
	cfg.Server.Echo = true
	cfg.Server.MaxMessageSize = 4096
	return start(t, cfg)
}
