package redis

import (
	"sync"
	"time"
)

// A node that reaps another (removeNode) takes it out of the listener
// set of each of its channels. A publication the listener check refused
// just before that, because the reaped node was listed but not
// subscribed, is explained just after it (explain.go): the lookup then
// finds every listed node well and could not name the node that held
// the channel up. So the reaping node remembers, for reapedRemember, which
// listener sets it took which node out of, and the lookup names that
// node. A node reaped by another node is not known here; its refusals
// are explained without a name, as any set whose nodes all look well.

// reapedRemember is how long a reaped node's listener sets are
// remembered: a refusal is explained within two call timeouts of its
// publication, and a reap takes a few round trips.
const reapedRemember = 10 * time.Second

// reapedMax bounds the listener sets remembered; past it a reap is not
// remembered (its refusals are explained without a name).
const reapedMax = 1 << 16

// reapedSets remembers, per listener set key, the node last reaped from
// it here and when.
type reapedSets struct {
	mu sync.Mutex
	m  map[string]reapedFrom
}

type reapedFrom struct {
	node, why string
	at        time.Time
}

// record notes that node (reaped for why) is being taken out of the
// listener sets lkeys at now, forgetting what is older than
// reapedRemember.
func (r *reapedSets) record(node, why string, lkeys []string, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, f := range r.m {
		if now.Sub(f.at) > reapedRemember {
			delete(r.m, k)
		}
	}
	if len(r.m)+len(lkeys) > reapedMax {
		return
	}
	if r.m == nil {
		r.m = make(map[string]reapedFrom, len(lkeys))
	}
	for _, k := range lkeys {
		r.m[k] = reapedFrom{node: node, why: why, at: now}
	}
}

// of returns the node reaped here from the listener set lkey within
// reapedRemember of now, if any.
func (r *reapedSets) of(lkey string, now time.Time) (reapedFrom, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f, ok := r.m[lkey]
	return f, ok && now.Sub(f.at) <= reapedRemember
}
