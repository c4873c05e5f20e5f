package pusher

import (
	"context"
	"encoding/json"
	"hash/maphash"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fanout/fanout/broker"
	"github.com/fanout/fanout/protocol"
	"github.com/fanout/fanout/shard"
)

// Watchlist events, as Pusher documents them
// (https://pusher.com/docs/channels/using_channels/watchlist-events/):
// a user signs in with a "watchlist" of user ids in its user_data; the
// connection then gets pusher_internal:watchlist_events with data
// {"events":[{"name":"online"|"offline","user_ids":[...]}]}: at once for
// the watched users online at sign-in, later when a watched user's first
// connection opens anywhere in the cluster (online) and when its last
// one closes (offline). pusher-js emits each entry on
// pusher.user.watchlist by its name.
//
// A user is online while it has at least one connection whose user is
// known, by sign-in or by the upgrade's token. For apps with
// App.WatchlistEvents on, each node reports its first and last
// connection of a user to the directory as the occupancy of an internal
// channel "#online-<user id>" (so Redis's occupancy sets, their resync
// after an outage and the reaping of a dead node's entries serve users
// too), under a lock per user that keeps the reports in the order of the
// node's own table. The directory's answer (the cluster's first or last)
// is published to the internal channel "#watchlist-<user id>", to which a
// node subscribes through the broker while one of its connections
// watches that user; such publications are taken out of the delivery
// path (Offer) and written to the local watchers.
//
// The sign-in's snapshot is read once every node listens for the watched
// users' changes; changes that arrive before it is sent are held and
// sent after it, in order (see watcher). Limits: at most 100 watched ids
// (Pusher's limit), else the sign-in is refused. A node that crashes
// takes its users offline when Redis forgets it (redis.node_ttl).

// MaxWatchlist is Pusher's limit on the user ids of one watchlist.
const MaxWatchlist = 100

// The internal channels of watchlist events; clients cannot name them
// ('#' is outside the channel-name alphabet).
const (
	onlinePrefix    = "#online-"
	watchlistPrefix = "#watchlist-"
)

const watchlistEvent = "pusher_internal:watchlist_events"

// watchlists is the node's table of watchers, any goroutine.
type watchlists struct {
	mu       sync.Mutex
	byConn   map[*conn]*watcher               // each watching connection
	watchers map[shard.Key]map[*conn]*watcher // (app, watched id) → local watchers
	seed     maphash.Seed
	users    [64]sync.Mutex // per user: its table change and its report, in order
}

// watcher is one connection's watchlist. Changes that arrive before its
// snapshot is sent are held and sent right after it, in order, so the
// last word on each user is the newest. A change that says what the
// client was last told of that user (by the snapshot, or a change) is
// older than the snapshot, or crossed it on its way, and is left out:
// a user's real changes alternate, so the client is never told twice.
type watcher struct {
	ids   []string
	mu    sync.Mutex // orders this connection's watchlist frames
	ready bool       // the snapshot went out: changes are written at once
	held  []watchChange
	// told is what the client was last told of each watched user (true:
	// online), from the snapshot on; nil when the snapshot could not be
	// read, and then every change is sent.
	told map[string]bool
}

// watchChange is one watched user's change, held for a watcher or sent.
type watchChange struct {
	id     string
	online bool
	frame  []byte
}

// maxHeld bounds the changes held for one watcher before its snapshot
// (a window of a Redis round trip); beyond it they are dropped and
// counted as refused member events.
const maxHeld = 1024

// watchlistError says why user_data's watchlist is refused ("" when it
// is fine or the app has no watchlist events), and its ids.
func watchlistOf(a *App, userData string) ([]string, string) {
	if !a.WatchlistEvents {
		return nil, ""
	}
	var u struct {
		Watchlist []json.RawMessage `json:"watchlist"`
	}
	if json.Unmarshal([]byte(userData), &u) != nil {
		return nil, "" // the id check answers bad user_data
	}
	if len(u.Watchlist) > MaxWatchlist {
		return nil, "signin: watchlist has " + strconv.Itoa(len(u.Watchlist)) + " user ids, over the limit of " +
			strconv.Itoa(MaxWatchlist)
	}
	ids := make([]string, 0, len(u.Watchlist))
	for _, raw := range u.Watchlist {
		id := protocol.UserIDString(raw)
		if id == "" {
			return nil, "signin: watchlist entries must be user ids (strings or numbers)"
		}
		ids = append(ids, id)
	}
	return ids, ""
}

// addUser records c as a connection of user id; for apps with watchlist
// events, the node's first connection of the user is reported to the
// directory, whose answer may make the user online.
func (s *Server) addUser(c *conn, id string) {
	k := shard.Key{App: c.app.ID, Name: id}
	if !c.app.WatchlistEvents { // the common path: no closures made
		s.hub.AddUser(k, c)
		return
	}
	s.changeUser(c, k, s.hub.AddUser, func(app, channel string, done func(bool)) {
		s.dir.OccupyChannel(app, channel, func(t broker.Transition) { done(t.Cluster) })
	}, "online")
}

