package poller

import (
	"errors"
	"net"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"
)

// A second Listen on a node's address fails with EADDRINUSE although
// every listener sets SO_REUSEPORT, and the first node keeps serving.
func TestSecondListenOnAPortFails(t *testing.T) {
	h := &lineEcho{}
	p := start(t, h, Options{Loops: 3})
	q, err := Listen(p.Addr().String(), h, Options{Loops: 2})
	if err == nil {
		q.Close()
		t.Fatal("a second poller listens on the port of the first")
	}
	if !errors.Is(err, unix.EADDRINUSE) {
		t.Fatalf("error %v does not match EADDRINUSE", err)
	}
	// An overlapping wildcard address is refused too.
	if q, err := Listen(":"+strconv.Itoa(p.Addr().Port), h, Options{Loops: 1}); err == nil {
		q.Close()
		t.Fatal("a poller on the wildcard address shares the port")
	}
	c := dial(t, p)
	c.Write([]byte("still here\n"))
	buf := make([]byte, 11)
	if _, err := c.Read(buf); err != nil || string(buf) != "still here\n" {
		t.Fatalf("first poller after the refused second: %q %v", buf, err)
	}
}

// reuseportListener is what a second process racing past the probe holds:
// a listening SO_REUSEPORT socket in the node's group.
func reuseportListener(t *testing.T, a *net.TCPAddr) int {
	t.Helper()
	fd, err := listenFD(a, 16)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return fd
}

// The check after binding sees a listener of the port that is not the
// node's own, which the probe cannot see when two start at one instant.
func TestCheckAloneSeesAForeignReuseportListener(t *testing.T) {
	a := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)}
	own := reuseportListener(t, a)
	a = boundAddr(own, a)
	if err := checkAlone(a, []int{own}); err != nil {
		t.Fatalf("alone on the port: %v", err)
	}
	other := reuseportListener(t, a)
	err := checkAlone(a, []int{own})
	var fe ForeignListenerError
	if !errors.As(err, &fe) || !errors.Is(err, unix.EADDRINUSE) || fe.Port != a.Port {
		t.Fatalf("foreign listener not seen: %v", err)
	}
	if err := checkAlone(a, []int{own, other}); err != nil {
		t.Fatalf("both sockets the node's own: %v", err)
	}
	// A listener on another loopback address of the same port does not
	// overlap.
	if err := checkAlone(&net.TCPAddr{IP: net.IPv4(127, 0, 0, 2), Port: a.Port}, nil); err != nil {
		t.Fatalf("127.0.0.2 overlaps 127.0.0.1: %v", err)
	}
	if err := checkAlone(&net.TCPAddr{Port: a.Port}, []int{own}); err == nil {
		t.Fatal("the wildcard address does not overlap 127.0.0.1")
	}
}
