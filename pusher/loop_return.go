package pusher

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"path"
	"strings"
	"sync"

	"github.com/fanout/fanout/frame"
	"github.com/fanout/fanout/protocol"
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

// loopReturn wraps the plain HTTP handler: a request the loop serves
// itself (loopServes: an event stream, a WebSocket upgrade) goes back to
// the poller, everything else to next. The decision is the loop's own,
// made on the request as the loop will read it (the raw target, not
// net/http's decoded path), so a request net/http hands back is never
// one the loop would hand off again.
func (s *Server) loopReturn(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Only a raw target under /app/ can be a stream, only a request
		// with an Upgrade header an upgrade: the API's calls skip the
		// parse.
		if !strings.HasPrefix(r.RequestURI, "/app/") && len(r.Header.Values("Upgrade")) == 0 {
			next.ServeHTTP(w, r)
			return
		}
		raw := requestBytes(r)
		head, n, err := frame.ParseRequestHead(raw, s.opts.MaxRequestSize)
		if err != nil || n == 0 || !loopServes(&head) {
			next.ServeHTTP(w, r)
			return
		}
		if !s.returnToLoop(w, r, raw) {
			w.Header().Set("Retry-After", "1")
			writeJSONError(w, http.StatusServiceUnavailable, "not available on this connection: open a new one")
		}
	})
}

// writeJSONError answers {"error": msg} with status, as the HTTP API's
// errors are.
func writeJSONError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(protocol.AppendJSONString([]byte(`{"error":`), msg), '}'))
}

// loopServes reports whether the loop answers h itself: an event-stream
// request, or a WebSocket upgrade (RFC 6455 section 4.1).
func loopServes(h *frame.RequestHead) bool {
	_, sse := sseKey(h)
	return sse || h.Upgrade
}

// onReturned answers the request net/http handed back on a connection
// the loop just adopted. Anything but what loopServes accepts is refused
// (400): handing it off again would bounce it between the two for ever.
func (s *Server) onReturned(c *conn, req []byte) {
	head, n, err := frame.ParseRequestHead(req, s.opts.MaxRequestSize)
	if err != nil || n == 0 || !loopServes(&head) {
		s.refuseJSON(c, nil, "", http.StatusBadRequest, "request cannot be served on this connection", "bad_request")
		return
	}
	s.OnData(c.pc, req)
}

// connKey is the request context key of the connection net/http serves.
type connKey struct{}

// connContext is http.Server.ConnContext: it keeps the connection, so
// that a handler can tell a plain socket from a TLS one before it
// hijacks, and whether mutual TLS refuses the HTTP API to it.
func connContext(ctx context.Context, nc net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, nc)
}

// plainTCP is the TCP socket under r's connection, or nil when there is
// none to give to a loop (TLS: its session state lives in net/http's
// copy).
func plainTCP(r *http.Request) *net.TCPConn {
	pc, _ := r.Context().Value(connKey{}).(*prefixConn)
	if pc == nil {
		return nil
	}
	tcp, _ := pc.Conn.(*net.TCPConn)
	return tcp
}

// mutualTLS wraps the HTTP API: on a TLS connection whose client
// presented no certificate from the configured client CA, every request
// for /apps/... (after net/http decoded and cleaned its path, so that
// neither an absolute target nor percent-encoding gets round it, nor a
// second request on a kept-alive connection) is refused with 403.
func mutualTLS(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pc, _ := r.Context().Value(connKey{}).(*prefixConn)
		if p := path.Clean("/" + r.URL.Path); pc != nil && pc.certMissing && (p == "/apps" || strings.HasPrefix(p, "/apps/")) {
			writeJSONError(w, http.StatusForbidden, "client certificate required")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// returnToLoop moves r's connection to a loop, where raw (r written out
// again) is answered; false when it cannot (not a plain TCP socket, or
// no descriptor left), with the connection still net/http's.
func (s *Server) returnToLoop(w http.ResponseWriter, r *http.Request, raw []byte) bool {
	hj, ok := w.(http.Hijacker)
	tcp := plainTCP(r)
	if !ok || tcp == nil {
		return false
	}
	sc, err := tcp.SyscallConn()
	if err != nil {
		return false
	}
	fd := -1
	_ = sc.Control(func(f uintptr) { fd, err = unix.Dup(int(f)) })
	if fd < 0 || err != nil {
		return false
	}
	nc, brw, err := hj.Hijack()
	if err != nil {
		unix.Close(fd)
		return false
	}
	if n := brw.Reader.Buffered(); n > 0 { // what the client sent behind the request (pipelined frames)
		rest, _ := brw.Reader.Peek(n)
		raw = append(raw[:len(raw):len(raw)], rest...)
	}
	nc.Close() // the loop keeps its own descriptor
	unix.CloseOnExec(fd)
	if unix.SetNonblock(fd, true) != nil {
		unix.Close(fd) // the hijacked connection is closed: the client sees EOF
		return false
	}
	s.returning.m.Store(fd, raw)
	s.poller.Adopt(fd)
	return true
}

// requestBytes writes r's head out again, in r's protocol version.
func requestBytes(r *http.Request) []byte {
	var b bytes.Buffer
	b.WriteString(r.Method + " " + r.RequestURI + " " + r.Proto + "\r\nHost: " + r.Host + "\r\n")
	_ = r.Header.Write(&b)
	b.WriteString("\r\n")
	return b.Bytes()
}
