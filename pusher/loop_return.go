package pusher

import (
	"bytes"
	"net"
	"net/http"
	"strings"
	"sync"

	"github.com/fanout/fanout/frame"
	"golang.org/x/sys/unix"
)

// A client that keeps its connection alive may send an event-stream
// request, or a WebSocket upgrade, on a connection that net/http already
// serves (it came with an HTTP API call or a health check first). Such a
// request goes back to the poller: its handler takes the socket from
// net/http, gives a duplicate of the descriptor to a loop (poller.Adopt)
// and leaves the request, written out again, for OnOpen to answer as if
// it had come first. No goroutine stays with the stream or the socket.

// returning holds, by descriptor, the requests on their way back to a
// loop; OnOpen takes them.
type returning struct{ m sync.Map } // int → []byte

// take returns and forgets the request waiting for fd, if any.
func (r *returning) take(fd int) ([]byte, bool) {
	v, ok := r.m.LoadAndDelete(fd)
	if !ok {
		return nil, false
	}
	return v.([]byte), true
}

// loopReturn wraps the plain HTTP handler: event-stream requests and
// WebSocket upgrades (RFC 6455 section 4.1: an Upgrade header with the
// "websocket" token) go back to the poller, everything else to next.
func (s *Server) loopReturn(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		head := frame.RequestHead{Method: r.Method, Path: r.URL.Path}
		if _, ok := sseKey(&head); !ok && !isUpgrade(r) {
			next.ServeHTTP(w, r)
			return
		}
		if !s.returnToLoop(w, r) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"error":"not available on this connection: open a new one"}`))
		}
	})
}

// isUpgrade reports whether r asks for a WebSocket.
func isUpgrade(r *http.Request) bool {
	for _, v := range r.Header.Values("Upgrade") {
		for _, token := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(token), "websocket") {
				return true
			}
		}
	}
	return false
}

// returnToLoop moves r's connection to a loop; false when it cannot (not
// a plain TCP socket, or no descriptor left), with the connection still
// net/http's.
func (s *Server) returnToLoop(w http.ResponseWriter, r *http.Request) bool {
	hj, ok := w.(http.Hijacker)
	if !ok {
		return false
	}
	var tcp *net.TCPConn
	nc, _, err := hj.Hijack()
	if err != nil {
		return false
	}
	defer nc.Close() // the loop keeps its own descriptor
	if pc, isPC := nc.(*prefixConn); isPC {
		tcp, _ = pc.Conn.(*net.TCPConn)
	}
	if tcp == nil {
		return false
	}
	raw, err := tcp.SyscallConn()
	if err != nil {
		return false
	}
	fd := -1
	_ = raw.Control(func(f uintptr) { fd, err = unix.Dup(int(f)) })
	if fd < 0 || err != nil {
		return false
	}
	unix.CloseOnExec(fd)
	if unix.SetNonblock(fd, true) != nil {
		unix.Close(fd)
		return false
	}
	s.returning.m.Store(fd, requestBytes(r))
	s.poller.Adopt(fd)
	return true
}

// requestBytes writes r's head out again as HTTP/1.1.
func requestBytes(r *http.Request) []byte {
	var b bytes.Buffer
	b.WriteString(r.Method + " " + r.RequestURI + " HTTP/1.1\r\nHost: " + r.Host + "\r\n")
	_ = r.Header.Write(&b)
	b.WriteString("\r\n")
	return b.Bytes()
}
