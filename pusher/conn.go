package pusher

import (
	"strconv"
	"sync/atomic"

	"github.com/fanout/fanout/frame"
	"github.com/fanout/fanout/poller"
	"github.com/fanout/fanout/shard"
	"github.com/fanout/fanout/tlsconn"
)

// Connection phases; see the package documentation.
const (
	phaseHandshake uint32 = iota
	phaseVerifying        // the upgrade token is checked on the pool
	phaseOpen
	phaseClosing
	phaseClosed
	phaseAborted // never admitted: its upgrade deadline passed first
)

// conn is one client connection's state, kept small: an idle,
// subscribed connection holds this struct and its entries in the shard
// tables and one timer wheel, nothing else.
type conn struct {
	pc    *poller.Conn
	app   *App
	dec   frame.Decoder
	id    uint64 // socket id: node in the high 32 bits, sequence in the low
	phase atomic.Uint32
	echo  bool
	// upgraded is set once the 101 is sent.
	upgraded bool
	defl     bool
	// authed is set once the upgrade token or pusher:signin is accepted.
	authed bool
	// Deadlines and activity in unix nanoseconds, read by the wheel.
	lastSeen  atomic.Int64
	pingSent  atomic.Int64  // 0 when no ping is outstanding
	authUntil atomic.Int64  // signin grace, then token expiry; 0 = none
	closeBy   atomic.Int64  // upgrade or close handshake deadline
	code      atomic.Uint32 // close code sent or received
	user      string
	grants    []string // channel patterns from the token's channels claim
	channels  []*shard.Channel[*conn]
	members   []membership // presence channels: the user id each joined as
	bucket    tokenBucket
}

func (c *conn) closeCode() uint32 {
	if code := c.code.Load(); code != 0 {
		return code
	}
	return 1006 // abnormal: no close frame either way
}

// socketID formats the Pusher socket id "node.sequence".
func (c *conn) socketID() string {
	var b [24]byte
	s := strconv.AppendUint(b[:0], c.id>>32, 10)
	s = append(s, '.')
	s = strconv.AppendUint(s, c.id&0xffffffff, 10)
	return string(s)
}

// parseSocketID is the inverse of socketID; ok is false for ids this
// format cannot produce.
func parseSocketID(s string) (uint64, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] != '.' {
			continue
		}
		hi, err1 := strconv.ParseUint(s[:i], 10, 32)
		lo, err2 := strconv.ParseUint(s[i+1:], 10, 32)
		if err1 != nil || err2 != nil {
			return 0, false
		}
		return hi<<32 | lo, true
	}
	return 0, false
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

// membership is a presence channel joined under a user id.
type membership struct {
	ch   *shard.Channel[*conn]
	user string
}

// tokenBucket limits client events per second without a timer.
type tokenBucket struct {
	tokens float32
	last   int64 // unix nanoseconds of the last refill
}

func (b *tokenBucket) allow(now int64, rate int) bool {
	if b.last == 0 {
		b.tokens, b.last = float32(rate), now
	}
	b.tokens += float32(now-b.last) / 1e9 * float32(rate)
	if b.tokens > float32(rate) {
		b.tokens = float32(rate)
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// tlsSession is c's TLS session, or nil on a plain listener. It lives in
// the poller connection (as its codec), keeping conn in its size class.
func (c *conn) tlsSession() *tlsconn.Session {
	s, _ := c.pc.Codec().(*tlsconn.Session)
	return s
}
