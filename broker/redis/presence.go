package redis

import (
	"encoding/json"
	"sort"
	"strconv"

	"github.com/fanout/fanout/broker"
)

// redisJoin runs joinScript; the first join of a channel on this node
// also records the channel in the node's presence index.
func (b *Broker) redisJoin(k chanKey, m broker.Member, newChannel bool) (broker.Transition, []broker.Member, error) {
	ctx, cancel := b.call(nil)
	defer cancel()
	if newChannel {
		cmd := b.client.B().Sadd().Key(b.presenceIndexKey(b.opts.NodeID)).Member(k.field()).Build()
		if err := b.client.Do(ctx, cmd).Error(); err != nil {
			return broker.Transition{}, nil, err
		}
	}
	info := string(m.Info)
	if info == "" {
		info = "null"
	}
	vals, err := joinScript.Exec(ctx, b.client, b.presenceKeys(k),
		[]string{m.ID, info, nodeField(b.opts.NodeID) + m.ID}).ToArray()
	if err != nil || len(vals) != 4 {
		return broker.Transition{}, nil, errOr(err)
	}
	first, _ := vals[0].AsInt64()
	version, _ := vals[2].AsInt64()
	back, _ := vals[3].AsInt64()
	hash, err := vals[1].AsStrSlice()
	if err != nil {
		return broker.Transition{}, nil, err
	}
	return broker.Transition{Cluster: first == 1, Returned: back == 1, Version: uint64(version)}, membersOf(hash), nil
}

// unindexPresence removes k from the node's presence index once the node
// has no member left on it, so that the index (which a resync walks)
// holds only channels the node is in, not every one it ever was; k's
// presence goroutine. A failure leaves the entry, which the next resync
// clears by rewriting an empty share.
func (b *Broker) unindexPresence(k chanKey) {
	ctx, cancel := b.call(nil)
	defer cancel()
	_ = b.client.Do(ctx, b.client.B().Srem().Key(b.presenceIndexKey(b.opts.NodeID)).Member(k.field()).Build()).Error()
}

// redisLeave runs leaveScript: whether it was user's last connection
// anywhere, and the presence version after it (0 when not); with hold, a
// last leave is held as a departure.
func (b *Broker) redisLeave(k chanKey, user string, hold bool) (broker.Transition, error) {
	ctx, cancel := b.call(nil)
	defer cancel()
	vals, err := leaveScript.Exec(ctx, b.client, b.presenceKeys(k),
		[]string{user, nodeField(b.opts.NodeID) + user, holdTTL(hold)}).ToArray()
	if err != nil || len(vals) != 2 {
		return broker.Transition{}, errOr(err)
	}
	last, _ := vals[0].AsInt64()
	version, _ := vals[1].AsInt64()
	t := broker.Transition{Cluster: last == 1, Version: uint64(version)}
	if t.Cluster && hold {
		t.Held = broker.Departure{App: k.app, Channel: k.channel, User: user, Token: strconv.FormatInt(version, 10)}
	}
	return t, nil
}

// replace sets node's share of a channel to users (nil reaps it) and
// publishes member_removed for the users that are gone everywhere; it
// returns them, or the error of a share Redis did not take.
func (b *Broker) replace(k chanKey, node string, users map[string]*localMember) ([]string, error) {
	ctx, cancel := b.call(nil)
	defer cancel()
	args := []string{nodeField(node)}
	for id, lm := range users {
		args = append(args, id, string(lm.infoOrNull()), strconv.Itoa(lm.conns))
	}
	gone, err := replaceScript.Exec(ctx, b.client, b.presenceKeys(k), args).AsStrSlice()
	if err != nil {
		return nil, err
	}
	for _, u := range gone {
		_ = b.Publish(ctx, memberRemoved(k, u))
	}
	return gone, nil
}

func (lm *localMember) infoOrNull() []byte {
	if len(lm.info) == 0 {
		return []byte("null")
	}
	return lm.info
}

// memberRemoved is the publication every node turns into
// pusher_internal:member_removed.
func memberRemoved(k chanKey, user string) broker.Publication {
	inner, _ := json.Marshal(map[string]string{"user_id": user})
	data, _ := json.Marshal(string(inner))
	return broker.Publication{App: k.app, Channel: k.channel, Event: "pusher_internal:member_removed", Data: string(data)}
}

// membersOf turns an HGETALL reply of user → info into members sorted by
// id.
func membersOf(hash []string) []broker.Member {
	out := make([]broker.Member, 0, len(hash)/2)
	for i := 0; i+1 < len(hash); i += 2 {
		var info json.RawMessage
		if hash[i+1] != "null" && hash[i+1] != "" {
			info = json.RawMessage(hash[i+1])
		}
		out = append(out, broker.Member{ID: hash[i], Info: info})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func errOr(err error) error {
	if err != nil {
		return err
	}
	return broker.ErrUnavailable
}
