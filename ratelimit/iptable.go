package ratelimit

import (
	"net/netip"
	"sync"
	"time"
)

// IPOptions configure an IPTable. The zero value of each field means the
// default given on it; a negative value turns that limit off.
type IPOptions struct {
	// MaxConns is how many connections one address may hold open at
	// once; 0 means 10,000.
	MaxConns int
	// Rate is how many upgrades (and event-stream opens) one address may
	// start a second, sustained; 0 means 200.
	Rate float64
	// Burst is how many it may start at once after a quiet spell; 0
	// means twice Rate.
	Burst int
	// MaxEntries bounds the addresses tracked at once; 0 (and anything
	// above 65,535) means 65,535.
	MaxEntries int
	// Exempt are addresses never limited; nil means DefaultExempt, an
	// empty slice none.
	Exempt []netip.Prefix
}

// DefaultExempt returns the addresses exempt by default: loopback and
// the private ranges (RFC 1918 section 3, RFC 4193 unique local IPv6),
// where the reverse proxies, load balancers and health checkers in front
// of a node connect from. Behind one, every client would otherwise count
// as that one address; name the proxies as trusted (Proxies) to limit
// the clients themselves.
func DefaultExempt() []netip.Prefix {
	var p []netip.Prefix
	for _, s := range []string{"127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"} {
		p = append(p, netip.MustParsePrefix(s))
	}
	return p
}

// The defaults of IPOptions.
const (
	DefaultMaxConnsPerIP = 10_000
	DefaultUpgradeRate   = 200
	maxSlots             = 1<<16 - 1
)

func (o IPOptions) withDefaults() IPOptions {
	if o.MaxConns == 0 {
		o.MaxConns = DefaultMaxConnsPerIP
	}
	if o.Rate == 0 {
		o.Rate = DefaultUpgradeRate
	}
	if o.Burst <= 0 {
		o.Burst = max(1, int(2*o.Rate))
	}
	if o.MaxEntries <= 0 || o.MaxEntries > maxSlots {
		o.MaxEntries = maxSlots
	}
	if o.Exempt == nil {
		o.Exempt = DefaultExempt()
	}
	return o
}

// Slot is a connection's handle on its address's entry, to Release when
// it closes; 0 means untracked (nothing to release).
type Slot uint16

// Refusal says why Acquire refused an address; None when it did not.
type Refusal uint8

// The refusals of Acquire.
const (
	None        Refusal = iota
	Connections         // the address holds MaxConns connections
	UpgradeRate         // the address started Burst upgrades faster than Rate allows
)

// IPTable counts each source address's open connections and paces its
// upgrades (see the package comment).
type IPTable struct {
	o    IPOptions
	rate float64 // upgrades per ns; 0 when off

	mu   sync.Mutex
	idx  map[netip.Addr]Slot
	ents []ipEntry // ents[0] unused: Slot 0 is untracked
	free []Slot
	hand int // next entry the idle sweep looks at
	// fullAt is when a full table was last swept whole (unix ns): at
	// most one such pass per fullSweepEvery, so that a flood of new
	// addresses into a table full of live ones costs O(1) each.
	fullAt int64
}

const fullSweepEvery = int64(100 * time.Millisecond)

// ipEntry is one address: 40 bytes, plus its index entry.
type ipEntry struct {
	addr   netip.Addr
	conns  int32
	tokens float32
	last   int64 // unix ns of the bucket's last refill; 0: slot free
}

// NewIPTable returns an empty table; nil when both limits are off.
func NewIPTable(o IPOptions) *IPTable {
	o = o.withDefaults()
	if o.MaxConns < 0 && o.Rate < 0 {
		return nil
	}
	t := &IPTable{o: o, idx: map[netip.Addr]Slot{}, ents: make([]ipEntry, 1, 64)}
	if o.Rate > 0 {
		t.rate = o.Rate / 1e9
	}
	return t
}

// Acquire admits one connection from addr at now (unix ns): it counts it
// and returns its Slot, or refuses it (Connections or UpgradeRate) with
// how long the client should wait. An address the full table cannot
// track, and an exempt one, is admitted untracked (Slot 0).
func (t *IPTable) Acquire(addr netip.Addr, now int64) (Slot, Refusal, time.Duration) {
	addr = addr.Unmap()
	for _, p := range t.o.Exempt {
		if p.Contains(addr) {
			return 0, None, 0
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sweep(now, 2)
	s, ok := t.idx[addr]
	if !ok {
		if s = t.insert(addr, now); s == 0 {
			return 0, None, 0
		}
	}
	e := &t.ents[s]
	if t.o.MaxConns > 0 && int(e.conns) >= t.o.MaxConns {
		return 0, Connections, time.Second
	}
	if t.rate > 0 {
		if ok, wait := take(&e.tokens, &e.last, now, t.rate, float64(t.o.Burst)); !ok {
			return 0, UpgradeRate, wait
		}
	} else {
		e.last = now
	}
	e.conns++
	return s, None, 0
}

// Release forgets one connection counted by Acquire's Slot s.
func (t *IPTable) Release(s Slot) {
	if s == 0 {
		return
	}
	t.mu.Lock()
	if int(s) < len(t.ents) && t.ents[s].conns > 0 {
		t.ents[s].conns--
	}
	t.mu.Unlock()
}

// Len returns the number of addresses tracked.
func (t *IPTable) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.idx)
}

// Conns returns the connections counted for addr.
func (t *IPTable) Conns(addr netip.Addr) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	if s, ok := t.idx[addr.Unmap()]; ok {
		return int(t.ents[s].conns)
	}
	return 0
}

// insert gives addr a slot with a full bucket; 0 when the table is full
// of addresses with connections.
func (t *IPTable) insert(addr netip.Addr, now int64) Slot {
	if len(t.idx) >= t.o.MaxEntries {
		if now-t.fullAt < fullSweepEvery {
			return 0
		}
		t.fullAt = now
		t.sweep(now, len(t.ents)) // a full pass: frees every idle entry
		if len(t.idx) >= t.o.MaxEntries {
			return 0
		}
	}
	var s Slot
	if n := len(t.free); n > 0 {
		s, t.free = t.free[n-1], t.free[:n-1]
	} else {
		t.ents = append(t.ents, ipEntry{})
		s = Slot(len(t.ents) - 1)
	}
	t.ents[s] = ipEntry{addr: addr, tokens: float32(t.o.Burst), last: now}
	t.idx[addr] = s
	return s
}

// sweep looks at n entries from the hand on and frees those that are
// idle: no connection, and a bucket full again (so forgetting it changes
// nothing). Two entries per Acquire keep a table with steady traffic
// from holding idle addresses for long.
func (t *IPTable) sweep(now int64, n int) {
	for ; n > 0 && len(t.ents) > 1; n-- {
		if t.hand <= 0 || t.hand >= len(t.ents) {
			t.hand = 1
		}
		e := &t.ents[t.hand]
		if e.last != 0 && e.conns == 0 && t.refilled(e, now) {
			delete(t.idx, e.addr)
			*e = ipEntry{}
			t.free = append(t.free, Slot(t.hand))
		}
		t.hand++
	}
}

func (t *IPTable) refilled(e *ipEntry, now int64) bool {
	return t.rate == 0 || float64(e.tokens)+float64(now-e.last)*t.rate >= float64(t.o.Burst)
}
