package pusher

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/fanout/fanout/broker"
	"github.com/fanout/fanout/frame"
	"github.com/fanout/fanout/session"
	"github.com/fanout/fanout/shard"
)

// fanoutChunk is how many recipients one delivery worker or helper writes
// to; bigger channels are split over the fan-out helpers.
const fanoutChunk = 1024

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

// deliverBatch encodes each event of one channel once and writes the
// events to every local subscriber, all of a subscriber's frames in one
// writev; it returns when every write is queued, so the channel's next
// batch (on the same delivery worker) comes after it. A channel of more
// than fanoutChunk subscribers is split over the fan-out helpers, which
// only ever wait for a connection's write lock.
func (s *Server) deliverBatch(b *batch, key shard.Key, ps []broker.Publication) {
	start := time.Now()
	b.ds = b.ds[:0]
	for i := range ps {
		p := &ps[i]
		msg := publicationFrame(p)
		if isCache(p.Channel) && !strings.HasPrefix(p.Event, "pusher_internal:") {
			s.hub.SetCache(key, msg, unixTime(s.now()), cacheTTL)
		}
		exclude, _ := parseSocketID(p.SocketID)
		b.ds = append(b.ds, &delivery{msg: msg, exclude: exclude, channel: p.Channel, pos: p.Position, src: p})
	}
	defer clear(b.ds) // hold no frames between batches
	ch := s.hub.Lookup(key)
	if ch == nil {
		return
	}
	subs := ch.Snapshot(b.subs[:0])
	if len(subs) <= fanoutChunk {
		s.writeAll(b.ds, subs, &b.iov)
	} else {
		var wg sync.WaitGroup
		for i := fanoutChunk; i < len(subs); i += fanoutChunk {
			t := fanoutTask{ds: b.ds, subs: subs[i:min(i+fanoutChunk, len(subs))], wg: &wg}
			wg.Add(1)
			select {
			case s.tasks <- t:
			default: // every helper is busy: write this part here
				s.writeAll(t.ds, t.subs, &b.iov)
				wg.Done()
			}
		}
		s.writeAll(b.ds, subs[:fanoutChunk], &b.iov)
		wg.Wait()
	}
	clear(subs)
	b.subs = subs[:0]
	s.opts.Metrics.FanoutDuration(time.Since(start))
}

// deliver is deliverBatch for one event (benchmarks of the fan-out).
func (s *Server) deliver(p broker.Publication) {
	var b batch
	s.deliverBatch(&b, shard.Key{App: p.App, Name: p.Channel}, []broker.Publication{p})
}

// batch is a delivery worker's scratch space, reused from batch to batch.
type batch struct {
	ds   []*delivery
	subs []*conn
	iov  [][]byte
}

// fanoutTask is one part of a big channel's subscribers for a helper.
type fanoutTask struct {
	ds   []*delivery
	subs []*conn
	wg   *sync.WaitGroup
}

// runHelper writes fan-out parts until the server stops. A helper waits
// for nothing but connection write locks, so a delivery worker waiting
// for its helpers always gets them back.
func (s *Server) runHelper() {
	var iov [][]byte
	for {
		select {
		case t := <-s.tasks:
			s.writeAll(t.ds, t.subs, &iov)
			t.wg.Done()
		case <-s.stop:
			return
		}
	}
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

// writeAll writes the events of ds to each of subs that is open and did
// not send the event itself, in one writev per connection.
func (s *Server) writeAll(ds []*delivery, subs []*conn, iovp *[][]byte) {
	n, bytes := 0, 0
	iov := *iovp
	for _, c := range subs {
		if c.state.Phase() != session.Open {
			continue
		}
		iov = iov[:0]
		size := 0
		for _, d := range ds {
			if c.id == d.exclude {
				continue
			}
			b := d.encoded(c)
			if !d.pos.IsZero() && c.held(d.channel, d.pos, b) {
				continue // a recovery in progress writes it after the replay
			}
			iov = append(iov, b)
			size += len(b)
		}
		if len(iov) > 0 && s.writev(c, iov) {
			n += len(iov)
			bytes += size
		}
	}
	clear(iov)
	*iovp = iov[:0]
	s.opts.Metrics.MessagesOut(n, bytes)
}

// TerminateUser implements broker.Handler: close this node's connections
// of a user.
func (s *Server) TerminateUser(appID, userID string) {
	for _, c := range s.hub.UserConns(shard.Key{App: appID, Name: userID}, nil) {
		s.closeWith(c, CodeUnauthorized, "connection terminated by the server", session.Terminated, false)
	}
}
