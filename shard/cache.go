package shard

import "time"

// cached is a cache channel's last event, or, with a nil payload, the
// mark of a recent miss (see CacheOrMiss).
type cached struct {
	payload []byte
	expires int64 // unix nanoseconds
}

// SetCache remembers the last event of cache channel k until now+ttl.
// payload is kept, not copied.
func (h *Hub[S]) SetCache(k Key, payload []byte, now time.Time, ttl time.Duration) {
	sh := h.shard(k)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	sh.cache[k] = cached{payload: payload, expires: now.Add(ttl).UnixNano()}
}

// CacheOrMiss returns the last event of cache channel k, or nil when
// there is none or it expired. Then it reports whether this is the first
// miss of k within every, and remembers the miss for that long, so that a
// burst of subscribers to an empty cache channel is told of once (the
// cache_miss webhook), not once each. SetCache replaces the mark.
func (h *Hub[S]) CacheOrMiss(k Key, now time.Time, every time.Duration) (payload []byte, first bool) {
	sh := h.shard(k)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	t := now.UnixNano()
	if c, ok := sh.cache[k]; ok && t < c.expires {
		return c.payload, false
	}
	sh.cache[k] = cached{expires: t + int64(every)}
	return nil, true
}

// PurgeCache drops expired cache entries; call it now and then.
func (h *Hub[S]) PurgeCache(now time.Time) {
	t := now.UnixNano()
	for i := range h.shards {
		sh := &h.shards[i]
		sh.mu.Lock()
		for k, c := range sh.cache {
			if t >= c.expires {
				delete(sh.cache, k)
			}
		}
		sh.mu.Unlock()
	}
}
