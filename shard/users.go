package shard

// AddUser records that connection s belongs to user k.
func (h *Hub[S]) AddUser(k Key, s S) {
	sh := h.shard(k)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	set := sh.users[k]
	if set == nil {
		set = make(map[S]struct{}, 1)
		sh.users[k] = set
	}
	set[s] = struct{}{}
}

// RemoveUser forgets that s belongs to user k.
func (h *Hub[S]) RemoveUser(k Key, s S) {
	sh := h.shard(k)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	set := sh.users[k]
	delete(set, s)
	if len(set) == 0 {
		delete(sh.users, k)
	}
}

// UserConns appends user k's connections to dst.
func (h *Hub[S]) UserConns(k Key, dst []S) []S {
	sh := h.shard(k)
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	for s := range sh.users[k] {
		dst = append(dst, s)
	}
	return dst
}
