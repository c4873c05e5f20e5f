package redis

import (
	"errors"
	"net"
	"strconv"
	"time"
)

// clusterSlots is the number of Redis Cluster hash slots.
const clusterSlots = 16384

// routeLocked picks the pub/sub connection of a channel: the one
// connection with standalone Redis, else the one to the master that owns
// the channel's slot (nil while the layout is unknown). b.mu is held.
func (b *Broker) routeLocked(name string) *psConn {
	if !b.opts.Cluster {
		return b.psConnLocked("")
	}
	if b.slots == nil {
		return nil
	}
	cmd := b.client.B().Spublish().Channel(name).Message("").Build()
	addr := b.slots[cmd.Slot()]
	if addr == "" {
		return nil
	}
	return b.psConnLocked(addr)
}

// rerouteLocked asks the router to read the cluster layout again and
// move channels whose master changed. No-op for standalone Redis.
func (b *Broker) rerouteLocked() {
	if !b.opts.Cluster {
		return
	}
	select {
	case b.reroute <- struct{}{}:
	default:
	}
}

// router keeps the slot → master table of a cluster and the channels on
// the right connections.
func (b *Broker) router() {
	defer b.wg.Done()
	for {
		select {
		case <-b.reroute:
		case <-b.ctx.Done():
			return
		}
		slots, err := b.fetchSlots()
		if err != nil {
			b.opts.Logger.Debug("redis: reading the cluster layout failed, retrying", "err", err)
			if b.sleep(250 * time.Millisecond) {
				b.mu.Lock()
				b.rerouteLocked()
				b.mu.Unlock()
			}
			continue
		}
		b.applySlots(slots)
	}
}

// applySlots installs a layout and moves every channel to its master's
// connection; a moved channel is subscribed afresh there.
func (b *Broker) applySlots(slots []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.slots = slots
	for name, in := range b.subs {
		np := b.routeLocked(name)
		if np == nil {
			continue
		}
		if in.ps != np {
			if in.ps != nil {
				delete(in.ps.dirty, name)
			}
			in.ps = np
			b.dropLocked(in)
		}
		if in.pending() {
			np.dirty[name] = struct{}{}
			np.wake()
		} else if in.idle() {
			delete(b.subs, name)
		}
	}
}

// fetchSlots reads CLUSTER SLOTS into a table of master addresses.
func (b *Broker) fetchSlots() ([]string, error) {
	ctx, cancel := b.call(nil)
	defer cancel()
	ranges, err := b.client.Do(ctx, b.client.B().ClusterSlots().Build()).ToArray()
	if err != nil {
		return nil, err
	}
	slots := make([]string, clusterSlots)
	for _, r := range ranges {
		v, err := r.ToArray()
		if err != nil || len(v) < 3 {
			return nil, errors.New("redis: malformed CLUSTER SLOTS reply")
		}
		from, _ := v[0].AsInt64()
		to, _ := v[1].AsInt64()
		master, err := v[2].ToArray()
		if err != nil || len(master) < 2 {
			return nil, errors.New("redis: malformed CLUSTER SLOTS reply")
		}
		host, _ := master[0].ToString()
		port, _ := master[1].AsInt64()
		if host == "" || from < 0 || to >= clusterSlots {
			continue
		}
		addr := net.JoinHostPort(host, strconv.FormatInt(port, 10))
		for s := from; s <= to; s++ {
			slots[s] = addr
		}
	}
	return slots, nil
}
