package broker

import (
	"context"
	"strconv"
	"strings"
	"sync"
)

// Local is the Directory of a single node, over the node's own tables:
// the node is the whole cluster, so each transition the caller reports
// is the cluster's, and the queries read Node. Its only state is the
// departures held for a grace (one map entry each, until Settle or a
// return takes it); it starts no goroutine and runs done on the caller's
// goroutine before returning. A nil Node has no channels and no members.
// Use it through a pointer; the zero value (but Node) is ready.
type Local struct {
	Node Node

	mu   sync.Mutex
	held map[heldKey]string // departure → its token
	seq  uint64
}

// heldKey names a held departure: user "" for a channel's vacancy.
type heldKey struct{ app, channel, user string }

// CountSubscription implements Directory: the node's table is the count.
func (*Local) CountSubscription(app, channel string, delta int) {}

// JoinPresence implements Directory: the node's first connection of the
// user is the cluster's, and the members are the node's.
func (l *Local) JoinPresence(app, channel string, m Member, first bool, done func(Transition, []Member)) {
	t := Transition{Cluster: first}
	if first {
		t.Returned = l.cancel(heldKey{app, channel, m.ID})
	}
	done(t, l.members(app, channel))
}

// LeavePresence implements Directory: the node's last connection of the
// user is the cluster's.
func (l *Local) LeavePresence(app, channel, userID string, last, hold bool, done func(Transition)) {
	t := Transition{Cluster: last}
	if last && hold {
		t.Held = l.hold(heldKey{app, channel, userID})
	}
	done(t)
}

// OccupyChannel implements Directory: no other node can hold the channel.
func (l *Local) OccupyChannel(app, channel string, done func(Transition)) {
	done(Transition{Cluster: true, Returned: l.cancel(heldKey{app, channel, ""})})
}

// VacateChannel implements Directory: no other node can hold the channel.
func (l *Local) VacateChannel(app, channel string, hold bool, done func(Transition)) {
	t := Transition{Cluster: true}
	if hold {
		t.Held = l.hold(heldKey{app, channel, ""})
	}
	done(t)
}

// Settle implements Directory; it never waits.
func (l *Local) Settle(d Departure) bool {
	k := heldKey{d.App, d.Channel, d.User}
	l.mu.Lock()
	defer l.mu.Unlock()
	if tok, ok := l.held[k]; ok && tok == d.Token {
		delete(l.held, k)
		return true
	}
	return false
}

func (l *Local) hold(k heldKey) Departure {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.held == nil {
		l.held = map[heldKey]string{}
	}
	l.seq++
	tok := strconv.FormatUint(l.seq, 10)
	l.held[k] = tok
	return Departure{App: k.app, Channel: k.channel, User: k.user, Token: tok}
}

// cancel drops k's held departure, reporting whether there was one.
func (l *Local) cancel(k heldKey) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.held[k]; ok {
		delete(l.held, k)
		return true
	}
	return false
}

// ChannelInfo implements Directory from the node's table; it never fails.
func (l *Local) ChannelInfo(_ context.Context, app, channel string) (ChannelCount, error) {
	if l.Node == nil {
		return ChannelCount{}, nil
	}
	return l.Node.ChannelCount(app, channel), nil
}

// Channels implements Directory from the node's table; it never fails.
func (l *Local) Channels(_ context.Context, app, prefix string) (map[string]ChannelCount, error) {
	out := map[string]ChannelCount{}
	if l.Node == nil {
		return out, nil
	}
	l.Node.EachChannel(app, func(channel string, c ChannelCount) {
		if strings.HasPrefix(channel, prefix) {
			out[channel] = c
		}
	})
	return out, nil
}

// Members implements Directory from the node's table; it never fails.
func (l *Local) Members(_ context.Context, app, channel string) ([]Member, error) {
	return l.members(app, channel), nil
}

func (l *Local) members(app, channel string) []Member {
	ms := []Member{}
	if l.Node != nil {
		l.Node.EachMember(app, channel, func(m Member) { ms = append(ms, m) })
	}
	return ms
}
