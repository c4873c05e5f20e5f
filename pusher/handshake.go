package pusher

import (
	"cmp"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/fanout/fanout/auth"
	"github.com/fanout/fanout/frame"
	"github.com/fanout/fanout/protocol"
	"github.com/fanout/fanout/session"
)

// Close codes of the Pusher protocol, as close frame statuses (see
// protocol.ErrorCode).
const (
	CodeUnknownApp       = frame.StatusCode(protocol.CodeUnknownApp)
	CodeAppDisabled      = frame.StatusCode(protocol.CodeAppDisabled)
	CodeOverQuota        = frame.StatusCode(protocol.CodeOverQuota)
	CodePathNotFound     = frame.StatusCode(protocol.CodePathNotFound)
	CodeBadProtocol      = frame.StatusCode(protocol.CodeBadProtocol)
	CodeUnsupported      = frame.StatusCode(protocol.CodeUnsupported)
	CodeNoProtocol       = frame.StatusCode(protocol.CodeNoProtocol)
	CodeUnauthorized     = frame.StatusCode(protocol.CodeUnauthorized)
	CodeOverCapacity     = frame.StatusCode(protocol.CodeOverCapacity)
	CodeGoingAway        = frame.StatusCode(protocol.CodeGoingAway)
	CodePongTimeout      = frame.StatusCode(protocol.CodePongTimeout)
	CodeInactive         = frame.StatusCode(protocol.CodeInactive)
	CodeClientEventLimit = frame.StatusCode(protocol.CodeClientEventLimit)
)

// ProtocolVersion is the Pusher protocol this server speaks.
const ProtocolVersion = 7

// handshake reads the upgrade request once it has fully arrived and
// answers it: an HTTP error, a hand-off to net/http, or 101.
func (s *Server) handshake(c *conn, data []byte) int {
	head, n, err := frame.ParseRequestHead(data, s.opts.MaxRequestSize)
	if errors.Is(err, frame.ErrMalformedRequest) {
		s.refuse(c, http.StatusBadRequest, "malformed request", "bad_request")
		return len(data)
	}
	if err != nil {
		s.refuseJSON(c, nil, "", http.StatusRequestHeaderFieldsTooLarge, "request too large", "too_large")
		return len(data)
	}
	if n == 0 {
		return 0
	}
	if !head.Upgrade {
		// Mutual TLS on the HTTP API is checked where every API request
		// arrives, net/http (mutualTLS), for each request of the
		// connection.
		if key, ok := sseKey(&head); ok {
			if !s.overIPLimit(c, data[:n], true) {
				s.sseOpen(c, head, key)
			}
			return len(data)
		}
		s.handOff(c, data)
		return len(data)
	}
	if s.draining.Load() { // plain HTTP (/readyz: 503) is still served
		s.refuse(c, http.StatusServiceUnavailable, "draining: connect to another node", "draining")
		return len(data)
	}
	if s.overIPLimit(c, data[:n], false) { // one client's flood must not fill the node
		return len(data)
	}
	if s.atCapacity() { // before any token check: the cheapest refusal
		s.refuseWith(c, http.StatusServiceUnavailable, []byte(overCapacity), "over_capacity")
		return len(data)
	}
	raw := data[:n]
	switch {
	case s.opts.Echo && head.Path == "/echo":
		c.transport = transportEcho // before the 101: the wheel may read it from then on
		if !s.upgrade(c, raw, deflateOptions(head), nil) {
			return len(data)
		}
	case strings.HasPrefix(head.Path, "/app/"):
		if !s.upgradeApp(c, raw, head) {
			return len(data)
		}
	default:
		if s.upgrade(c, raw, frame.UpgradeOptions{}, nil) {
			s.opts.Metrics.UpgradeRejected("bad_path")
			s.closeWith(c, CodePathNotFound, "path not found", session.Rejected, false)
		}
		return len(data)
	}
	if n < len(data) { // frames pipelined behind the request
		return n + s.frames(c, data[n:])
	}
	return n
}

// deflateOptions accepts the client's permessage-deflate offer, if any,
// with the window it asked the server to keep to.
func deflateOptions(h frame.RequestHead) frame.UpgradeOptions {
	if h.Extensions == "" {
		return frame.UpgradeOptions{}
	}
	p, ok := frame.ParseDeflateOffer([]byte(h.Extensions))
	if !ok {
		return frame.UpgradeOptions{}
	}
	o := frame.UpgradeOptions{Deflate: true}
	if p.ServerMaxWindowBits > 0 { // offered: answered with the same value
		o.DeflateWindowBits = p.WindowBits()
	}
	return o
}

