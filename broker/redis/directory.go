package redis

import (
	"hash/maphash"
	"sync"
	"sync/atomic"

	"github.com/fanout/fanout/broker"
)

// presenceShards is how many goroutines run presence work; one channel
// always maps to the same one, so its joins and leaves keep their order.
const presenceShards = 8

// directory is this node's local mirror of its share of the cluster-wide
// directory: the source of truth that Redis is brought back to after an
// outage.
type directory struct {
	mu       sync.Mutex
	counts   map[chanKey]int
	dirty    map[chanKey]struct{}
	full     bool // rewrite the whole subscription hash on the next flush
	presence map[chanKey]map[string]*localMember
	occupied map[chanKey]struct{} // channels with local subscribers
	// vacancies counts the vacancies this node held (grace.go).
	vacancies atomic.Uint64
	kick      chan struct{}
	seed      maphash.Seed
	shards    [presenceShards]opQueue
}

type localMember struct {
	conns int
	info  []byte
}

// opQueue is one presence goroutine's FIFO of work.
type opQueue struct {
	mu   sync.Mutex
	ops  []func()
	wake chan struct{}
}

func (d *directory) init() {
	d.counts = map[chanKey]int{}
	d.dirty = map[chanKey]struct{}{}
	d.presence = map[chanKey]map[string]*localMember{}
	d.occupied = map[chanKey]struct{}{}
	d.kick = make(chan struct{}, 1)
	d.seed = maphash.MakeSeed()
	for i := range d.shards {
		d.shards[i].wake = make(chan struct{}, 1)
	}
}

func (d *directory) wakeFlusher() {
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

// CountSubscription implements broker.Directory.
func (b *Broker) CountSubscription(app, channel string, delta int) {
	k := chanKey{app, channel}
	d := &b.dir
	d.mu.Lock()
	if n := d.counts[k] + delta; n == 0 {
		delete(d.counts, k)
	} else {
		d.counts[k] = n
	}
	d.dirty[k] = struct{}{}
	d.mu.Unlock()
	d.wakeFlusher()
}

// JoinPresence implements broker.Directory. The caller's view of this
// node (first) is not used: the node's local mirror, changed in the same
// order as Redis, answers while Redis is down.
func (b *Broker) JoinPresence(app, channel string, m broker.Member, _ bool, done func(broker.Transition, []broker.Member)) {
	k := chanKey{app, channel}
	b.enqueue(k, func() {
		localFirst, newChannel := b.dir.addLocal(k, m)
		t, members, err := b.redisJoin(k, m, newChannel)
		if err != nil {
			t, members = broker.Transition{Cluster: localFirst}, b.dir.localMembers(k)
		}
		done(t, members)
	})
}

// LeavePresence implements broker.Directory; like JoinPresence it
// answers from its local mirror while Redis is down, not from last, and
// then holds nothing.
func (b *Broker) LeavePresence(app, channel, userID string, _, hold bool, done func(broker.Transition)) {
	k := chanKey{app, channel}
	b.enqueue(k, func() {
		localLast, emptied := b.dir.removeLocal(k, userID)
		t, err := b.redisLeave(k, userID, hold)
		if err != nil {
			t = broker.Transition{Cluster: localLast}
		} else if emptied {
			b.unindexPresence(k)
		}
		done(t)
	})
}

func (d *directory) addLocal(k chanKey, m broker.Member) (first, newChannel bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	users := d.presence[k]
	if users == nil {
		users = map[string]*localMember{}
		d.presence[k] = users
		newChannel = true
	}
	lm := users[m.ID]
	if lm == nil {
		lm = &localMember{}
		users[m.ID] = lm
	}
	lm.conns++
	lm.info = m.Info
	return lm.conns == 1, newChannel
}

// removeLocal drops one connection of user from k's local presence: last
// when it was the user's last on this node, emptied when k has no local
// member left.
func (d *directory) removeLocal(k chanKey, user string) (last, emptied bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	users := d.presence[k]
	lm := users[user]
	if lm == nil {
		return false, false
	}
	if lm.conns--; lm.conns > 0 {
		return false, false
	}
	delete(users, user)
	if len(users) == 0 {
		delete(d.presence, k)
		return true, true
	}
	return true, false
}

func (d *directory) localMembers(k chanKey) []broker.Member {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]broker.Member, 0, len(d.presence[k]))
	for id, lm := range d.presence[k] {
		out = append(out, broker.Member{ID: id, Info: lm.info})
	}
	return out
}

// enqueue runs op on the presence goroutine of k's shard.
func (b *Broker) enqueue(k chanKey, op func()) {
	var h maphash.Hash
	h.SetSeed(b.dir.seed)
	h.WriteString(k.app)
	h.WriteString(k.channel)
	q := &b.dir.shards[h.Sum64()%presenceShards]
	q.mu.Lock()
	q.ops = append(q.ops, op)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// runQueue is one presence goroutine.
func (b *Broker) runQueue(q *opQueue) {
	defer b.wg.Done()
	for {
		select {
		case <-q.wake:
		case <-b.ctx.Done():
			return
		}
		for {
			q.mu.Lock()
			ops := q.ops
			q.ops = nil
			q.mu.Unlock()
			if len(ops) == 0 {
				break
			}
			for _, op := range ops {
				op()
			}
		}
	}
}
