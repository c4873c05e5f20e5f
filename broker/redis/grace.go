package redis

import (
	"strconv"
	"time"

	"github.com/fanout/fanout/broker"
)

// Held departures (broker.Departure) live next to the state they are
// about, in the channel's hash slot, so one script decides each race:
// the presence keys' "g" hash maps a user to the presence version of its
// held last leave, and a channel's vacancy hash (vacancyKey) holds the
// token of its held vacancy in vacancyField. The leave and vacate scripts
// write them; a first join or occupy anywhere in the cluster takes them
// (the return cancels the departure); settleScript takes one only if it
// still holds the token Settle names, so of a Settle and a return exactly
// one wins, and a Settle never takes a later departure of the same user.

// vacancyField is the field of a channel's held vacancy.
const vacancyField = "vacated"

// heldTTL bounds how long a held departure outlives a node that died
// before settling it. Until then a return of the user or channel still
// cancels it (the backend heard of neither); afterwards the return is
// news again. It is far longer than any grace (config caps it at a
// minute).
const heldTTL = 10 * time.Minute

// holdTTL is the scripts' hold argument: the TTL in ms, "0" for none.
func holdTTL(hold bool) string {
	if !hold {
		return "0"
	}
	return strconv.FormatInt(heldTTL.Milliseconds(), 10)
}

// vacancyToken names one held vacancy of this node, unique in the
// cluster: the node id and a counter.
func (b *Broker) vacancyToken() string {
	return b.opts.NodeID + ":" + strconv.FormatUint(b.dir.vacancies.Add(1), 10)
}

// Settle implements broker.Directory: one script call, on the caller's
// goroutine, bounded by Options.Timeout, then the kept entry goes
// (kept.go). While Redis fails it answers true, this node's view.
func (b *Broker) Settle(d broker.Departure) bool {
	n := b.settleHeld(d)
	if n >= 0 {
		b.forget(d)
	}
	return n != 0
}

// settleHeld runs settleScript for d: 1 when d was still held (and is
// now settled), 0 when a return or a later departure took it, -1 when
// Redis failed.
func (b *Broker) settleHeld(d broker.Departure) int64 {
	k := chanKey{d.App, d.Channel}
	key, field := b.vacancyKey(k), vacancyField
	if d.User != "" {
		key, field = b.presenceKeys(k)[4], d.User
	}
	ctx, cancel := b.call(nil)
	defer cancel()
	n, err := settleScript.Exec(ctx, b.client, []string{key}, []string{field, d.Token}).AsInt64()
	if err != nil {
		return -1
	}
	return n
}
