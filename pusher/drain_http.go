package pusher

import (
	"context"
	"io"
	"net"
	"net/http"
	"time"
)

// The HTTP API through a drain. A node that drains still has its broker,
// so it answers every HTTP request that reaches it, new connections
// included, until its listener closes at the end of the drain; from then
// on a connection attempt is refused, which a proxy sees before it has
// sent anything (nginx retries even a POST on the next upstream then,
// and marks this one down). A request already read is never cut: once
// the node drains, each answer carries "Connection: close" (RFC 9112
// section 9.6), so a keep-alive client opens its next connection
// elsewhere; at the stop, net/http's graceful shutdown closes the
// connections that stayed idle and waits, up to httpStopWait, for the
// requests in progress. A publish in progress keeps its broker context
// until it is answered (httpapi bounds it). What net/http can no longer
// take (its accept loop has stopped) is answered 503 with Retry-After,
// never reset.

// httpStopWait bounds how long the stop waits for HTTP requests in
// progress. The API's own bound on a publish (httpapi's publishTimeout)
// fits in it.
const httpStopWait = 15 * time.Second

// closeWhileDraining asks keep-alive clients to go elsewhere once the
// node drains: net/http closes the connection after a response that says
// "Connection: close".
func (s *Server) closeWhileDraining(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.draining.Load() {
			w.Header().Set("Connection", "close")
		}
		next.ServeHTTP(w, r)
	})
}

// stopHTTP stops net/http gracefully: idle connections close, requests
// in progress are answered (for up to httpStopWait, then cut), and what
// is still queued for the accept loop is answered 503.
func (s *Server) stopHTTP() {
	s.draining.Store(true) // a Close without Drain: answers say Connection: close too
	ctx, cancel := context.WithTimeout(context.Background(), httpStopWait)
	defer cancel()
	// What the poller handed off last is served, not refused: the
	// accept loop takes it first (a drain left nothing in the poller).
	for deadline := time.Now().Add(time.Second); len(s.handoff.ch) > 0 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	// The accept loop ends before the shutdown looks for idle
	// connections: one it had just taken is then tracked, and waited
	// for, rather than left to the process's exit.
	s.handoff.Close()
	if s.httpDone != nil {
		<-s.httpDone
	}
	if s.http.Shutdown(ctx) != nil {
		_ = s.http.Close()
	}
}

// stopping is the answer to a request that reached the node after
// net/http stopped serving (RFC 9110 section 15.6.4).
const stopping = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n" +
	"Retry-After: 1\r\nConnection: close\r\nContent-Length: 30\r\n\r\n{\"error\":\"server is stopping\"}"

// answerAndClose writes resp on c and closes it without a reset: the
// write side shuts first (FIN), then what the client still sends (the
// rest of its request) is read and dropped for up to a second, so that
// the kernel does not answer unread bytes with RST and discard resp on
// the client's side (RFC 9112 section 9.6).
func answerAndClose(c net.Conn, resp string) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := io.WriteString(c, resp); err != nil {
		return
	}
	inner := c
	if p, ok := c.(*prefixConn); ok {
		inner = p.Conn
	}
	if cw, ok := inner.(interface{ CloseWrite() error }); ok && cw.CloseWrite() == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(inner, 1<<20))
	}
}
