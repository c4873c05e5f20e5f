package redis

import "strings"

// chanKey names one channel of one app.
type chanKey struct{ app, channel string }

// field is the chanKey as a hash field: "app\x00channel".
func (k chanKey) field() string { return k.app + "\x00" + k.channel }

func parseField(f string) (chanKey, bool) {
	app, ch, ok := strings.Cut(f, "\x00")
	return chanKey{app, ch}, ok
}

// presenceKeys are KEYS[1..5] of the presence scripts for a channel:
// connections per user, info per user, connections per node and user,
// the presence version, held departures.
func (b *Broker) presenceKeys(k chanKey) []string {
	tag := b.opts.Prefix + ":p:{" + k.app + "\x00" + k.channel + "}:"
	return []string{tag + "u", tag + "i", tag + "n", tag + "v", tag + "g"}
}

// nodesKey is the sorted set of live nodes scored by expiry (unix ms).
func (b *Broker) nodesKey() string { return b.opts.Prefix + ":nodes" }

// clockErrsKey is the sorted set of nodes scored by their clock error
// (ms, heartbeat.go), in nodesKey's slot (its hash tag is nodesKey's
// whole name). An earlier version kept the errors in a hash named
// "...:clockerr"; the new name keeps the two versions from running
// each other's commands on a key of the other type during an upgrade.
func (b *Broker) clockErrsKey() string { return "{" + b.nodesKey() + "}:clockerrs" }

// subsKey is a node's hash of channel → local subscription count.
func (b *Broker) subsKey(node string) string { return b.opts.Prefix + ":ns:" + node }

// presenceIndexKey is a node's set of channels where it has members.
func (b *Broker) presenceIndexKey(node string) string { return b.opts.Prefix + ":np:" + node }

// nodeField is a node's prefix of "node:user" fields.
func nodeField(node string) string { return node + ":" }

// occupancyKey is the set of nodes with local subscribers of a channel.
func (b *Broker) occupancyKey(k chanKey) string {
	return b.opts.Prefix + ":o:{" + k.app + "\x00" + k.channel + "}"
}

// vacancyKey holds a channel's held vacancy (its token in the field
// vacancyField); it shares the occupancy key's hash tag.
func (b *Broker) vacancyKey(k chanKey) string { return b.occupancyKey(k) + ":g" }

// occupancyIndexKey is a node's set of channels it occupies, so the
// reaper finds them.
func (b *Broker) occupancyIndexKey(node string) string { return b.opts.Prefix + ":no:" + node }
