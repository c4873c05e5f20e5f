package redis

import (
	"strconv"
	"time"

	"github.com/redis/rueidis"
)

// flusher writes this node's changed subscription counts to its hash in
// Redis, one pipeline per wake-up, so a burst of subscribes costs one
// round trip.
func (b *Broker) flusher() {
	defer b.wg.Done()
	for {
		select {
		case <-b.dir.kick:
		case <-b.ctx.Done():
			return
		}
		if !b.flush() {
			b.sleep(250 * time.Millisecond)
		}
	}
}

// flush writes the dirty counts (all of them after a resync); on failure
// it puts them back for the next attempt.
func (b *Broker) flush() bool {
	d := &b.dir
	d.mu.Lock()
	full := d.full
	key := b.subsKey(b.opts.NodeID)
	var cmds rueidis.Commands
	dirty := d.dirty
	if full {
		cmds = append(cmds, b.client.B().Del().Key(key).Build())
		dirty = make(map[chanKey]struct{}, len(d.counts))
		for k := range d.counts {
			dirty[k] = struct{}{}
		}
	}
	for k := range dirty {
		if n, ok := d.counts[k]; ok {
			cmds = append(cmds, b.client.B().Hset().Key(key).FieldValue().FieldValue(k.field(), strconv.Itoa(n)).Build())
		} else if !full {
			cmds = append(cmds, b.client.B().Hdel().Key(key).Field(k.field()).Build())
		}
	}
	d.dirty = map[chanKey]struct{}{}
	d.full = false
	d.mu.Unlock()
	if len(cmds) == 0 {
		return true
	}
	ctx, cancel := b.call(nil)
	defer cancel()
	for _, r := range b.client.DoMulti(ctx, cmds...) {
		if r.Error() != nil {
			d.mu.Lock()
			d.full = true // simplest correct retry: rewrite everything
			d.mu.Unlock()
			d.wakeFlusher()
			return false
		}
	}
	return true
}
