package pusher

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/fanout/fanout/broker"
	engine "github.com/fanout/fanout/delivery"
	"github.com/fanout/fanout/frame"
	"github.com/fanout/fanout/protocol"
	"github.com/fanout/fanout/session"
	"github.com/fanout/fanout/shard"
)

// publishWait bounds how long a publish to the local node waits for room
// in the delivery queues before it is refused with ErrBusy.
const publishWait = time.Second

// Publish sends events through the broker to every node (the HTTP API
// calls it). An error means the events were not accepted; ErrBusy means
// this node had no room for them within about a second (the HTTP API
// answers 503 with Retry-After). Events accepted are delivered in order.
func (s *Server) Publish(ctx context.Context, ps ...broker.Publication) error {
	if s.outbox == nil { // the memory broker waits for room with ctx
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, publishWait)
		defer cancel()
	}
	err := s.publish(ctx, ps...)
	if errors.Is(err, ErrBusy) {
		s.opts.Metrics.Refused(RefusedPublish)
	}
	return err
}

// publish is Publish without its bound and its refusal count.
func (s *Server) publish(ctx context.Context, ps ...broker.Publication) error {
	s.stampArrived(ps)
	err := s.opts.Broker.Publish(ctx, ps...)
	result := "ok"
	if err != nil {
		result = "error"
	} else {
		s.countAppends(ps)
	}
	for _, p := range ps {
		s.opts.Metrics.Publish(p.App, result)
	}
	return err
}

// sink is the delivery engine's protocol side: it encodes a channel's
// batch of published events once and writes to connections.
type sink struct{ s *Server }

// Encode makes one delivery per event: its frame, encoded once for every
// recipient (and kept as the channel's cache for cache- channels).
// Delivery worker.
func (k sink) Encode(key shard.Key, ps []broker.Publication, dst []engine.Message[*conn]) []engine.Message[*conn] {
	s := k.s
	t := s.tapped()
	for i := range ps {
		p := &ps[i]
		if t != nil {
			t.Delivered(p)
		}
		msg := publicationFrame(p)
		if protocol.KindOf(p.Channel).Cache() && !strings.HasPrefix(p.Event, "pusher_internal:") {
			s.hub.SetCache(key, msg, unixTime(s.now()), cacheTTL)
		}
		exclude, _ := protocol.ParseSocketID(p.SocketID)
		dst = append(dst, &delivery{msg: msg, exclude: exclude, channel: p.Channel, pos: p.Position, src: p,
			member: strings.HasPrefix(p.Event, "pusher_internal:member_")})
	}
	return dst
}

// Live reports whether c is open.
func (sink) Live(c *conn) bool { return c.state.Phase() == session.Open }

// Write writes frames to c in one writev(2); a full send queue makes c a
// slow consumer.
func (k sink) Write(c *conn, frames [][]byte) bool { return k.s.writev(c, frames) }

// Delivered counts one batch's frames out (in all and for its app), the
// fan-out's duration and each event's publish-to-socket latency.
func (k sink) Delivered(key shard.Key, ps []broker.Publication, frames, bytes int, took time.Duration) {
	k.s.opts.Metrics.MessagesOut(frames, bytes)
	k.s.opts.Metrics.FanoutDuration(took)
	k.s.state.AppDelivered(key.App, frames, bytes)
	if frames > 0 { // else no socket was written (e.g. the only one is the sender's)
		k.s.observeArrivals(ps)
	}
}

// deliver writes one event to its channel's subscribers past the queues
// (benchmarks of the fan-out).
func (s *Server) deliver(p broker.Publication) {
	s.engine.Deliver(shard.Key{App: p.App, Name: p.Channel}, []broker.Publication{p})
}

// delivery is one event on its way to many sockets: the plain frame and,
// made once when the first deflate connection needs it, the compressed one.
// Clients that asked for a window below 2^15 (server_max_window_bits) get
// a frame compressed for their window, made once per window size.
type delivery struct {
	msg     []byte
	exclude uint64
	channel string
	pos     broker.Position // zero for channels without history
	member  bool            // pusher_internal:member_added or _removed
	once    sync.Once
	packed  []byte

	// src is the event (alive until the batch is written), and its SSE
	// encodings, made once when the first event-stream recipient needs one.
	src                    *broker.Publication
	sseOnce, sseTaggedOnce sync.Once
	sseMsg, sseTagged      []byte

	smallMu sync.Mutex
	small   map[uint8][]byte // window bits → frame; nil until needed
}

// compressed is the frame for a client whose window is 2^bits bytes.
func (d *delivery) compressed(bits uint8) []byte {
	if bits < frame.MinWindowBits || bits >= frame.FullWindowBits {
		d.once.Do(func() { d.packed = d.compress(frame.FullWindowBits) })
		return d.packed
	}
	d.smallMu.Lock()
	defer d.smallMu.Unlock()
	b, ok := d.small[bits]
	if !ok {
		if d.small == nil {
			d.small = make(map[uint8][]byte, 1)
		}
		b = d.compress(int(bits))
		d.small[bits] = b
	}
	return b
}

// compress is the compressed frame of d.msg, or d.msg itself should
// compression fail.
func (d *delivery) compress(bits int) []byte {
	payload := d.msg[frame.HeaderSize(mustHeader(d.msg)):]
	if b, err := frame.AppendCompressedMessageWindow(nil, frame.OpText, payload, bits); err == nil {
		return b
	}
	return d.msg
}

func mustHeader(b []byte) frame.Header {
	h, _, _ := frame.ParseHeader(b)
	return h
}

// Frame is d for c in c's transport's encoding, or nil for the
// connection that published it.
func (d *delivery) Frame(c *conn) []byte {
	if c.id == d.exclude {
		return nil
	}
	return d.encoded(c)
}

// Hold reports whether b must not be written to c now: it waits for (or
// was already sent by) a recovery in progress, or it is a member event
// that waits for c's member list or that the list already holds.
func (d *delivery) Hold(c *conn, b []byte) bool {
	if !d.pos.IsZero() && c.held(d.channel, d.pos, b) {
		return true
	}
	return d.member && c.heldMember(d.channel, d.src.PresenceVersion, b)
}

// TerminateUser implements broker.Handler: close this node's connections
// of a user.
func (s *Server) TerminateUser(appID, userID string) {
	for _, c := range s.hub.UserConns(shard.Key{App: appID, Name: userID}, nil) {
		s.closeWith(c, CodeUnauthorized, "connection terminated by the server", session.Terminated, false)
	}
}