// removeUser undoes addUser; the node's last connection of the user is
// reported, and the directory's answer may make the user offline.
func (s *Server) removeUser(c *conn, id string) {
	k := shard.Key{App: c.app.ID, Name: id}
	if !c.app.WatchlistEvents {
		s.hub.RemoveUser(k, c)
		return
	}
	s.changeUser(c, k, s.hub.RemoveUser, func(app, channel string, done func(bool)) {
		// No grace: offline is news at once, as Pusher sends it.
		s.dir.VacateChannel(app, channel, false, func(t broker.Transition) { done(t.Cluster) })
	}, "offline")
}

// changeUser applies change (the hub's AddUser or RemoveUser) and, when it
// is the node's first or last connection of the user, reports it to the
// directory (OccupyChannel or VacateChannel of the user's #online-
// channel) under the user's lock; the cluster's transition is published
// as event.
func (s *Server) changeUser(c *conn, k shard.Key, change func(shard.Key, *conn) bool,
	report func(app, channel string, done func(bool)), event string) {
	mu := s.userLock(k)
	mu.Lock()
	defer mu.Unlock()
	if change(k, c) {
		report(k.App, onlinePrefix+k.Name, func(cluster bool) {
			if cluster {
				s.publishWatch(k.App, k.Name, event)
			}
		})
	}
}

func (s *Server) userLock(k shard.Key) *sync.Mutex {
	w := &s.watchers
	h := maphash.String(w.seed, k.App+"\x00"+k.Name)
	return &w.users[h%uint64(len(w.users))]
}

// publishWatch tells every node's watchers of user id that it went
// online or offline. It never waits: a full outbox drops the event and
// counts it as a refused member event.
func (s *Server) publishWatch(app, id, name string) {
	p := broker.Publication{App: app, Channel: watchlistPrefix + id, Event: watchlistEvent,
		Data: protocol.StringData(watchlistData(name, []string{id}))}
	if s.publishFromLoop(p) != nil {
		s.opts.Metrics.Refused(RefusedMemberEvent)
	}
}

// watchlistData is {"events":[{"name":name,"user_ids":ids}]}.
func watchlistData(name string, ids []string) []byte {
	b := append([]byte(`{"events":[{"name":`), protocol.AppendJSONString(nil, name)...)
	b = append(b, `,"user_ids":[`...)
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = protocol.AppendJSONString(b, id)
	}
	return append(b, "]}]}"...)
}

// isWatchlist says whether a publication is a watchlist change, which
// Offer hands to watchlistArrived instead of the delivery engine.
func isWatchlist(channel string) bool {
	return len(channel) > 0 && channel[0] == '#' && strings.HasPrefix(channel, watchlistPrefix)
}

// watchlistArrived writes a watchlist change to this node's watchers of
// its user: one frame, shared. Any goroutine.
func (s *Server) watchlistArrived(p broker.Publication) {
	k := shard.Key{App: p.App, Name: p.Channel[len(watchlistPrefix):]}
	w := &s.watchers
	type target struct {
		c  *conn
		wt *watcher
	}
	w.mu.Lock()
	ts := make([]target, 0, len(w.watchers[k]))
	for c, wt := range w.watchers[k] {
		ts = append(ts, target{c, wt})
	}
	w.mu.Unlock()
	if len(ts) == 0 {
		return
	}
	f := eventFrame(watchlistEvent, "", p.Data, "")
	h := watchChange{id: k.Name, online: onlineChange(p.Data), frame: f}
	for _, t := range ts {
		t.wt.mu.Lock()
		switch {
		case t.wt.ready:
			if t.wt.news(h) {
				s.send(t.c, f)
			}
		case len(t.wt.held) < maxHeld:
			t.wt.held = append(t.wt.held, h)
		default:
			s.opts.Metrics.Refused(RefusedMemberEvent)
		}
		t.wt.mu.Unlock()
	}
}

// watch makes c the watcher of ids (replacing what it watched before),
// then sends it the ones online now once every node listens for their
// changes.
func (s *Server) watch(c *conn, ids []string) {
	s.unwatch(c)
	if len(ids) == 0 {
		return
	}
	a := c.app
	w := &s.watchers
	wt := &watcher{ids: ids}
	w.mu.Lock()
	if w.byConn == nil {
		w.byConn = map[*conn]*watcher{}
		w.watchers = map[shard.Key]map[*conn]*watcher{}
	}
	w.byConn[c] = wt
	var listen []string
	for _, id := range ids {
		k := shard.Key{App: a.ID, Name: id}
		set := w.watchers[k]
		if set == nil {
			set = map[*conn]*watcher{}
			w.watchers[k] = set
			listen = append(listen, watchlistPrefix+id)
		}
		set[c] = wt
	}
	w.mu.Unlock()
	for _, ch := range listen {
		s.opts.Broker.Subscribe(a.ID, ch)
	}
	var mu sync.Mutex
	left := len(ids)
	for _, id := range ids {
		s.whenListening(a.ID, watchlistPrefix+id, func() {
			mu.Lock()
			left--
			done := left == 0
			mu.Unlock()
			if done && s.work.Submit(func() { s.sendOnline(c, wt) }) != nil {
				s.opts.Metrics.Refused(RefusedMemberEvent)
				wt.release(s, c, nil, nil, false)
			}
		})
	}
}

