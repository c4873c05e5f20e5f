package shard

// The users table keeps a user's first connection in users, the value
// itself, and only a user with more than one connection on this node has
// an entry in more for the rest. Most users hold one connection, and an
// idle connection is what the tables are sized for: one map slot (the
// user id, which shares the caller's string, and one S, in a map per app)
// instead of a set per user.

// AddUser records that connection s belongs to user k, and reports
// whether it is the user's first connection in the table. The table keeps
// k as given: pass the string the connection itself holds, so that the
// user id is stored once.
func (h *Hub[S]) AddUser(k Key, s S) (first bool) {
	sh := h.shard(k)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	app := sh.users[k.App]
	if app == nil {
		app = make(map[string]S)
		sh.users[k.App] = app
	}
	had, ok := app[k.Name]
	switch {
	case !ok:
		app[k.Name] = s
		return true
	case had != s && indexOf(sh.more[k], s) < 0:
		sh.more[k] = append(sh.more[k], s)
	}
	return false
}

// RemoveUser forgets that s belongs to user k, and reports whether it
// was the user's last connection in the table.
func (h *Hub[S]) RemoveUser(k Key, s S) (gone bool) {
	sh := h.shard(k)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	app := sh.users[k.App]
	first, ok := app[k.Name]
	if !ok {
		return false
	}
	rest := sh.more[k]
	if first == s && len(rest) == 0 {
		delete(app, k.Name)
		if len(app) == 0 {
			delete(sh.users, k.App)
		}
		return true
	}
	last := len(rest) - 1
	switch i := indexOf(rest, s); {
	case first == s:
		app[k.Name] = rest[last]
	case i >= 0:
		rest[i] = rest[last]
	default:
		return false // not a connection of k
	}
	var zero S
	rest[last] = zero // hold no removed connection
	if last == 0 {
		delete(sh.more, k)
	} else {
		sh.more[k] = rest[:last]
	}
	return false
}

// UserConns appends user k's connections to dst.
func (h *Hub[S]) UserConns(k Key, dst []S) []S {
	sh := h.shard(k)
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	if first, ok := sh.users[k.App][k.Name]; ok {
		dst = append(dst, first)
		dst = append(dst, sh.more[k]...)
	}
	return dst
}

func indexOf[S comparable](list []S, s S) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}
