package shard

import "time"

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

// Cache returns the last event of cache channel k, or nil when there is
// none or it expired.
func (h *Hub[S]) Cache(k Key, now time.Time) []byte {
	sh := h.shard(k)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	c, ok := sh.cache[k]
	if !ok {
		return nil
	}
	if now.UnixNano() >= c.expires {
		delete(sh.cache, k)
		return nil
	}
	return c.payload
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
