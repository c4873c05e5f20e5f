package pusher

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/fanout/fanout/auth"
	"github.com/fanout/fanout/broker"
	"github.com/fanout/fanout/frame"
	"github.com/fanout/fanout/protocol"
)

// Server-Sent Events (WHATWG HTML, "Server-sent events"): a read-only
// stream of a connection's channels as text/event-stream, on the same
// poller, event loop, tables and limits as the WebSocket connections.
//
//	GET /app/{key}/sse?channel=NAME&channel=NAME2
//
// The request is answered on the loop goroutine (or on the pool while a
// token is checked against a key set): an HTTP error with a JSON body, or
// 200 and the stream. From then on the connection is an ordinary
// connection whose transport is SSE: deliveries write the event's SSE
// encoding (made once per delivery and shared by every SSE recipient,
// like the compressed WebSocket frame), the wheel writes comment lines
// as heartbeats, and a close writes a final pusher:error event, then FIN.
// Nothing the client sends after the request is read. The 200 itself goes
// out only once the stream is a live subscriber of every channel
// (sse_live.go).

// sseSuffix ends the path of the event-stream endpoint.
const sseSuffix = "/sse"

// sseKey returns the app key of an event-stream request
// ("GET /app/{key}/sse").
func sseKey(h *frame.RequestHead) (string, bool) {
	if h.Method != http.MethodGet || !strings.HasPrefix(h.Path, "/app/") || !strings.HasSuffix(h.Path, sseSuffix) {
		return "", false
	}
	key := h.Path[len("/app/") : len(h.Path)-len(sseSuffix)]
	if key == "" || strings.IndexByte(key, '/') >= 0 {
		return "", false
	}
	return key, true
}

// sseRequest is an event-stream request once its query is read.
type sseRequest struct {
	head     frame.RequestHead
	app      *App
	token    string
	channels []string
	// resume is the channel a Last-Event-ID applies to ("" for none) and
	// the position to recover from (zero when it did not parse).
	resume    string
	resumePos broker.Position
	// resumeAll: an id was sent that fits no channel; every channel with
	// history recovers from the zero position, and so reports failure.
	resumeAll bool
	// tagged: the stream has several channels with history, so its ids
	// name their channel.
	tagged bool
}

// sseOpen answers an event-stream request; loop goroutine.
func (s *Server) sseOpen(c *conn, head frame.RequestHead, key string) {
	app := s.apps.Load().byKey[key]
	if app == nil {
		s.refuseJSON(c, nil, "", http.StatusNotFound, "unknown app key", "unknown_app")
		return
	}
	if !app.Origins.Allow(head.Origin) {
		s.refuseJSON(c, nil, "", http.StatusForbidden, "origin not allowed", "forbidden_origin")
		return
	}
	if s.draining.Load() {
		s.refuseJSON(c, app, head.Origin, http.StatusServiceUnavailable, "draining: connect to another node", "draining")
		return
	}
	if s.atCapacity() {
		s.refuseJSON(c, app, head.Origin, http.StatusServiceUnavailable, "over capacity", "over_capacity")
		return
	}
	r := &sseRequest{head: head, app: app}
	if status, msg := s.sseParse(r); status != 0 {
		s.refuseJSON(c, app, head.Origin, status, msg, "bad_request")
		return
	}
	if _, jwks := app.JWT.JWKSStatus(); r.token != "" && jwks {
		// As for a WebSocket upgrade: a key-set fetch never runs on the loop.
		if !c.state.Verify() {
			return
		}
		if s.work.Submit(func() { s.sseStart(c, r) }) != nil {
			s.opts.Metrics.Refused(RefusedUpgrade)
			s.refuseJSON(c, app, head.Origin, http.StatusServiceUnavailable, "server busy, reconnect later", "over_capacity")
		}
		return
	}
	s.sseStart(c, r)
}

