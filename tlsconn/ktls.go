package tlsconn

import (
	"errors"
	"net"

	"golang.org/x/sys/unix"
)

// Kernel TLS (Linux Documentation/networking/tls.rst): with
// Options.KernelTLS, a TLS 1.3 session whose kernel offers it is handed to
// the kernel after its handshake (kernel.go): the keys, IVs and sequence
// numbers of the package's record layer go to TLS_RX and TLS_TX, and the
// socket then carries plaintext for us. KernelTLS probes for it once,
// at start.

// KernelTLSStatus is KernelTLS for a log line: "available", or "not
// available" and why in words, information rather than an error: records
// are then protected in user space.
func KernelTLSStatus() (status, reason string) {
	ok, err := KernelTLS()
	switch {
	case ok:
		return "available", ""
	case errors.Is(err, unix.ENOENT):
		return "not available", "kernel built without CONFIG_TLS (or its tls module is not loaded); records are protected in user space"
	case errors.Is(err, unix.EOPNOTSUPP):
		return "not available", "kernel refuses the tls upper layer protocol on TCP; records are protected in user space"
	}
	return "not available", err.Error() + "; records are protected in user space"
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
