package chaos

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fanout/fanout/internal/ledger"
)

// Publisher publishes numbered ledger events through the HTTP API of a
// node and records every answer in the ledger.
type Publisher struct {
	L    *ledger.Ledger
	Node func() *Node // the node to publish to (may change during a run)

	lastOK atomic.Int64 // unix nanos of the latest 200
}

// RoundRobin returns a Publisher.Node that takes the nodes in turn; it is
// safe for the Publisher's goroutines.
func RoundRobin(nodes ...*Node) func() *Node {
	var next atomic.Uint64
	return func() *Node { return nodes[next.Add(1)%uint64(len(nodes))] }
}

// One publishes the next event of channel and returns the HTTP status
// (0: transport error).
func (p *Publisher) One(channel string) int {
	seq := p.L.Next(channel)
	status := p.Node().Publish(channel, LedgerEvent, ledger.Payload(seq, time.Now()))
	p.L.Record(channel, seq, status)
	if status == 200 {
		p.lastOK.Store(time.Now().UnixNano())
	}
	return status
}

// LastAccepted returns when a publish was last answered 200.
func (p *Publisher) LastAccepted() time.Time { return time.Unix(0, p.lastOK.Load()) }

// Run publishes to every channel, one goroutine per channel (so each
// channel's events are sent in sequence order), one event per interval,
// until ctx ends; the returned func waits for the goroutines.
func (p *Publisher) Run(ctx context.Context, channels []string, interval time.Duration) (wait func()) {
	var wg sync.WaitGroup
	for _, ch := range channels {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTicker(interval)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					p.One(ch)
				}
			}
		}()
	}
	return wg.Wait
}
