package redis

import (
	"context"
	"sync"
	"time"

	"github.com/fanout/fanout/broker"
)

// backlogLen bounds the publications a reader keeps for a handler that
// has no room for them now; beyond it they are dropped and reported.
const backlogLen = 4096

// backlogRetry is how often a non-empty backlog is offered again.
const backlogRetry = 5 * time.Millisecond

// backlog keeps, in arrival order, the publications the handler refused
// for now. While a channel has publications in it, later ones of that
// channel queue behind them (its order holds); other channels go straight
// to the handler, so one overloaded channel does not stall them, and the
// pub/sub readers never wait for the handler.
type backlog struct {
	mu   sync.Mutex
	q    []broker.Publication
	per  map[pubKey]int // publications of each channel in q or being offered
	n    int            // publications in q or being offered
	kick chan struct{}
}

type pubKey struct{ app, channel string }

func newBacklog() *backlog {
	return &backlog{per: map[pubKey]int{}, kick: make(chan struct{}, 1)}
}

// doneCtx makes Offer try once, without waiting.
var doneCtx = func() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}()

// handOver gives p to the handler, or to the backlog when the handler has
// no room or p's channel already waits there; it never blocks.
func (b *Broker) handOver(o broker.Offerer, p broker.Publication) {
	bl, k := b.backlog, pubKey{p.App, p.Channel}
	bl.mu.Lock()
	waiting := bl.per[k] > 0
	bl.mu.Unlock()
	if !waiting {
		if err := o.Offer(doneCtx, p); err == nil || err == broker.ErrClosed {
			return
		}
	}
	bl.mu.Lock()
	if bl.n >= backlogLen {
		bl.mu.Unlock()
		b.dropped(p)
		return
	}
	bl.q = append(bl.q, p)
	bl.per[k]++
	bl.n++
	bl.mu.Unlock()
	select {
	case bl.kick <- struct{}{}:
	default:
	}
}

func (b *Broker) dropped(p broker.Publication) {
	if d, ok := b.h.(broker.DropHandler); ok {
		d.Dropped(p)
	}
	b.opts.Logger.Debug("redis: publication dropped, node overloaded", "channel", p.Channel)
}

// drainBacklog offers the backlog to the handler until the broker closes.
func (b *Broker) drainBacklog(o broker.Offerer) {
	defer b.wg.Done()
	bl := b.backlog
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		select {
		case <-bl.kick:
		case <-b.ctx.Done():
			return
		}
		for {
			bl.mu.Lock()
			items := bl.q
			bl.q = nil
			bl.mu.Unlock()
			if len(items) == 0 {
				break
			}
			keep := b.offerAll(o, items)
			if len(keep) == 0 {
				continue
			}
			bl.mu.Lock()
			bl.q = append(keep, bl.q...)
			bl.mu.Unlock()
			t.Reset(backlogRetry)
			select {
			case <-t.C:
			case <-b.ctx.Done():
				return
			}
		}
	}
}

// offerAll offers items in order and returns those refused: after a
// refusal, the rest of that channel's items are kept without an offer.
func (b *Broker) offerAll(o broker.Offerer, items []broker.Publication) []broker.Publication {
	bl := b.backlog
	var blocked map[pubKey]bool
	keep := items[:0]
	for _, p := range items {
		k := pubKey{p.App, p.Channel}
		if !blocked[k] {
			err := o.Offer(doneCtx, p)
			if err == nil || err == broker.ErrClosed {
				bl.mu.Lock()
				if bl.per[k]--; bl.per[k] <= 0 {
					delete(bl.per, k)
				}
				bl.n--
				bl.mu.Unlock()
				continue
			}
			if blocked == nil {
				blocked = map[pubKey]bool{}
			}
			blocked[k] = true
		}
		keep = append(keep, p)
	}
	clear(items[len(keep):])
	return keep
}
