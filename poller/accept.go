package poller

import (
	"time"

	"golang.org/x/sys/unix"
)

// Accept back-off. A listening socket is level-triggered: while its backlog
// holds connections it stays readable, so a loop that cannot accept them
// (no descriptor or no memory left) would wake up for ever. The loop stops
// polling the socket instead and polls it again once one of its own
// connections closes (a descriptor is free) or the back-off ends,
// whichever comes first.

// resourceErr reports whether an accept(2) error means the process or the
// kernel is out of descriptors or memory (accept(2): EMFILE, ENFILE,
// ENOBUFS, ENOMEM). Other errors (ECONNABORTED, EPROTO, EPERM) concern one
// connection only and the next accept may succeed.
func resourceErr(err error) bool {
	switch err {
	case unix.EMFILE, unix.ENFILE, unix.ENOBUFS, unix.ENOMEM:
		return true
	}
	return false
}

// pauseAccept stops polling the listening socket after err and reports err
// to Options.OnAcceptError. Loop goroutine only.
func (l *Loop) pauseAccept(err error) {
	if l.paused || l.lfd < 0 {
		return
	}
	_ = unix.EpollCtl(l.epfd, unix.EPOLL_CTL_DEL, l.lfd, nil)
	l.paused = true
	l.freed = false
	l.resumeAt = time.Now().Add(l.backoff)
	if l.onAcceptErr != nil {
		l.onAcceptErr(err)
	}
}

// maybeResume polls the listening socket again once a descriptor was freed
// on this loop or the back-off is over. Loop goroutine only.
func (l *Loop) maybeResume() {
	if !l.paused || (!l.freed && time.Now().Before(l.resumeAt)) {
		return
	}
	l.paused = false
	if l.lfd < 0 {
		return // closed by StopAccepting meanwhile
	}
	_ = unix.EpollCtl(l.epfd, unix.EPOLL_CTL_ADD, l.lfd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(l.lfd)})
}

// waitMillis is the epoll_wait timeout: none (-1) while accepting, the
// rest of the back-off (at least 1 ms) while paused.
func (l *Loop) waitMillis() int {
	if !l.paused {
		return -1
	}
	ms := int((time.Until(l.resumeAt) + time.Millisecond - 1) / time.Millisecond)
	return max(ms, 1)
}
