package pusher

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/fanout/fanout/broker"
	"github.com/fanout/fanout/frame"
	"github.com/fanout/fanout/shard"
)

// fanoutChunk is how many recipients one pool task writes to; bigger
// channels are split over the worker pool.
const fanoutChunk = 1024

// Publish sends events through the broker to every node (the HTTP API
// calls it). An error means the events were not accepted.
func (s *Server) Publish(ctx context.Context, ps ...broker.Publication) error {
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

// publishAsync publishes from a loop goroutine, which must not wait for a
// remote broker.
func (s *Server) publishAsync(p broker.Publication) {
	if err := s.pool.Submit(func() { _ = s.Publish(context.Background(), p) }); err != nil {
		_ = s.Publish(context.Background(), p)
	}
}

// deliver encodes the event once and writes the same bytes to every local
// subscriber; it returns when every write is queued, so the next event of
// the channel (on the same delivery worker) comes after it.
func (s *Server) deliver(p broker.Publication) {
	start := time.Now()
	key := shard.Key{App: p.App, Name: p.Channel}
	msg := publicationFrame(&p)
	if isCache(p.Channel) && !strings.HasPrefix(p.Event, "pusher_internal:") {
		s.hub.SetCache(key, msg, unixTime(s.now()), cacheTTL)
	}
	ch := s.hub.Lookup(key)
	if ch == nil {
		return
	}
	exclude, _ := parseSocketID(p.SocketID)
	bp := s.snaps.Get().(*[]*conn)
	subs := ch.Snapshot((*bp)[:0])
	d := &delivery{msg: msg, exclude: exclude, channel: p.Channel, pos: p.Position}
	if len(subs) <= fanoutChunk {
		s.writeAll(d, subs)
	} else {
		var wg sync.WaitGroup
		for i := 0; i < len(subs); i += fanoutChunk {
			part := subs[i:min(i+fanoutChunk, len(subs))]
			wg.Add(1)
			if s.pool.Submit(func() { defer wg.Done(); s.writeAll(d, part) }) != nil {
				s.writeAll(d, part)
				wg.Done()
			}
		}
		wg.Wait()
	}
	clear(subs)
	*bp = subs[:0]
	s.snaps.Put(bp)
	s.opts.Metrics.FanoutDuration(time.Since(start))
}

// delivery is one event on its way to many sockets: the plain frame and,
// made once when the first deflate connection needs it, the compressed one.
type delivery struct {
	msg     []byte
	exclude uint64
	channel string
	pos     broker.Position // zero for channels without history
	once    sync.Once
	packed  []byte
}

func (d *delivery) compressed() []byte {
	d.once.Do(func() {
		payload := d.msg[frame.HeaderSize(mustHeader(d.msg)):]
		if b, err := frame.AppendCompressedMessage(nil, frame.OpText, payload); err == nil {
			d.packed = b
		} else {
			d.packed = d.msg
		}
	})
	return d.packed
}

func mustHeader(b []byte) frame.Header {
	h, _, _ := frame.ParseHeader(b)
	return h
}

func (s *Server) writeAll(d *delivery, subs []*conn) {
	n, bytes := 0, 0
	for _, c := range subs {
		if c.id == d.exclude || c.phase.Load() != phaseOpen {
			continue
		}
		b := d.msg
		if c.defl {
			b = d.compressed()
		}
		if !d.pos.IsZero() && c.held(d.channel, d.pos, b) {
			continue
		}
		if s.write(c, b) {
			n++
			bytes += len(b)
		}
	}
	s.opts.Metrics.MessagesOut(n, bytes)
}

// TerminateUser implements broker.Handler: close this node's connections
// of a user.
func (s *Server) TerminateUser(appID, userID string) {
	for _, c := range s.hub.UserConns(shard.Key{App: appID, Name: userID}, nil) {
		s.closeWith(c, CodeUnauthorized, "connection terminated by the server", false)
	}
}
