package tlsconn

import (
	"errors"
	"net"

	"golang.org/x/sys/unix"
)

// Kernel TLS is probed, not used. The record layer holds what the
// kernel's TLS_TX and TLS_RX options take for TLS 1.3 (linux/tls.h
// tls12_crypto_info_*: the key, the IV as salt and explicit part, the
// record sequence number), so handing a connection to the kernel would
// start from records.in and records.out. What it would take besides, and
// why it is not done:
//
//   - the poller writes with write(2)/writev(2) and reads with read(2):
//     with TLS_RX the kernel returns EIO for a record that is not
//     application data (a KeyUpdate, an alert) unless it is read with
//     recvmsg(2) and a TLS_GET_RECORD_TYPE control message, and with
//     TLS_TX our KeyUpdate, close_notify and alerts must go out with
//     sendmsg(2) and TLS_SET_RECORD_TYPE;
//   - TLS_TX may only be set once nothing of the handshake is still
//     queued in the poller (the kernel would encrypt those records again);
//   - answering a KeyUpdate needs the kernel to take a new key on a live
//     socket, which Linux supports for TLS 1.3 only since 6.14;
//   - none of it can run here: this kernel has no CONFIG_TLS.

// KernelTLSStatus is KernelTLS for a log line: "available", or
// "unavailable" and why in words (ENOENT: the kernel was built without
// CONFIG_TLS, or its tls module is not loaded).
func KernelTLSStatus() (status, reason string) {
	ok, err := KernelTLS()
	switch {
	case ok:
		return "available", ""
	case errors.Is(err, unix.ENOENT):
		return "unavailable", "kernel lacks CONFIG_TLS (no tls module)"
	case errors.Is(err, unix.EOPNOTSUPP):
		return "unavailable", "kernel refuses the tls upper layer protocol on TCP"
	}
	return "unavailable", err.Error()
}

// KernelTLS reports whether the kernel offers TLS offload (the "tls" upper
// layer protocol, Linux Documentation/networking/tls.rst): it attaches the
// ULP to a connected loopback socket, the only state the kernel accepts it
// in. err says why not (ENOENT: the kernel has no TLS module).
func KernelTLS() (bool, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return false, err
	}
	defer l.Close()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		return false, err
	}
	defer c.Close()
	if a, err := l.Accept(); err == nil {
		defer a.Close()
	}
	raw, err := c.(*net.TCPConn).SyscallConn()
	if err != nil {
		return false, err
	}
	var serr error
	if err := raw.Control(func(fd uintptr) {
		serr = unix.SetsockoptString(int(fd), unix.IPPROTO_TCP, unix.TCP_ULP, "tls")
	}); err != nil {
		return false, err
	}
	return serr == nil, serr
}
