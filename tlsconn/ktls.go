package tlsconn

import (
	"net"

	"golang.org/x/sys/unix"
)

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
