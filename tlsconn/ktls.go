package tlsconn

import (
	"errors"
	"net"

	"golang.org/x/sys/unix"
)

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
