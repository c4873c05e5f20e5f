package poller

import (
	"golang.org/x/sys/unix"
)

// retry makes one non-blocking call, again after EINTR; EAGAIN is not an
// error but n == 0.
func retry(call func() (int, error)) (int, error) {
	for {
		n, err := call()
		switch err {
		case nil:
			return n, nil
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return 0, nil
		default:
			return 0, err
		}
	}
}

// writeNonBlocking writes b once; EAGAIN is n == 0.
func writeNonBlocking(fd int, b []byte) (int, error) {
	return retry(func() (int, error) { return unix.Write(fd, b) })
}

// writevNonBlocking writes the buffers with one writev(2); EAGAIN is n == 0.
func writevNonBlocking(fd int, iov [][]byte) (int, error) {
	return retry(func() (int, error) { return unix.Writev(fd, iov) })
}

// readNonBlocking reads once, with read(2) or r's ReadSocket; EAGAIN is
// (0, nil, false); end of file is (0, nil, true).
func readNonBlocking(fd int, b []byte, r SocketReader) (n int, err error, eof bool) {
	for {
		var n int
		var err error
		if r != nil {
			n, err = r.ReadSocket(fd, b)
		} else {
			n, err = unix.Read(fd, b)
		}
		switch {
		case err == nil && n == 0:
			return 0, nil, true
		case err == nil:
			return n, nil, false
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			return 0, nil, false
		default:
			return 0, err, true
		}
	}
}
