package tlsconn

import (
	"encoding/binary"
	"net"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// KernelEvent is what Options.KernelTLSEvent reports of a TLS 1.3
// connection and kernel TLS.
type KernelEvent string

const (
	// KernelOn: the kernel protects the connection's records from now on
	// (TLS_RX, and TLS_TX unless KernelTXUser follows).
	KernelOn KernelEvent = "on"
	// KernelTXUser: the kernel took the read direction but refused the
	// write one; writes stay on the package's record layer.
	KernelTXUser KernelEvent = "tx_user"
	// KernelFallback: the kernel refused the connection (no tls module,
	// or setsockopt failed); it stays on the package's record layer.
	KernelFallback KernelEvent = "fallback"
	// KernelRekeyUnsupported: the peer sent a KeyUpdate and the kernel
	// would not take the new key (Linux before 6.14 cannot rekey a TLS
	// 1.3 socket): the connection was ended with internal_error.
	KernelRekeyUnsupported KernelEvent = "rekey_unsupported"
)

// kernelRecords carries a TLS 1.3 connection whose records the kernel
// protects (Linux Documentation/networking/tls.rst): bytes on the socket
// are plaintext to us. Application data needs nothing from it; it reads
// the other records the kernel hands up with their type in a control
// message (alerts, KeyUpdate, section 4.6.3), writes ours with
// TLS_SET_RECORD_TYPE, and gives the kernel each new key. rl keeps the
// secrets the next keys derive from; when the kernel refused the write
// direction (tx false) rl also protects what is written. The loop
// goroutine calls read and open; seal and open are serialized by the
// poller's connection lock.
type kernelRecords struct {
	rl      *records
	fd      int
	tx      bool  // the kernel protects what we write
	closed  bool  // an alert was sent or received
	ctype   uint8 // content type of what the last read returned
	useless uint8 // records in a row without application data
	hsLen   uint8 // bytes of a KeyUpdate held in hs
	hs      [5]byte
	oob     [cmsgRecordSpace]byte
	events  func(KernelEvent)
}

// cmsgRecordSpace is CMSG_SPACE(1): one control message of one byte.
const cmsgRecordSpace = (unix.SizeofCmsghdr + 1 + 7) &^ 7

// startKernel hands the connection on fd to the kernel: the "tls" upper
// layer protocol, then TLS_RX and TLS_TX with rl's keys and sequence
// numbers. rl must be between records (nothing partial, no fragment of a
// KeyUpdate held) and nothing it sealed may still wait to be written. On
// an error nothing but the ULP is installed (which passes bytes as they
// are) and the connection stays on rl.
func startKernel(fd int, rl *records, events func(KernelEvent)) (*kernelRecords, error) {
	if err := unix.SetsockoptString(fd, unix.IPPROTO_TCP, unix.TCP_ULP, "tls"); err != nil {
		return nil, err
	}
	s := &suites[rl.suite]
	if err := setKernelKey(fd, tlsRX, s, &rl.in); err != nil {
		return nil, err
	}
	k := &kernelRecords{rl: rl, fd: fd, ctype: recordApplicationData, events: events}
	k.tx = setKernelKey(fd, tlsTX, s, &rl.out) == nil
	return k, nil
}

// setKernelKey gives the kernel one direction's key, IV and sequence
// number (TLS_TX or TLS_RX). A second call on a direction is a TLS 1.3
// key update, which Linux takes since 6.14 (EBUSY before).
func setKernelKey(fd, dir int, s *suite, k *trafficKeys) error {
	var b [maxKernelCryptoInfo]byte
	info := cryptoInfo(&b, s, k)
	if info == nil {
		return unix.EINVAL
	}
	err := unix.SetsockoptString(fd, unix.SOL_TLS, dir, string(info))
	clear(b[:])
	return err
}

// read is the loop's read(2) for the connection: recvmsg(2) with room for
// the record type the kernel reports for a record that is not application
// data (plain read(2) fails with EIO on one). The kernel never returns
// records of two types in one call.
func (k *kernelRecords) read(fd int, b []byte) (int, error) {
	n, oobn, _, _, err := unix.Recvmsg(fd, b, k.oob[:], 0)
	k.ctype = recordApplicationData
	if err != nil {
		return n, err
	}
	if t, ok := recordType(k.oob[:oobn]); ok {
		k.ctype = t
	}
	return n, nil
}

// recordType reads the TLS_GET_RECORD_TYPE control message recvmsg(2)
// left in oob, if there is one.
func recordType(oob []byte) (byte, bool) {
	if len(oob) < unix.SizeofCmsghdr+1 {
		return 0, false
	}
	var n uint64
	if cmsgLenSize == 8 {
		n = binary.NativeEndian.Uint64(oob)
	} else {
		n = uint64(binary.NativeEndian.Uint32(oob))
	}
	level := int32(binary.NativeEndian.Uint32(oob[cmsgLenSize:]))
	typ := int32(binary.NativeEndian.Uint32(oob[cmsgLenSize+4:]))
	if n != unix.SizeofCmsghdr+1 || level != unix.SOL_TLS || typ != tlsGetRecordType {
		return 0, false
	}
	return oob[unix.SizeofCmsghdr], true
}

// cmsgLenSize is the width of struct cmsghdr's cmsg_len (a size_t),
// which is followed by two ints, level and type.
const cmsgLenSize = unix.SizeofCmsghdr - 8

// setRecordType is the TLS_SET_RECORD_TYPE control message that makes
// sendmsg(2) write a record of content type typ.
func setRecordType(typ byte) [cmsgRecordSpace]byte {
	var oob [cmsgRecordSpace]byte
	if cmsgLenSize == 8 {
		binary.NativeEndian.PutUint64(oob[:], unix.SizeofCmsghdr+1)
	} else {
		binary.NativeEndian.PutUint32(oob[:], unix.SizeofCmsghdr+1)
	}
	binary.NativeEndian.PutUint32(oob[cmsgLenSize:], unix.SOL_TLS)
	binary.NativeEndian.PutUint32(oob[cmsgLenSize+4:], tlsSetRecordType)
	oob[unix.SizeofCmsghdr] = typ
	return oob
}

// open takes what read returned: application data is appended to dst as
// it is; an alert, a KeyUpdate or anything else is acted on as the
// package's record layer does (records.go), its answers sent as records
// of their own type.
func (k *kernelRecords) open(dst, in []byte) (plain, reply []byte, err error) {
	if k.closed {
		return dst, nil, ErrClosed
	}
	typ := k.ctype
	k.ctype = recordApplicationData
	if len(in) == 0 {
		return dst, nil, nil
	}
	switch {
	case typ != recordHandshake && k.hsLen > 0: // handshake data may not be interleaved
		reply, err = k.fail(AlertUnexpectedMessage)
	case typ == recordApplicationData:
		k.useless = 0
		return append(dst, in...), nil, nil
	case typ == recordHandshake:
		reply, err = k.handshake(in)
	case typ == recordAlert:
		reply, err = k.alert(in)
	default:
		reply, err = k.fail(AlertUnexpectedMessage)
	}
	if err == nil {
		if k.useless++; k.useless > maxUseless {
			reply, err = k.fail(AlertUnexpectedMessage)
		}
	}
	return dst, reply, err
}

// handshake takes the content of handshake records: a client may send
// only KeyUpdate (RFC 8446 section 4.6.3), possibly in fragments, the
// last thing in its record. The kernel reads every record after it under
// the old key until it is given the new one.
func (k *kernelRecords) handshake(b []byte) ([]byte, error) {
	n := copy(k.hs[k.hsLen:], b)
	k.hsLen += uint8(n)
	switch {
	case k.hs[0] != typeKeyUpdate, n < len(b):
		return k.fail(AlertUnexpectedMessage)
	case k.hsLen >= 4 && (k.hs[1] != 0 || k.hs[2] != 0 || k.hs[3] != 1):
		return k.fail(AlertDecodeError)
	case k.hsLen < 5:
		return nil, nil
	case k.hs[4] > 1:
		return k.fail(AlertIllegalParameter)
	}
	k.hsLen = 0
	s := &suites[k.rl.suite]
	k.rl.in.update(s)
	if setKernelKey(k.fd, tlsRX, s, &k.rl.in) != nil {
		if k.events != nil {
			k.events(KernelRekeyUnsupported)
		}
		return k.fail(AlertInternalError)
	}
	if k.hs[4] == 0 {
		return nil, nil
	}
	// update_requested: ours goes out under the current key, then the key
	// moves on.
	if !k.tx {
		return k.rl.appendKeyUpdate(nil, k.rl.writeAEAD()), nil
	}
	if err := k.control(recordHandshake, []byte{typeKeyUpdate, 0, 0, 1, 0}); err != nil {
		k.closed = true
		return nil, err
	}
	k.rl.out.update(s)
	if err := setKernelKey(k.fd, tlsTX, s, &k.rl.out); err != nil {
		k.closed = true // our KeyUpdate is out: nothing more can be sent
		return nil, err
	}
	return nil, nil
}

// alert takes an alert record: exactly one alert (RFC 8446 section 5.1).
// close_notify is answered with ours; user_canceled is a warning; any
// other alert is fatal (section 6).
func (k *kernelRecords) alert(b []byte) ([]byte, error) {
	if len(b) != 2 {
		return k.fail(AlertDecodeError)
	}
	switch a := Alert(b[1]); a {
	case AlertUserCanceled:
		return nil, nil
	case AlertCloseNotify:
		reply := k.send(recordAlert, []byte{1, byte(a)})
		k.closed = true
		return reply, AlertError{Alert: a, Remote: true}
	default:
		k.closed = true
		return nil, AlertError{Alert: a, Remote: true}
	}
}

// fail sends alert a (fatal, RFC 8446 section 6.2) and closes.
func (k *kernelRecords) fail(a Alert) ([]byte, error) {
	var reply []byte
	if !k.closed {
		reply = k.send(recordAlert, []byte{2, byte(a)})
		k.closed = true
	}
	return reply, AlertError{Alert: a}
}

// send writes one record of content type typ: through the kernel now, or,
// when we protect writes ourselves, as a record returned for the poller
// to write in order.
func (k *kernelRecords) send(typ byte, content []byte) []byte {
	if !k.tx {
		return k.rl.appendRecord(nil, k.rl.writeAEAD(), typ, content)
	}
	_ = k.control(typ, content) // the connection ends anyway
	return nil
}

// control writes content as one record of type typ through the kernel
// (sendmsg(2) with a TLS_SET_RECORD_TYPE control message). Bytes the
// poller still queues go out after it.
func (k *kernelRecords) control(typ byte, content []byte) error {
	oob := setRecordType(typ)
	for {
		err := unix.Sendmsg(k.fd, content, oob[:], nil, unix.MSG_DONTWAIT)
		if err != unix.EINTR {
			return err
		}
	}
}

// seal passes p to the poller as it is when the kernel protects writes.
func (k *kernelRecords) seal(p []byte) ([]byte, error) {
	if k.closed {
		return nil, ErrClosed
	}
	if !k.tx {
		return k.rl.seal(p)
	}
	return p, nil
}

// appendSealed is seal for Session.AppendSeal: the plaintexts of bufs,
// one after the other, appended to dst as they are when the kernel
// protects what is written.
func (k *kernelRecords) appendSealed(dst []byte, bufs [][]byte) ([]byte, error) {
	if k.closed {
		return dst, ErrClosed
	}
	if !k.tx {
		return k.rl.appendSealed(dst, bufs)
	}
	for _, b := range bufs {
		dst = append(dst, b...)
	}
	return dst, nil
}

// handToKernel gives an established TLS 1.3 session to the kernel
// (startKernel) once rl is between records and the poller holds nothing
// rl sealed (the kernel would protect those bytes a second time). Open
// calls it on the loop goroutine with the connection's lock held, which
// also holds Seal off; it is tried until those hold, then once.
func (s *Session) handToKernel(rl *records) {
	pc := s.pc
	if rl.partial != nil || rl.hsLen > 0 || rl.closed || pc.QueuedLocked() > 0 {
		return
	}
	s.toKernel = false
	events := s.srv.opts.KernelTLSEvent
	k, err := startKernel(pc.Fd(), rl, events)
	switch {
	case err != nil:
		if events != nil {
			events(KernelFallback)
		}
		return
	case events != nil && k.tx:
		events(KernelOn)
	case events != nil:
		events(KernelTXUser)
	}
	s.kt.Store(k)
}

// ReadSocket implements poller.SocketReader: read(2), or recvmsg(2) once
// the kernel protects the session's records.
func (s *Session) ReadSocket(fd int, b []byte) (int, error) {
	if k := s.kt.Load(); k != nil {
		return k.read(fd, b)
	}
	return unix.Read(fd, b)
}

// conn is the session detached to a blocking reader over nc, a
// duplicate of the socket: reads and writes pass through (a record that
// is not application data fails a read with EIO, which ends the
// connection), writes are protected by rl when the kernel does not
// protect them, and Close sends close_notify.
func (k *kernelRecords) conn(nc net.Conn) net.Conn {
	return &kernelConn{Conn: nc, k: k}
}

// kernelConn is a detached kernel TLS session; mu orders its writes.
type kernelConn struct {
	net.Conn
	mu sync.Mutex
	k  *kernelRecords
}

func (c *kernelConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out, err := c.k.seal(b)
	if err != nil {
		return 0, err
	}
	if _, err := c.Conn.Write(out); err != nil {
		return 0, err
	}
	return len(b), nil
}

// Close sends close_notify (RFC 8446 section 6.1), then closes the socket.
func (c *kernelConn) Close() error {
	c.mu.Lock()
	k := c.k
	switch {
	case k.closed:
	case !k.tx:
		_, _ = c.Conn.Write(k.rl.closeAlert(AlertCloseNotify))
	default:
		if sc, ok := c.Conn.(syscall.Conn); ok {
			if rc, err := sc.SyscallConn(); err == nil {
				_ = rc.Write(func(fd uintptr) bool {
					k.fd = int(fd) // the duplicate: the loop's descriptor is closed
					_ = k.control(recordAlert, []byte{1, byte(AlertCloseNotify)})
					return true
				})
			}
		}
	}
	k.closed = true
	c.mu.Unlock()
	return c.Conn.Close()
}
