package redis

import "github.com/fanout/fanout/broker"

// Cluster-wide occupancy: each channel has a set of the nodes with local
// subscribers, and each node an index of the channels it occupies (the
// index is written before the set and cleared after it, so it always
// covers the set and the reaper finds every entry of a dead node).

// OccupyChannel implements broker.Directory.
func (b *Broker) OccupyChannel(app, channel string, done func(broker.Transition)) {
	k := chanKey{app, channel}
	b.dir.mu.Lock()
	b.dir.occupied[k] = struct{}{}
	b.dir.mu.Unlock()
	b.enqueue(k, func() {
		n, err := b.occupy(k)
		done(broker.Transition{Cluster: n > 0 || err != nil, Returned: n == 2 && err == nil})
	})
}

// VacateChannel implements broker.Directory.
func (b *Broker) VacateChannel(app, channel string, hold bool, done func(broker.Transition)) {
	k := chanKey{app, channel}
	b.dir.mu.Lock()
	delete(b.dir.occupied, k)
	b.dir.mu.Unlock()
	b.enqueue(k, func() {
		token := ""
		if hold {
			token = b.vacancyToken()
		}
		last, err := b.vacate(k, b.opts.NodeID, token)
		t := broker.Transition{Cluster: last || err != nil}
		if last && err == nil && token != "" {
			t.Held = broker.Departure{App: app, Channel: channel, Token: token}
		}
		done(t)
	})
}

// occupy adds this node to a channel's occupancy: 1 when it is the
// channel's first node, 2 when it is and that cancelled a held vacancy,
// else 0.
func (b *Broker) occupy(k chanKey) (int64, error) {
	ctx, cancel := b.call(nil)
	defer cancel()
	idx := b.client.B().Sadd().Key(b.occupancyIndexKey(b.opts.NodeID)).Member(k.field()).Build()
	if err := b.client.Do(ctx, idx).Error(); err != nil {
		return 0, err
	}
	return occupyScript.Exec(ctx, b.client, []string{b.occupancyKey(k), b.vacancyKey(k)}, []string{b.opts.NodeID}).AsInt64()
}

// vacate removes node from a channel's occupancy; it reports whether the
// channel is now empty everywhere. A token holds that vacancy (see
// grace.go); "" holds nothing.
func (b *Broker) vacate(k chanKey, node, token string) (bool, error) {
	ctx, cancel := b.call(nil)
	defer cancel()
	n, err := vacateScript.Exec(ctx, b.client, []string{b.occupancyKey(k), b.vacancyKey(k)},
		[]string{node, token, holdTTL(token != "")}).AsInt64()
	if err != nil {
		return false, err
	}
	_ = b.client.Do(ctx, b.client.B().Srem().Key(b.occupancyIndexKey(node)).Member(k.field()).Build()).Error()
	return n == 1, nil
}

// resyncOccupancy brings Redis back to the local mirror after an outage
// or a Redis restart, quietly: webhooks for transitions during the outage
// went out from this node's own view. Each channel is retried until Redis
// takes it, as for presence (retryOn).
func (b *Broker) resyncOccupancy() {
	ctx, cancel := b.call(nil)
	old, _ := b.client.Do(ctx, b.client.B().Smembers().Key(b.occupancyIndexKey(b.opts.NodeID)).Build()).AsStrSlice()
	cancel()
	keys := map[chanKey]bool{}
	for _, f := range old {
		if k, ok := parseField(f); ok {
			keys[k] = true
		}
	}
	b.dir.mu.Lock()
	for k := range b.dir.occupied {
		keys[k] = true
	}
	b.dir.mu.Unlock()
	for k := range keys {
		b.retryOn(k, "occupancy", resyncRetryFirst, func() error {
			b.dir.mu.Lock()
			_, want := b.dir.occupied[k]
			b.dir.mu.Unlock()
			var err error
			if want {
				_, err = b.occupy(k)
			} else {
				_, err = b.vacate(k, b.opts.NodeID, "")
			}
			return err
		})
	}
}

// reapOccupancy removes a dead node from every channel it occupied and
// tells the handler of the channels that it left empty (and, when it
// listens, of every channel it left).
func (b *Broker) reapOccupancy(node string) int {
	ctx, cancel := b.call(nil)
	chans, _ := b.client.Do(ctx, b.client.B().Smembers().Key(b.occupancyIndexKey(node)).Build()).AsStrSlice()
	cancel()
	rh := b.reapHandler()
	left, _ := rh.(broker.ChannelLeaver)
	for _, f := range chans {
		k, ok := parseField(f)
		if !ok {
			continue
		}
		last, err := b.vacate(k, node, "")
		if err == nil && last && rh != nil {
			rh.ChannelReaped(k.app, k.channel)
		}
		if err == nil && left != nil {
			left.ChannelLeft(k.app, k.channel)
		}
	}
	ctx, cancel = b.call(nil)
	_ = b.client.Do(ctx, b.client.B().Del().Key(b.occupancyIndexKey(node)).Build()).Error()
	cancel()
	return len(chans)
}
