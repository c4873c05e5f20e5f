package bench

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/cloudwego/netpoll"
	"golang.org/x/sys/unix"
)

// dialReason names a dial error for the failure table by the text of
// its system error ("dial: connection refused"), never by a bare number.
func dialReason(err error) string {
	var errno syscall.Errno
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return "dial: timeout"
	case errors.As(err, &errno) && errno&0x100 != 0:
		// netpoll's own codes (0x100-0x1FF) have no strerror text;
		// its exception type carries the words.
		return "dial: " + err.Error()
	case errors.As(err, &errno):
		return "dial: " + errno.Error()
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() || strings.HasSuffix(err.Error(), "i/o timeout") {
		// netpoll's dial timeout is a plain "i/o timeout" error.
		return "dial: timeout"
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return "dial: " + op.Err.Error() // without the addresses, which differ per worker
	}
	return "dial: " + err.Error()
}

// probeDialError finds the real reason behind a netpoll dial that ended
// in "connection has been closed by peer": netpoll sees the hang-up of
// a refused or reset connect before it reads SO_ERROR, so the kernel's
// reason is lost. The probe dials the same address once more with the
// standard library from the same source IP and names what it gets; a
// probe that connects means the first attempt was a transient loss.
func probeDialError(ctx context.Context, ip net.IP, raddr *net.TCPAddr, timeout time.Duration) string {
	d := net.Dialer{Timeout: min(timeout, 2*time.Second), LocalAddr: &net.TCPAddr{IP: ip}}
	c, err := d.DialContext(ctx, "tcp", raddr.String())
	if err != nil {
		return dialReason(err)
	}
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0) // reset: leave no TIME_WAIT on the source port
	}
	c.Close()
	return "dial: connection closed by peer"
}

// isNetpollClosed reports whether err is netpoll's "connection has been
// closed" code rather than a kernel errno.
func isNetpollClosed(err error) bool {
	var errno syscall.Errno
	return errors.As(err, &errno) && errno == netpoll.ErrConnClosed
}

// resetOnClose makes a later close of fd send a reset instead of
// lingering in TIME_WAIT.
func resetOnClose(fd int) {
	unix.SetsockoptLinger(fd, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1})
}

// transportReason names an HTTP client error by its innermost system
// error ("connection refused"), else by its own text.
func transportReason(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno.Error()
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timeout"
	}
	return err.Error()
}
