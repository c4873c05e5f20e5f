package shard

import "sync"

// Channel is one occupied channel: its local subscribers and, for
// presence channels, its members.
type Channel[S comparable] struct {
	Key     Key
	mu      sync.RWMutex
	subs    map[S]struct{}
	members map[string]*member
}

type member struct {
	info  []byte
	conns int32
}

// Len returns the number of local subscribers.
func (ch *Channel[S]) Len() int {
	ch.mu.RLock()
	defer ch.mu.RUnlock()
	return len(ch.subs)
}

// Has reports whether s subscribes to ch.
func (ch *Channel[S]) Has(s S) bool {
	ch.mu.RLock()
	defer ch.mu.RUnlock()
	_, ok := ch.subs[s]
	return ok
}

// Snapshot appends the subscribers to dst, so that the caller can write to
// them with no lock held.
func (ch *Channel[S]) Snapshot(dst []S) []S {
	ch.mu.RLock()
	defer ch.mu.RUnlock()
	for s := range ch.subs {
		dst = append(dst, s)
	}
	return dst
}

// AddMember records one more local connection of userID on a presence
// channel. first is true when userID was not a member before; info is kept
// from the first connection.
func (ch *Channel[S]) AddMember(userID string, info []byte) (first bool) {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if ch.members == nil {
		ch.members = make(map[string]*member, 1)
	}
	if m := ch.members[userID]; m != nil {
		m.conns++
		return false
	}
	ch.members[userID] = &member{info: info, conns: 1}
	return true
}

// RemoveMember drops one local connection of userID. last is true when it
// was the user's last connection on the channel.
func (ch *Channel[S]) RemoveMember(userID string) (last bool) {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	m := ch.members[userID]
	if m == nil {
		return false
	}
	if m.conns--; m.conns > 0 {
		return false
	}
	delete(ch.members, userID)
	return true
}

// MemberCount returns the number of distinct local members.
func (ch *Channel[S]) MemberCount() int {
	ch.mu.RLock()
	defer ch.mu.RUnlock()
	return len(ch.members)
}

// HasMember reports whether userID is a local member.
func (ch *Channel[S]) HasMember(userID string) bool {
	ch.mu.RLock()
	defer ch.mu.RUnlock()
	return ch.members[userID] != nil
}

// EachMember calls fn with each member's id and info under the channel's
// read lock; fn must not call into the Hub.
func (ch *Channel[S]) EachMember(fn func(userID string, info []byte)) {
	ch.mu.RLock()
	defer ch.mu.RUnlock()
	for id, m := range ch.members {
		fn(id, m.info)
	}
}
