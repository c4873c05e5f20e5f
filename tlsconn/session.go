package tlsconn

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"net"
	"slices"
	"sync/atomic"
	"time"

	"github.com/fanout/fanout/poller"
)

// Error is the package's error kind; its values are constants.
type Error string

func (e Error) Error() string { return string(e) }

const (
	// ErrNotTLS: the first bytes are not a TLS handshake record.
	ErrNotTLS = Error("tlsconn: not a TLS handshake")
	// ErrHandshakeTooLarge: the client sent more than maxHandshakeBytes
	// before the handshake completed.
	ErrHandshakeTooLarge = Error("tlsconn: handshake too large")
	// ErrBusy: MaxHandshakes handshakes are already running.
	ErrBusy = Error("tlsconn: too many handshakes in progress")
	// ErrNotEstablished: a write before the handshake completed.
	ErrNotEstablished = Error("tlsconn: handshake not complete")
	// ErrClosed: the session was closed.
	ErrClosed = Error("tlsconn: session closed")
	// ErrHelloIncomplete ends a session closed (its deadline, or the
	// client gone) after part of a first flight and before all of it.
	ErrHelloIncomplete = Error("tlsconn: closed before the ClientHello was complete")
)

const (
	recordHeaderLen = 5
	// maxRecordLen is the largest TLSCiphertext fragment, 2^14 + 2048
	// (RFC 5246 section 6.2.3).
	maxRecordLen = 1<<14 + 2048
	// maxHandshakeBytes bounds what a client may send before its
	// handshake completes (a ClientHello, a certificate chain).
	maxHandshakeBytes = 64 << 10
	recordHandshake   = 22
)

// Session is one TLS connection over a poller.Conn; it implements
// poller.Codec.
//
// An idle connection keeps its Session for its whole life, so the
// Session keeps only what the record layer needs: the transport and
// crypto/tls's side (cryptoTLS: the wire's buffers and mutex, the
// tls.Conn, the handshake deadline) are a separate object that a TLS 1.3
// session drops once its record layer carries it.
type Session struct {
	srv *Server
	// After a TLS 1.3 handshake the record layer carries the connection
	// (rl); ct, with crypto/tls's tls.Conn and its buffers, is dropped
	// (set to nil) once nothing is left in its transport. Otherwise ct
	// carries it. rl is set on the handshake goroutine under ct.w.mu,
	// before the session turns established.
	rl          atomic.Pointer[records]
	ct          atomic.Pointer[cryptoTLS]
	certMissing bool // ClientCertMissing, kept when ct is dropped
	// Once the kernel protects the records (kernel.go) kt carries the
	// session, on the keys of rl. toKernel: hand it over at the next Open
	// that leaves rl between records (set on the handshake goroutine
	// before rl, then read and cleared only on the loop goroutine). pc is
	// the connection whose socket and queue the hand-over needs.
	toKernel bool
	kt       atomic.Pointer[kernelRecords]
	pc       *poller.Conn
}

// cryptoTLS is what a session needs while crypto/tls carries it: during
// the handshake, and for its whole life on TLS 1.2 (or KeepCryptoTLS).
type cryptoTLS struct {
	w        wire
	tc       *tls.Conn // nil once the record layer carries the session
	deadline time.Time // of the handshake
}

// Open implements poller.Codec. Before the handshake completes it buffers
// wire for the handshake goroutine (starting it once a whole first record
// is there) and returns no plaintext.
func (s *Session) Open(dst, in []byte) (plain, reply []byte, err error) {
	if k := s.kt.Load(); k != nil {
		return k.open(dst, in)
	}
	ct := s.ct.Load()
	if ct == nil { // set to nil only once rl carries the session
		return s.openRecords(s.rl.Load(), dst, in)
	}
	w := &ct.w
	w.mu.Lock()
	switch w.mode {
	case modeEstablished:
		if rl := s.rl.Load(); rl != nil {
			if len(w.in) > 0 { // what came behind the client's Finished
				in = append(w.in, in...)
				w.in = nil
			}
			s.ct.Store(nil) // the transport holds nothing more
			w.mu.Unlock()
			return s.openRecords(rl, dst, in)
		}
		if len(w.in) == 0 {
			w.in = in // borrowed: fully taken by crypto/tls below
		} else {
			w.in = append(w.in, in...)
		}
		w.mu.Unlock()
		dst, err = ct.decrypt(dst)
		w.mu.Lock()
		w.in, reply, w.out = nil, w.out, nil
		w.mu.Unlock()
		return dst, reply, err
	case modeHello, modeHandshake:
		if len(w.in)+len(in) > maxHandshakeBytes {
			w.mu.Unlock()
			return dst, nil, s.refused(w, ErrHandshakeTooLarge)
		}
		w.in = append(w.in, in...)
		if err = s.startLocked(ct); errors.Is(err, ErrNotTLS) && looksLikeHTTP(w.in) {
			reply = []byte(plainHTTPAnswer)
		}
		wake := w.wake
		w.mu.Unlock()
		poke(wake)
		if err != nil {
			err = s.refused(w, err)
		}
		return dst, reply, err
	}
	w.mu.Unlock()
	return dst, nil, ErrClosed
}