// unwatch forgets c's watchlist; the node stops listening for users no
// local connection watches any more.
func (s *Server) unwatch(c *conn) {
	w := &s.watchers
	w.mu.Lock()
	wt, ok := w.byConn[c]
	if !ok {
		w.mu.Unlock()
		return
	}
	delete(w.byConn, c)
	var quiet []string
	for _, id := range wt.ids {
		k := shard.Key{App: c.app.ID, Name: id}
		delete(w.watchers[k], c)
		if len(w.watchers[k]) == 0 {
			delete(w.watchers, k)
			quiet = append(quiet, watchlistPrefix+id)
		}
	}
	w.mu.Unlock()
	for _, ch := range quiet {
		s.opts.Broker.Unsubscribe(c.app.ID, ch)
	}
}

// watchSnapshotWait bounds the read of who is online at sign-in.
const watchSnapshotWait = 2 * time.Second

// sendOnline sends c the users of its watchlist online now (nothing when
// none is), then the changes held meanwhile. Pool goroutine.
func (s *Server) sendOnline(c *conn, wt *watcher) {
	s.watchers.mu.Lock()
	current := s.watchers.byConn[c] == wt
	s.watchers.mu.Unlock()
	if !current { // closed, or signed in again with another watchlist
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), watchSnapshotWait)
	defer cancel()
	var snapshot []byte
	online := s.onlineOf(ctx, c.app.ID, wt.ids)
	if len(online) > 0 {
		snapshot = eventFrame(watchlistEvent, "", protocol.StringData(watchlistData("online", online)), "")
	}
	wt.release(s, c, snapshot, online, true)
}

// release sends the snapshot (when not nil) and the held changes that
// are news, and lets later changes through at once. With known, online
// is who the snapshot says is online; without, every change is sent.
func (wt *watcher) release(s *Server, c *conn, snapshot []byte, online []string, known bool) {
	wt.mu.Lock()
	defer wt.mu.Unlock()
	if known {
		wt.told = make(map[string]bool, len(wt.ids))
		for _, id := range wt.ids {
			wt.told[id] = slices.Contains(online, id)
		}
	}
	if snapshot != nil {
		s.send(c, snapshot)
	}
	for _, h := range wt.held {
		if wt.news(h) {
			s.send(c, h.frame)
		}
	}
	wt.held, wt.ready = nil, true
}

// news reports whether h changes what the client was last told of its
// user, and records it; wt.mu is held.
func (wt *watcher) news(h watchChange) bool {
	if wt.told == nil {
		return true
	}
	if was, ok := wt.told[h.id]; ok && was == h.online {
		return false
	}
	wt.told[h.id] = h.online
	return true
}

// onlineChange reports whether data, a watchlist publication's data (a
// JSON string holding watchlistData's text), announces online.
func onlineChange(data string) bool {
	var text string
	return json.Unmarshal([]byte(data), &text) == nil && strings.HasPrefix(text, `{"events":[{"name":"online"`)
}

// onlineOf is the users of ids online on some node: the directory's
// occupancy of their #online- channels where it keeps one (Redis), else
// this node's table.
func (s *Server) onlineOf(ctx context.Context, app string, ids []string) []string {
	var online []string
	if r, ok := s.dir.(broker.OccupancyReader); ok {
		chans := make([]string, len(ids))
		for i, id := range ids {
			chans[i] = onlinePrefix + id
		}
		if occ, err := r.Occupied(ctx, app, chans); err == nil {
			for i, id := range ids {
				if occ[i] {
					online = append(online, id)
				}
			}
			return online
		}
		// Redis unreachable: this node's view, as the directory answers.
	}
	var buf []*conn
	for _, id := range ids {
		if buf = s.hub.UserConns(shard.Key{App: app, Name: id}, buf[:0]); len(buf) > 0 {
			online = append(online, id)
		}
	}
	return online
}

// userReaped handles the reaping of a dead node's #online- entry: the
// user's last connections were there (ChannelReaped). It reports
// whether channel was such an entry.
func (s *Server) userReaped(app, channel string) bool {
	id, ok := strings.CutPrefix(channel, onlinePrefix)
	if ok {
		s.publishWatch(app, id, "offline")
	}
	return ok
}
