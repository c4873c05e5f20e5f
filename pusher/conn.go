package pusher

import (
	"sync/atomic"

	"github.com/fanout/fanout/auth"
	"github.com/fanout/fanout/frame"
	"github.com/fanout/fanout/poller"
	"github.com/fanout/fanout/protocol"
	"github.com/fanout/fanout/ratelimit"
	"github.com/fanout/fanout/session"
	"github.com/fanout/fanout/shard"
	"github.com/fanout/fanout/tlsconn"
)

// conn is one client connection's state, kept small: an idle,
// subscribed connection holds this struct and its entries in the shard
// tables and one timer wheel, nothing else. Its session state machine
// (phases, transitions, who closed) is written down in package session.
type conn struct {
	pc  *poller.Conn
	app *App
	dec frame.Decoder
	id  uint64 // socket id: node in the high 32 bits, sequence in the low
	// state is the session's phase and, once it ends, who ended it and
	// the close code; only its methods change it.
	state session.State
	// evTokens and evRefill are the client-event token bucket (see
	// allowClientEvent); evTokens sits beside state to share its word.
	evTokens float32
	// transport is decided when the request is answered: WebSocket once
	// the 101 is sent; none while in handshake or after an HTTP error.
	transport transport
	// deflBits is 0 without permessage-deflate; with it, the LZ77 window
	// in bits (8-15) of the frames compressed for this client (the
	// server_max_window_bits it asked for, else 15).
	deflBits uint8
	// ipSlot is the connection's count in the per-address table
	// (iplimit.go); 0 when not counted. It fills padding before authed.
	ipSlot ratelimit.Slot
	// authed is set once the upgrade token or pusher:signin is accepted;
	// atomic because the wheel reads it when the signin grace ends (it
	// fits the padding before lastSeen: conn keeps its size class).
	authed atomic.Bool
	// Deadlines and activity in unix nanoseconds, read by the wheel.
	lastSeen  atomic.Int64
	pingSent  atomic.Int64 // 0 when no ping is outstanding
	authUntil atomic.Int64 // signin grace, then token expiry; 0 = none
	closeBy   atomic.Int64 // upgrade or close handshake deadline
	user      string
	// grants is the token's channels claim, relative to user: a pointer
	// to one copy shared by every user whose grant names its own id the
	// same way ("private-<sub>.*").
	grants   auth.Grants
	channels []*shard.Channel[*conn]
	// members are the presence channels joined and the user id each was
	// joined as; nil (8 bytes, not a 24-byte slice header) when none,
	// as for most connections.
	members  *[]membership
	evRefill int64 // unix nanoseconds of the bucket's last refill
	// recov holds subscriptions in recovery (channels with history); nil
	// until the first one.
	recov atomic.Pointer[recoveries]
}

// closeCode is the close code sent or received, else 1006 (RFC 6455
// section 7.4.1: abnormal, no close frame either way).
func (c *conn) closeCode() uint32 {
	if _, code := c.state.Ending(); code != 0 {
		return uint32(code)
	}
	return 1006
}

// socketID formats the Pusher socket id "node.sequence"
// (protocol.AppendSocketID).
func (c *conn) socketID() string {
	var b [24]byte
	return string(protocol.AppendSocketID(b[:0], c.id))
}

func (c *conn) subscribed(ch *shard.Channel[*conn]) int {
	for i, x := range c.channels {
		if x == ch {
			return i
		}
	}
	return -1
}

func (c *conn) findChannel(name string) *shard.Channel[*conn] {
	for _, x := range c.channels {
		if x.Key.Name == name {
			return x
		}
	}
	return nil
}

// memberships returns the presence channels c joined.
func (c *conn) memberships() []membership {
	if c.members == nil {
		return nil
	}
	return *c.members
}

// addMembership records a presence channel c joined as user.
func (c *conn) addMembership(ch *shard.Channel[*conn], user string) {
	if c.members == nil {
		c.members = new([]membership)
	}
	*c.members = append(*c.members, membership{ch: ch, user: user})
}

// dropMembership forgets the i-th presence channel of c.
func (c *conn) dropMembership(i int) {
	ms := *c.members
	ms = append(ms[:i], ms[i+1:]...)
	if len(ms) == 0 {
		c.members = nil
		return
	}
	*c.members = ms
}

// membership is a presence channel joined under a user id.
type membership struct {
	ch   *shard.Channel[*conn]
	user string
}

// allowClientEvent limits client events per second with a token bucket,
// without a timer; loop goroutine.
func (c *conn) allowClientEvent(now int64, rate int) bool {
	if c.evRefill == 0 {
		c.evTokens, c.evRefill = float32(rate), now
	}
	c.evTokens += float32(now-c.evRefill) / 1e9 * float32(rate)
	if c.evTokens > float32(rate) {
		c.evTokens = float32(rate)
	}
	c.evRefill = now
	if c.evTokens < 1 {
		return false
	}
	c.evTokens--
	return true
}

// tlsSession is c's TLS session, or nil on a plain listener. It lives in
// the poller connection (as its codec), keeping conn in its size class.
func (c *conn) tlsSession() *tlsconn.Session {
	s, _ := c.pc.Codec().(*tlsconn.Session)
	return s
}