// openRecords opens in on the record layer and, while the session is
// still to be handed to the kernel, tries that once rl is between
// records. Called on the loop goroutine.
func (s *Session) openRecords(rl *records, dst, in []byte) (plain, reply []byte, err error) {
	plain, reply, err = rl.open(dst, in)
	if s.toKernel && err == nil && len(reply) == 0 {
		s.handToKernel(rl)
	}
	return plain, reply, err
}

// plainHTTPAnswer is what a plain-HTTP request on the TLS port gets, as
// Go's net/http answers it, so an operator sees the mistake.
const plainHTTPAnswer = "HTTP/1.0 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n" +
	"Client sent an HTTP request to an HTTPS server.\n"

// looksLikeHTTP reports whether b starts like an HTTP/1.x request line:
// an upper-case method and a space.
func looksLikeHTTP(b []byte) bool {
	for i, c := range b {
		switch {
		case c == ' ':
			return i > 0
		case c < 'A' || c > 'Z' || i > 10:
			return false
		}
	}
	return false
}

// refused reports a first flight refused before any handshake started
// (garbage, too large, pool full, left incomplete) to Options.Handshaked,
// once, and returns err.
func (s *Session) refused(w *wire, err error) error {
	w.mu.Lock()
	if w.mode == modeHello {
		w.mode = modeClosed // reported: Close does not report it again
	}
	w.mu.Unlock()
	if cb := s.srv.opts.Handshaked; cb != nil {
		cb(tls.ConnectionState{}, err)
	}
	return err
}

// decrypt reads plaintext records until crypto/tls needs more bytes.
func (c *cryptoTLS) decrypt(dst []byte) ([]byte, error) {
	for {
		if cap(dst)-len(dst) < 4<<10 {
			dst = slices.Grow(dst, 16<<10)
		}
		n, err := c.tc.Read(dst[len(dst):cap(dst)])
		dst = dst[:len(dst)+n]
		if errors.Is(err, errWouldBlock) {
			return dst, nil
		}
		if err != nil {
			return dst, err
		}
	}
}

// startLocked checks the first record and, once it is complete, starts
// the handshake on the pool.
func (s *Session) startLocked(ct *cryptoTLS) error {
	w := &ct.w
	if w.mode != modeHello {
		return nil
	}
	complete, err := firstRecord(w.in)
	if !complete || err != nil {
		return err
	}
	w.mode = modeHandshake
	w.hand = &handover{random: clientRandom(w.in)}
	if s.srv.pool.Submit(func() { s.handshake(ct) }) != nil {
		w.mode = modeClosed
		return ErrBusy
	}
	return nil
}

// firstRecord checks the start of a client's first flight: a handshake
// record (content type 22, RFC 8446 section 5.1) of a 3.x legacy version
// and at most maxRecordLen bytes. complete reports that the whole record
// is in b.
func firstRecord(b []byte) (complete bool, err error) {
	if len(b) > 0 && b[0] != recordHandshake || len(b) > 1 && b[1] != 3 {
		return false, ErrNotTLS
	}
	if len(b) < recordHeaderLen {
		return false, nil
	}
	n := int(binary.BigEndian.Uint16(b[3:5]))
	if n > maxRecordLen {
		return false, ErrNotTLS
	}
	return len(b) >= recordHeaderLen+n, nil
}

// handshake runs on the pool. On success the session turns established
// and asks the loop to decrypt what arrived behind the handshake.
func (s *Session) handshake(ct *cryptoTLS) {
	ctx, cancel := context.WithDeadline(context.Background(), ct.deadline)
	err := ct.tc.HandshakeContext(ctx)
	cancel()
	state := ct.tc.ConnectionState()
	w := &ct.w
	rl, own := w.hand.records(state, s.srv.warm)
	w.mu.Lock()
	if err == nil && w.mode != modeHandshake {
		err = ErrClosed
	}
	if err == nil {
		w.mode, w.wake, w.hand = modeEstablished, nil, nil
		if own && !s.srv.opts.KeepCryptoTLS {
			s.certMissing = s.srv.opts.ClientCAs != nil && len(state.VerifiedChains) == 0
			s.toKernel = s.srv.kernel
			s.rl.Store(rl)
			ct.tc = nil
			if len(w.in) == 0 { // else Open takes what is left, then drops ct
				s.ct.Store(nil)
			}
		}
	}
	w.mu.Unlock()
	s.srv.reclaim.handshakeEnded()
	if cb := s.srv.opts.Handshaked; cb != nil {
		cb(state, err)
	}
	if err != nil {
		w.pc.Close() // the alert crypto/tls wrote goes out, then FIN
		return
	}
	if cb := s.srv.opts.Established; cb != nil {
		cb(state.Version, s.layer())
	}
	w.pc.Wake()
}