// sseParse reads the channels, the token and the resume position of r;
// a non-zero status refuses the request.
func (s *Server) sseParse(r *sseRequest) (int, string) {
	q, err := url.ParseQuery(r.head.RawQuery)
	if err != nil {
		return http.StatusBadRequest, "malformed query"
	}
	r.channels = q["channel"]
	if len(r.channels) == 0 {
		return http.StatusBadRequest, "channel missing"
	}
	if len(r.channels) > r.app.MaxChannels {
		return http.StatusBadRequest, "too many channels"
	}
	var history []string // the channels with history
	for i, name := range r.channels {
		if !protocol.ValidChannelName(name) {
			return http.StatusBadRequest, "invalid channel name"
		}
		for _, prev := range r.channels[:i] {
			if prev == name {
				return http.StatusBadRequest, "channel named twice"
			}
		}
		if _, ok := s.HistoryFor(r.app.ID, name); ok {
			history = append(history, name)
			r.resume = name // the only one, unless there are more
		}
	}
	r.tagged = len(history) > 1
	r.resume = r.parseResume(q.Get("last_event_id"), history)
	r.token, _, _ = auth.ExtractToken(r.head.Authorization, "", r.head.Cookie, r.head.RawQuery, r.app.TokenCookie)
	return 0, ""
}

// parseResume reads a Last-Event-ID (the header, else the query's
// last_event_id): "<epoch>:<offset>" for a stream with one channel with
// history, "<epoch>:<offset> <channel>" when there are several. It returns
// the channel to recover ("" for none); history are the stream's channels
// with history, and r.resume already the only one when there is one.
func (r *sseRequest) parseResume(query string, history []string) string {
	id := r.head.LastEventID
	if id == "" {
		id = query
	}
	only := r.resume
	if id == "" || len(history) == 0 {
		return ""
	}
	pos, channel, tagged := strings.Cut(id, " ")
	switch {
	case tagged && r.tagged:
		only = ""
		for _, name := range history { // a channel without history has no position
			if name == channel {
				only = name
			}
		}
	case tagged != r.tagged:
		only = "" // an id of another stream's shape
	}
	if only == "" {
		// The client asked to resume, but its id names none of this
		// stream's channels with history: none can be proven complete,
		// so each of them says so (fanout:recovery_failed) rather than
		// going live over a gap the client cannot see.
		r.resumeAll = true
		return ""
	}
	r.resumePos, _ = broker.ParsePosition(pos) // zero: cannot be proven
	return only
}

// sseStart checks the token and the channels, writes the 200 corked,
// joins the channels and lets the 200 go once they are live (sseGoLive).
// It runs on the loop goroutine, or on the pool while c is in the
// verifying phase (then the loop does not touch c).
func (s *Server) sseStart(c *conn, r *sseRequest) {
	app, origin := r.app, r.head.Origin
	var claims auth.Claims
	if r.token != "" {
		var err error
		if claims, err = app.JWT.Verify(r.token, time.Unix(0, s.now())); err != nil {
			s.refuseJSON(c, app, origin, http.StatusUnauthorized, "invalid token", "unauthorized")
			return
		}
	}
	if status, msg, reason := s.sseAllowed(app, r, &claims); status != 0 {
		s.refuseJSON(c, app, origin, status, msg, reason)
		return
	}
	_ = c.pc.Cork(sseHead(app, origin), -1) // what follows queues behind it
	c.transport = transportSSE
	if r.tagged {
		c.transport = transportSSETagged
	}
	s.admit(c, &admission{app: app, authed: r.token != "", claims: claims})
	// Join before the connection turns open: the loop's OnClose leaves
	// only open connections, so whoever fails the turn below undoes this.
	for _, name := range r.channels {
		if spec, ok := s.HistoryFor(app.ID, name); ok {
			var rec *broker.Position
			if name == r.resume || r.resumeAll {
				rec = &r.resumePos
			}
			c.startRecovery(name, rec, spec)
		}
		ch := s.join(c, name)
		if protocol.KindOf(name).Presence() {
			s.joinPresence(c, ch, c.user, claims.UserInfo)
		}
	}
	if !c.state.Open() {
		for len(c.channels) > 0 {
			s.leave(c, c.channels[len(c.channels)-1])
		}
		s.unadmit(c)
		return
	}
	c.closeBy.Store(0)
	s.welcome(c)
	s.sseGoLive(c, app.ID, r.channels)
}

