package shard

import (
	"hash/maphash"
	"sync"
	"sync/atomic"
)

// NumShards is the number of table shards; a power of two.
const NumShards = 64

// Key names a channel or a user within an app.
type Key struct{ App, Name string }

// Hub is the sharded channel and user table.
type Hub[S comparable] struct {
	seed     maphash.Seed
	channels atomic.Int64
	shards   [NumShards]tableShard[S]
}

type tableShard[S comparable] struct {
	mu       sync.RWMutex
	channels map[Key]*Channel[S]
	users    map[string]map[string]S // app, user: the user's first connection (users.go)
	more     map[Key][]S             // a user's other connections, if any
	cache    map[Key]cached
}

// New returns an empty Hub.
func New[S comparable]() *Hub[S] {
	h := &Hub[S]{seed: maphash.MakeSeed()}
	for i := range h.shards {
		h.shards[i].channels = make(map[Key]*Channel[S])
		h.shards[i].users = make(map[string]map[string]S)
		h.shards[i].more = make(map[Key][]S)
		h.shards[i].cache = make(map[Key]cached)
	}
	return h
}

func (h *Hub[S]) shard(k Key) *tableShard[S] {
	return &h.shards[maphash.String(h.seed, k.Name)&(NumShards-1)]
}

// Index returns the shard number of a name, for callers that spread their
// own work (timer wheels, fan-out tasks) the same way.
func (h *Hub[S]) Index(name string) int {
	return int(maphash.String(h.seed, name) & (NumShards - 1))
}

// Channels returns the number of occupied channels over all apps.
func (h *Hub[S]) Channels() int { return int(h.channels.Load()) }

// Subscribe adds s to channel k, creating the channel if needed. added is
// false when s was already there; occupied is true when the channel had no
// subscriber before.
func (h *Hub[S]) Subscribe(k Key, s S) (ch *Channel[S], added, occupied bool) {
	sh := h.shard(k)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	ch = sh.channels[k]
	if ch == nil {
		ch = &Channel[S]{Key: k, subs: make(map[S]struct{}, 1)}
		sh.channels[k] = ch
		h.channels.Add(1)
	}
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if _, ok := ch.subs[s]; ok {
		return ch, false, false
	}
	ch.subs[s] = struct{}{}
	return ch, true, len(ch.subs) == 1
}

// Unsubscribe removes s from ch. vacated is true when ch is now empty; an
// empty channel is removed from the table.
func (h *Hub[S]) Unsubscribe(ch *Channel[S], s S) (removed, vacated bool) {
	sh := h.shard(ch.Key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if _, ok := ch.subs[s]; !ok {
		return false, false
	}
	delete(ch.subs, s)
	if len(ch.subs) > 0 {
		return true, false
	}
	if sh.channels[ch.Key] == ch {
		delete(sh.channels, ch.Key)
		h.channels.Add(-1)
	}
	return true, true
}

// Lookup returns channel k, or nil when nobody on this node subscribes.
func (h *Hub[S]) Lookup(k Key) *Channel[S] {
	sh := h.shard(k)
	sh.mu.RLock()
	ch := sh.channels[k]
	sh.mu.RUnlock()
	return ch
}

// EachChannel calls fn for every occupied channel of app. fn runs with no
// Hub lock held.
func (h *Hub[S]) EachChannel(app string, fn func(*Channel[S])) {
	var batch []*Channel[S]
	for i := range h.shards {
		sh := &h.shards[i]
		batch = batch[:0]
		sh.mu.RLock()
		for k, ch := range sh.channels {
			if k.App == app {
				batch = append(batch, ch)
			}
		}
		sh.mu.RUnlock()
		for _, ch := range batch {
			fn(ch)
		}
	}
}