// layer names the record layer that carries the session.
func (s *Session) layer() RecordLayer {
	if s.rl.Load() != nil {
		return LayerFanout
	}
	return LayerCryptoTLS
}

// Seal implements poller.Codec: it encrypts p into records of its own.
func (s *Session) Seal(p []byte) ([]byte, error) {
	if k := s.kt.Load(); k != nil {
		return k.seal(p)
	}
	if rl := s.rl.Load(); rl != nil { // set only once established
		return rl.seal(p)
	}
	ct := s.ct.Load()
	if ct == nil { // rl was set meanwhile
		return s.rl.Load().seal(p)
	}
	w := &ct.w
	w.mu.Lock()
	est, tc := w.mode == modeEstablished, ct.tc
	w.mu.Unlock()
	if !est {
		return nil, ErrNotEstablished
	}
	if tc == nil { // the handshake handed over to rl meanwhile
		return s.rl.Load().seal(p)
	}
	if _, err := tc.Write(p); err != nil {
		return nil, err
	}
	w.mu.Lock()
	out := w.out
	w.out = nil
	w.mu.Unlock()
	return out, nil
}

// AppendSeal implements poller.AppendSealer: it encrypts the bytes of
// bufs, one after the other, appended to dst. On the package's record
// layer frames share records (up to 2^14 bytes each) and nothing is
// allocated when dst has room; a session on crypto/tls (TLS 1.2) seals
// them with Seal and copies the records to dst.
func (s *Session) AppendSeal(dst []byte, bufs [][]byte) ([]byte, error) {
	if k := s.kt.Load(); k != nil { // checked first: rl stays set under it
		return k.appendSealed(dst, bufs)
	}
	if rl := s.rl.Load(); rl != nil {
		return rl.appendSealed(dst, bufs)
	}
	out, err := s.Seal(bytes.Join(bufs, nil))
	return append(dst, out...), err
}

// Detach hands the session to a blocking reader (net/http) over nc, the
// same socket taken out of the poller: the result is the *tls.Conn,
// continuing the session. Call it on the loop goroutine, from OnData.
func (s *Session) Detach(nc net.Conn) net.Conn {
	ct := s.ct.Load()
	var tc *tls.Conn
	if ct != nil {
		w := &ct.w
		w.mu.Lock()
		w.mode, w.nc, w.in = modeDetached, nc, nil
		tc = ct.tc
		w.mu.Unlock()
	}
	if k := s.kt.Load(); k != nil {
		return k.conn(nc)
	}
	if rl := s.rl.Load(); rl != nil {
		return newRecordConn(nc, rl)
	}
	return tc
}

// Close ends the session: a handshake waiting for bytes returns. A first
// flight that had begun and was not complete (a trickled or truncated
// ClientHello cut by the deadline, or a client that left) is reported to
// Options.Handshaked as ErrHelloIncomplete; a connection that sent
// nothing (a load balancer's TCP check) is not a handshake.
func (s *Session) Close() {
	ct := s.ct.Load()
	if ct == nil { // the record layer carries it: nothing waits
		return
	}
	w := &ct.w
	w.mu.Lock()
	partial := w.mode == modeHello && len(w.in) > 0
	w.mu.Unlock()
	if partial {
		s.refused(w, ErrHelloIncomplete)
	}
	_ = w.Close()
}

// ClientCertMissing reports whether the server asks for client
// certificates (Options.ClientCAs) and this client presented none that
// verified: the HTTP API refuses such a client under mutual TLS. Call it
// once the session is established.
func (s *Session) ClientCertMissing() bool {
	ct := s.ct.Load()
	if ct == nil {
		return s.certMissing
	}
	ct.w.mu.Lock()
	tc := ct.tc
	ct.w.mu.Unlock()
	if tc == nil {
		return s.certMissing
	}
	return s.srv.opts.ClientCAs != nil && len(tc.ConnectionState().VerifiedChains) == 0
}