// sseAllowed applies the app's limits and auth mode and the token's
// channel grants; a non-zero status refuses the stream. An SSE client
// cannot answer a channel-auth challenge, so private and presence
// channels need a grant in the token. reason is the refusal's metric
// label (Observer.UpgradeRejected).
func (s *Server) sseAllowed(app *App, r *sseRequest, claims *auth.Claims) (status int, msg, reason string) {
	if app.Disabled {
		return http.StatusForbidden, "app disabled", "app_disabled"
	}
	if r.token == "" && app.Auth == AuthRequired {
		return http.StatusUnauthorized, "token required", "unauthorized"
	}
	grants := auth.NewGrants(claims.Subject, claims.Channels)
	for _, name := range r.channels {
		kind := protocol.KindOf(name)
		switch {
		case !kind.NeedsAuth():
		case r.token == "":
			return http.StatusUnauthorized, "token required for " + name, "unauthorized"
		case grants.Empty() || !grants.Match(claims.Subject, name):
			return http.StatusForbidden, "channel not granted: " + name, "unauthorized"
		case kind.Presence() && claims.Subject == "":
			return http.StatusForbidden, "presence needs the token's sub", "unauthorized"
		}
	}
	if s.atCapacity() {
		return http.StatusServiceUnavailable, "over capacity", "over_capacity"
	}
	if app.MaxConnections > 0 && app.Conns() >= app.MaxConnections {
		return http.StatusServiceUnavailable, "app over connection quota", "over_quota"
	}
	return 0, "", ""
}

// refuseJSON answers a request the loop serves itself (an event stream,
// an HTTP API call refused before net/http) with an HTTP error whose body
// is {"error": msg}, as the HTTP API's errors are; with the app known and
// the origin allowed, with the CORS headers, so that a cross-origin page
// may read it.
func (s *Server) refuseJSON(c *conn, app *App, origin string, status int, msg, reason string) {
	body := protocol.AppendJSONString([]byte(`{"error":`), msg)
	body = append(body, '}')
	b := make([]byte, 0, 256+len(body))
	b = append(b, "HTTP/1.1 "...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, ' ')
	b = append(b, http.StatusText(status)...)
	b = append(b, "\r\nConnection: close\r\nContent-Type: application/json\r\n"...)
	if app != nil {
		b = appendCORS(b, origin)
	}
	b = append(b, "Content-Length: "...)
	b = strconv.AppendInt(b, int64(len(body)), 10)
	b = append(b, "\r\n\r\n"...)
	s.refuseWith(c, status, append(b, body...), reason)
}

// sseHead is the 200 response that starts a stream. It has neither
// Content-Length nor chunked coding: the body ends when the connection
// does (RFC 9112 section 6.3).
func sseHead(app *App, origin string) []byte {
	b := make([]byte, 0, 256)
	b = append(b, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"+
		"Connection: close\r\nX-Accel-Buffering: no\r\n"...)
	b = appendCORS(b, origin)
	return append(b, "\r\n"...)
}

// appendCORS adds the Fetch standard's CORS response headers for a
// request from origin (already allowed): the origin itself, never "*",
// since an EventSource with withCredentials sends cookies.
func appendCORS(b []byte, origin string) []byte {
	b = append(b, "Vary: Origin\r\n"...)
	if origin == "" || strings.ContainsAny(origin, "\r\n") {
		return b
	}
	b = append(b, "Access-Control-Allow-Origin: "...)
	b = append(b, origin...)
	return append(b, "\r\nAccess-Control-Allow-Credentials: true\r\n"...)
}

