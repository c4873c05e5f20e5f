package bench

import (
	"context"
	"time"
)

// Storm: every connection joins stormChannel; senders send stormEvent
// client events there, which the other subscribers time like published
// events.
const (
	stormChannel = "private-bench-storm"
	stormEvent   = "client-bench"
)

// sendClientEvents sends client events of size data bytes from n of the
// worker's subscribed connections, in turn, at rate events/s in total,
// for d. An event the server refuses comes back as a pusher:error and
// is counted by the client, not here.
func (w *worker) sendClientEvents(ctx context.Context, n int, rate float64, d time.Duration, size int) {
	senders := w.subscribedClients(n)
	if len(senders) == 0 {
		return
	}
	sctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	pace := newPacer(rate)
	data := make([]byte, 0, size+64)
	for i := 0; ; i++ {
		pace.wait(sctx)
		if sctx.Err() != nil {
			return
		}
		c := senders[i%len(senders)]
		if c.state.Load() != stSubscribed {
			continue
		}
		seq := uint64(i*w.cfg.Workers + w.cfg.Index)
		data = appendBenchData(data[:0], seq, time.Now().UnixNano(), size)
		c.write(opText, clientEventMsg(w.cfg.Event, c.channel, data))
		w.sent.Add(1)
	}
}

// subscribedClients returns up to n subscribed clients.
func (w *worker) subscribedClients(n int) []*client {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []*client
	for c := range w.clients {
		if len(out) == n {
			break
		}
		if c.state.Load() == stSubscribed {
			out = append(out, c)
		}
	}
	return out
}