// upgradeApp admits a connection to an app: Origin and token are checked
// before the 101 (refusals are plain HTTP); app-level refusals after it,
// as Pusher close codes that pusher-js understands.
func (s *Server) upgradeApp(c *conn, raw []byte, head frame.RequestHead) bool {
	app := s.apps.Load().byKey[head.Path[len("/app/"):]]
	if app == nil {
		return s.upgradeAndClose(c, raw, CodeUnknownApp, "unknown app key", "unknown_app")
	}
	if !app.Origins.Allow(head.Origin) {
		s.refuse(c, http.StatusForbidden, "origin not allowed", "forbidden_origin")
		return false
	}
	token, _, echo := auth.ExtractToken(head.Authorization, head.Protocols, head.Cookie, head.RawQuery, app.TokenCookie)
	if app.Auth == AuthOff {
		token = ""
	}
	if _, jwks := app.JWT.JWKSStatus(); token != "" && jwks {
		// An unknown kid may make Verify fetch the key set: never on the
		// loop goroutine. The loop keeps any bytes that arrive meanwhile.
		if !c.state.Verify() {
			return false // its upgrade deadline passed: the wheel aborted it
		}
		head := head
		raw := append([]byte(nil), raw...)
		if s.work.Submit(func() { s.verifyAndUpgrade(c, raw, head, app, token, echo) }) != nil {
			// The work queue full: this one connection is told to come
			// back later rather than the loop doing the check (or
			// waiting for room).
			s.opts.Metrics.Refused(RefusedUpgrade)
			s.upgradeAndClose(c, raw, CodeOverCapacity, "server busy, reconnect later", "busy")
		}
		return false
	}
	return s.verifyAndUpgrade(c, raw, head, app, token, echo)
}

// verifyAndUpgrade checks the token (if any), the app's state and limits,
// then upgrades. It runs on the loop goroutine, or on the pool while c is
// in the verifying phase (then the loop does not touch c).
func (s *Server) verifyAndUpgrade(c *conn, raw []byte, head frame.RequestHead, app *App, token, echo string) bool {
	var claims auth.Claims
	if token != "" {
		var err error
		if claims, err = app.JWT.Verify(token, time.Unix(0, s.now())); err != nil {
			s.refuse(c, http.StatusUnauthorized, "invalid token", "unauthorized")
			return false
		}
	}
	if app.Disabled {
		return s.upgradeAndClose(c, raw, CodeAppDisabled, "app disabled", "app_disabled")
	}
	if code, msg := protocolVersion(head.RawQuery); code != 0 {
		return s.upgradeAndClose(c, raw, code, msg, "bad_protocol")
	}
	if s.atCapacity() { // filled up while the token was checked
		return s.upgradeAndClose(c, raw, CodeOverCapacity, "over capacity", "over_capacity")
	}
	if app.MaxConnections > 0 && app.Conns() >= app.MaxConnections {
		return s.upgradeAndClose(c, raw, CodeOverQuota, "app over connection quota", "over_quota")
	}
	o := frame.UpgradeOptions{Protocol: echo}
	if app.Deflate {
		o = deflateOptions(head)
		o.Protocol = echo
	}
	a := &admission{app: app, authed: token != "", claims: claims}
	return s.upgrade(c, raw, o, a)
}

// admission is what a connection is admitted with.
type admission struct {
	app    *App
	authed bool
	claims auth.Claims
}

// admit records the connection's app and identity and counts it. It runs
// before the connection turns open, so that the loop (which may run
// concurrently when the token was checked on the pool) never sees a
// half-admitted connection; unadmit undoes it if the connection was
// aborted meanwhile.
func (s *Server) admit(c *conn, a *admission) {
	c.app = a.app
	s.conns.Add(1)
	a.app.conns.Add(1)
	switch {
	case a.authed:
		c.authed.Store(true)
		s.setUser(c, a.claims.Subject)
		c.grants = auth.NewGrants(a.claims.Subject, a.claims.Channels)
		if !a.claims.ExpiresAt.IsZero() {
			c.authUntil.Store(a.claims.ExpiresAt.UnixNano())
		}
	case a.app.Auth == AuthRequired:
		c.authUntil.Store(s.now() + int64(a.app.SigninTimeout))
	}
}

func (s *Server) unadmit(c *conn) {
	s.setUser(c, "")
	s.conns.Add(-1)
	c.app.conns.Add(-1)
	c.app = nil
}