// appendSSE appends one event in the text/event-stream format:
//
//	event: <name>
//	data: {"channel":<channel>,"data":<data>[,"user_id":<user>]}
//	id: <epoch>:<offset>[ <channel>]      (events with a position)
//	<blank line>
//
// data is the event's JSON text as published; its line breaks (JSON
// whitespace) become further data lines, which EventSource joins with
// "\n". tagged adds the channel to the id.
func appendSSE(dst []byte, event, channel, data, userID string, pos broker.Position, tagged bool) []byte {
	dst = append(dst, "event: "...)
	dst = appendSSELine(dst, event, ' ')
	dst = append(dst, "\ndata: "...)
	body := append(make([]byte, 0, len(channel)+len(data)+len(userID)+32), '{')
	if channel != "" {
		body = append(body, `"channel":`...)
		body = protocol.AppendJSONString(body, channel)
	}
	if data != "" {
		if channel != "" {
			body = append(body, ',')
		}
		body = append(body, `"data":`...)
		body = append(body, data...)
	}
	if userID != "" {
		body = append(body, `,"user_id":`...)
		body = protocol.AppendJSONString(body, userID)
	}
	body = append(body, '}')
	dst = appendSSELine(dst, string(body), 0)
	dst = append(dst, '\n')
	if !pos.IsZero() {
		dst = append(dst, "id: "...)
		dst = appendSSELine(dst, pos.String(), ' ')
		if tagged {
			dst = append(dst, ' ')
			dst = appendSSELine(dst, channel, ' ')
		}
		dst = append(dst, '\n')
	}
	return append(dst, '\n')
}

// appendSSELine appends s; a line break in it becomes subst, or with
// subst 0 a new "data: " line.
func appendSSELine(dst []byte, s string, subst byte) []byte {
	for i := 0; i < len(s); i++ {
		switch b := s[i]; b {
		case '\r', '\n':
			if subst != 0 {
				dst = append(dst, subst)
				continue
			}
			if b == '\r' && i+1 < len(s) && s[i+1] == '\n' {
				i++
			}
			dst = append(dst, "\ndata: "...)
		case 0:
			dst = append(dst, ' ')
		default:
			dst = append(dst, b)
		}
	}
	return dst
}

// ssePublication is a published event's SSE encoding.
func ssePublication(p *broker.Publication, tagged bool) []byte {
	return appendSSE(make([]byte, 0, len(p.Event)+len(p.Channel)*2+len(p.Data)+len(p.UserID)+96),
		p.Event, p.Channel, p.Data, p.UserID, p.Position, tagged)
}

// sse is the delivery's SSE encoding, made once for all SSE recipients
// (tagged: the variant whose id names the channel).
func (d *delivery) sse(tagged bool) []byte {
	if tagged {
		d.sseTaggedOnce.Do(func() { d.sseTagged = ssePublication(d.src, true) })
		return d.sseTagged
	}
	d.sseOnce.Do(func() { d.sseMsg = ssePublication(d.src, false) })
	return d.sseMsg
}

// encoded is the bytes of d for c: its transport's encoding.
func (d *delivery) encoded(c *conn) []byte {
	switch {
	case c.transport.sse():
		return d.sse(c.transport.tagged())
	case c.deflBits != 0:
		return d.compressed(c.deflBits)
	}
	return d.msg
}

// replayFrame is a kept event as c's transport writes it.
func replayFrame(c *conn, p *broker.Publication) []byte {
	if c.transport.sse() {
		return ssePublication(p, c.transport.tagged())
	}
	return publicationFrame(p)
}

// recoveredFrame ends a recovery: subscription_succeeded on a WebSocket;
// on a stream, nothing when the gap was closed or none was asked about,
// else a fanout:recovery_failed event whose id is the channel's current
// position, so that the client's next Last-Event-ID starts from there.
func recoveredFrame(c *conn, name string, data []byte, asked, ok bool, pos broker.Position) []byte {
	if !c.transport.sse() {
		return eventFrame("pusher_internal:subscription_succeeded", name, protocol.StringData(recoveryData(data, ok, pos)), "")
	}
	if ok || !asked {
		return nil
	}
	return appendSSE(nil, "fanout:recovery_failed", name, protocol.StringData(recoveryData([]byte("{}"), false, pos)), "", pos, c.transport.tagged())
}

// replayedUpTo is the position up to which c has the channel's events
// once a recovery that read pos ends: pos on a WebSocket, whose
// subscription_succeeded names it; on a stream, which has no such event,
// only what was replayed (nothing unless ok), so that no event held back
// meanwhile is lost.
func replayedUpTo(c *conn, ok bool, pos broker.Position) broker.Position {
	if c.transport.sse() && !ok {
		return broker.Position{}
	}
	return pos
}
