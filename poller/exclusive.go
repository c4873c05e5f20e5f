package poller

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// One node, one port.
//
// The loops' listening sockets share the port through SO_REUSEPORT
// (socket(7)), which the kernel grants to every socket that sets it under
// the same effective UID, including a second process started by mistake:
// it would start silently and take a share of new connections. The kernel
// has no way to close a reuseport group to outsiders, so Listen makes two
// checks around its binds:
//
//  1. Before binding, it binds a probe socket without SO_REUSEPORT (with
//     SO_REUSEADDR, so the server-side TIME_WAIT sockets of a previous run
//     do not block a restart) and closes it. Any process already listening
//     on an overlapping address makes that bind fail with EADDRINUSE; the
//     running node never sees the second one.
//  2. After its own sockets listen, it reads the kernel's table of TCP
//     sockets (/proc/net/tcp and /proc/net/tcp6, proc(5)) and fails with
//     EADDRINUSE if any listening socket on the port and an overlapping
//     address is not one of its own (socket inodes compared). This closes
//     the race of two processes passing step 1 at the same instant: each
//     sees the other and both fail, rather than both serving.

// probeFree binds (and at once closes) a socket without SO_REUSEPORT on a,
// which fails with EADDRINUSE while any socket listens on it.
func probeFree(a *net.TCPAddr) error {
	if a.Port == 0 {
		return nil // the kernel picks a free port
	}
	family, sa := sockaddr(a)
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		return err
	}
	return unix.Bind(fd, sa)
}

// ForeignListenerError is returned (wrapped, with errors.Is true for
// unix.EADDRINUSE) when another process listens on the node's port.
type ForeignListenerError struct {
	Port  int
	Inode uint64 // the other socket's inode, as in /proc/net/tcp and ss -e
}

func (e ForeignListenerError) Error() string {
	return fmt.Sprintf("address already in use: another process listens on port %d (socket inode %d)", e.Port, e.Inode)
}

// Unwrap makes errors.Is(err, unix.EADDRINUSE) hold.
func (e ForeignListenerError) Unwrap() error { return unix.EADDRINUSE }

// checkAlone returns a ForeignListenerError when a listening TCP socket on
// a's port with an overlapping address is not among fds.
func checkAlone(a *net.TCPAddr, fds []int) error {
	own := make(map[uint64]bool, len(fds))
	for _, fd := range fds {
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			return err
		}
		own[st.Ino] = true
	}
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		ls, err := listeners(table, a.Port)
		if err != nil {
			return err
		}
		for _, l := range ls {
			if !own[l.inode] && overlaps(a.IP, l.ip) {
				return ForeignListenerError{Port: a.Port, Inode: l.inode}
			}
		}
	}
	return nil
}

type listener struct {
	ip    net.IP
	inode uint64
}

// tcpListen is the state column of a listening socket in /proc/net/tcp.
const tcpListen = "0A"

// listeners reads the listening sockets on port from a /proc/net/tcp-style
// table; a missing table (no IPv6) is empty.
func listeners(path string, port int) ([]listener, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []listener
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 10 || fields[3] != tcpListen {
			continue
		}
		hexIP, hexPort, ok := strings.Cut(fields[1], ":")
		p, err := strconv.ParseUint(hexPort, 16, 16)
		if !ok || err != nil || int(p) != port {
			continue
		}
		ip, err := procIP(hexIP)
		inode, err2 := strconv.ParseUint(fields[9], 10, 64)
		if err != nil || err2 != nil {
			continue
		}
		out = append(out, listener{ip: ip, inode: inode})
	}
	return out, sc.Err()
}

// procIP decodes an address of /proc/net/tcp: 32-bit words, each printed
// in the host's byte order.
func procIP(s string) (net.IP, error) {
	b, err := hex.DecodeString(s)
	if err != nil || len(b)%4 != 0 {
		return nil, fmt.Errorf("poller: bad address %q", s)
	}
	ip := make(net.IP, len(b))
	for i := 0; i < len(b); i += 4 {
		binary.BigEndian.PutUint32(ip[i:], binary.NativeEndian.Uint32(b[i:]))
	}
	return ip, nil
}

// overlaps reports whether sockets bound to a and b on one port would
// both receive connections for some destination: equal addresses, or
// either one a wildcard.
func overlaps(a, b net.IP) bool {
	return a == nil || a.IsUnspecified() || b.IsUnspecified() || a.Equal(b)
}