// welcome follows the 101 of an admitted connection: the metric, the
// first heartbeat deadline when it comes before the upgrade-deadline
// entry fires, the log line.
func (s *Server) welcome(c *conn) {
	s.opts.Metrics.ConnOpened(c.app.ID)
	if to, ok := s.opts.Metrics.(TransportObserver); ok {
		to.TransportOpened(c.transport.String())
	}
	// The entry OnOpen added for the upgrade deadline fires (no later than
	// now+UpgradeTimeout), finds the connection open and moves on to its
	// heartbeat: one entry per connection, unless a deadline comes sooner.
	if next := s.nextDeadline(c); next < s.now()+int64(s.opts.UpgradeTimeout) {
		s.wheel(c).Add(c, unixTime(next))
	}
	s.debug("connection opened", c, "authenticated", c.authed.Load())
	s.traceConn(c, ConnEvent{Kind: ConnEventOpened})
}

// upgrade answers 101 and moves c to the open phase; with an admission,
// connection_established follows in the same write. It reports false when
// the handshake is refused or c was aborted meanwhile (the upgrade
// deadline passed while the token was being checked).
func (s *Server) upgrade(c *conn, raw []byte, o frame.UpgradeOptions, a *admission) bool {
	resp, err := frame.AppendUpgradeResponse(make([]byte, 0, 512), raw, o)
	if err != nil {
		status := http.StatusBadRequest
		var he frame.HandshakeError
		if errors.As(err, &he) {
			status = he.Status
		}
		s.refuseWith(c, status, resp, "bad_request")
		return false
	}
	c.deflBits = 0
	if o.Deflate {
		c.deflBits = uint8(cmp.Or(o.DeflateWindowBits, frame.FullWindowBits))
	}
	c.dec.Init(frame.DecoderOptions{MaxMessageSize: s.opts.MaxMessageSize, Deflate: o.Deflate})
	if c.transport == transportNone { // else /echo's, chosen by the caller
		c.transport = transportWebSocket
	}
	established := 0 // bytes of connection_established, a message like any other
	if a != nil {
		s.admit(c, a)
		n := len(resp)
		resp = appendEstablished(resp, c.socketID(), s.opts.ActivityTimeout)
		established = len(resp) - n
	}
	if !c.state.Open() {
		if a != nil {
			s.unadmit(c)
		}
		return false
	}
	c.closeBy.Store(0)
	if c.pc.Write(resp) == nil && established > 0 {
		s.opts.Metrics.MessagesOut(1, established)
	}
	if a != nil {
		s.welcome(c)
	}
	return true
}

// upgradeAndClose upgrades only to deliver a Pusher close code, which
// tells pusher-js whether to reconnect.
func (s *Server) upgradeAndClose(c *conn, raw []byte, code frame.StatusCode, msg, reason string) bool {
	s.opts.Metrics.UpgradeRejected(reason)
	s.debug("upgrade refused", c, "reason", reason, "code", int(code))
	cause := session.Rejected // by the app: unknown, disabled, over quota, bad protocol
	if code == CodeOverCapacity {
		cause = session.Overload // by the node: full, or no room to check the token
	}
	if s.upgrade(c, raw, frame.UpgradeOptions{}, nil) {
		s.closeWith(c, code, msg, cause, false)
	}
	return false
}

// refuse answers an HTTP error without upgrading and closes.
func (s *Server) refuse(c *conn, status int, body, reason string) {
	s.refuseWith(c, status, frame.AppendHTTPError(nil, status, body), reason)
}

// refuseWith sends resp, an HTTP response with status, then FIN; the
// wheel aborts a peer that does not close within CloseTimeout.
func (s *Server) refuseWith(c *conn, status int, resp []byte, reason string) {
	s.opts.Metrics.UpgradeRejected(reason)
	s.debug("upgrade refused", c, "reason", reason)
	deadline := s.now() + int64(s.opts.CloseTimeout)
	c.closeBy.Store(deadline) // before the phase, which the wheel reads first
	if !c.state.Refuse(uint16(status)) {
		return // its upgrade deadline passed: the wheel aborted it
	}
	_ = c.pc.Write(resp)
	c.pc.Close()
	s.wheel(c).Add(c, unixTime(deadline))
}

// protocolVersion checks the protocol query parameter.
func protocolVersion(rawQuery string) (frame.StatusCode, string) {
	q, _ := url.ParseQuery(rawQuery)
	v, ok := q["protocol"]
	if !ok || len(v) == 0 || v[0] == "" {
		return CodeNoProtocol, "protocol version missing"
	}
	n, err := strconv.Atoi(v[0])
	if err != nil {
		return CodeBadProtocol, "invalid protocol version"
	}
	if n != ProtocolVersion {
		return CodeUnsupported, "unsupported protocol version"
	}
	return 0, ""
}

func unixTime(ns int64) time.Time { return time.Unix(0, ns) }
