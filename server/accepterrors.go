package server

import (
	"errors"
	"log/slog"
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/fanout/fanout/metrics"
)

// acceptErrors counts the accept(2) errors that mean the process ran out
// of descriptors or memory (fanout_accept_errors_total{reason}) and logs
// them at most once per interval, with how many there were since the last
// line: at the open-file limit they come many times a second.
type acceptErrors struct {
	m        *metrics.Metrics
	log      *slog.Logger
	interval time.Duration

	mu       sync.Mutex
	last     time.Time
	suppress int
}

// logInterval is the shortest time between two log lines about accept
// errors.
const logInterval = 10 * time.Second

// reason is the label of err, or "" for an error that concerns one
// connection only.
func acceptReason(err error) string {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return ""
	}
	return acceptReasons[errno]
}

// acceptReasons are the label values of metrics.AcceptErrorReasons.
var acceptReasons = map[syscall.Errno]string{
	syscall.EMFILE: "emfile", syscall.ENFILE: "enfile", syscall.ENOBUFS: "enobufs", syscall.ENOMEM: "enomem",
}

// report counts err and logs it unless a line went out within the
// interval. listener names the socket ("websocket", "metrics").
func (a *acceptErrors) report(listener string, err error) {
	reason := acceptReason(err)
	if reason == "" {
		return
	}
	a.m.AcceptError(reason)
	a.mu.Lock()
	now := time.Now()
	if now.Sub(a.last) < a.interval {
		a.suppress++
		a.mu.Unlock()
		return
	}
	n := a.suppress
	a.last, a.suppress = now, 0
	a.mu.Unlock()
	a.log.Warn("accept paused: out of descriptors or memory; new connections wait in the backlog",
		"listener", listener, "err", err, "more_since_last_line", n)
}

// pausingListener is a net.Listener that, when Accept fails for want of
// descriptors or memory, reports the error and waits a back-off before
// trying again, so net/http (which logs every temporary accept error and
// retries after at most a second) never sees it.
type pausingListener struct {
	net.Listener
	errs    *acceptErrors
	name    string
	backoff time.Duration
}

func (l *pausingListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err == nil || acceptReason(err) == "" {
			return c, err
		}
		l.errs.report(l.name, err)
		time.Sleep(l.backoff)
	}
}
