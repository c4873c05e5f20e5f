package redis

import (
	"crypto/rand"
	"encoding/hex"
)

// channelName is the Redis channel of one fanout channel. Pusher channel
// names never hold ':', so the last ':' always separates app and channel.
// It is cut out of the channel's listener set key (listenersOf), so the
// two never disagree.
func (b *Broker) channelName(app, channel string) string {
	return channelOfListeners(b.listenersOf(app, channel))
}

// controlName is the Redis channel of cluster-wide commands.
func (b *Broker) controlName() string { return b.opts.Prefix + ":ctl" }

func randomID() string {
	var r [8]byte
	_, _ = rand.Read(r[:])
	return hex.EncodeToString(r[:])
}

// aliveName is the Redis channel a node's pub/sub connection subscribes
// for the node's whole life; nothing is published on it. Its subscriber
// count (PUBSUB NUMSUB, SHARDNUMSUB in a cluster) tells the other nodes
// whether Redis still holds that connection: see crashed.go.
func (b *Broker) aliveName(node string) string { return b.opts.Prefix + ":alive:" + node }
