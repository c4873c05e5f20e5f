package poller

import (
	"golang.org/x/sys/unix"
)

// writeNonBlocking writes b once; EAGAIN is not an error (n == 0).
func writeNonBlocking(fd int, b []byte) (int, error) {
	for {
		n, err := unix.Write(fd, b)
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

// writevNonBlocking writes the buffers with one writev(2); EAGAIN is n == 0.
func writevNonBlocking(fd int, iov [][]byte) (int, error) {
	for {
		n, err := unix.Writev(fd, iov)
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

// readNonBlocking reads once; EAGAIN is (0, nil, false); end of file is
// (0, nil, true).
func readNonBlocking(fd int, b []byte) (n int, err error, eof bool) {
	for {
		n, err := unix.Read(fd, b)
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
