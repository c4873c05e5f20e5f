package console

import (
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fanout/fanout/broker"
	"github.com/fanout/fanout/pusher"
)

// tailBuffer is each watcher's bound: items waiting for its stream.
const tailBuffer = 256

// maxTailData bounds the data shown per event; longer data is cut.
const maxTailData = 2048

// Item is one line of the tail: an event delivered on a watched channel
// ("event"), a connection's step ("connected", "subscribed", ...), or a
// webhook handed to the sender ("webhook").
type Item struct {
	Kind      string `json:"kind"`
	Time      int64  `json:"time"` // unix milliseconds
	App       string `json:"app"`
	Channel   string `json:"channel,omitempty"`
	Event     string `json:"event,omitempty"`
	Data      string `json:"data,omitempty"`
	Truncated bool   `json:"truncated,omitempty"`
	SocketID  string `json:"socket_id,omitempty"`
	User      string `json:"user,omitempty"`
	Transport string `json:"transport,omitempty"`
	Code      int    `json:"code,omitempty"`
	By        string `json:"by,omitempty"`
	Cause     string `json:"cause,omitempty"`
}

// watcher is one stream's interest: a channel's events, the connection
// log, or both.
type watcher struct {
	app, channel string // channel "" watches no channel
	log          bool
	rate         int64
	items        chan Item
	win          atomic.Int64 // the unix second count belongs to
	count        atomic.Int64
	sampled      atomic.Int64 // over the rate, not forwarded
	dropped      atomic.Int64 // buffer full, not forwarded
}

// admit counts one item against the rate of window sec (the feed's
// seconds): false, counted as sampled out, when over it.
func (w *watcher) admit(sec int64) bool {
	if w.win.Load() != sec {
		w.win.Store(sec)
		w.count.Store(0)
	}
	if w.count.Add(1) > w.rate {
		w.sampled.Add(1)
		return false
	}
	return true
}

// offer hands an admitted item on without waiting: with the buffer full
// it is dropped and counted.
func (w *watcher) offer(it Item) {
	select {
	case w.items <- it:
	default:
		w.dropped.Add(1)
	}
}

// Feed is the console's pusher.Tap: it fans the node's traffic out to
// the watching streams. It is installed on the backend only while at
// least one stream watches.
type Feed struct {
	backend interface{ SetTap(pusher.Tap) }
	rate    int
	now     func() time.Time
	// second is the rate window: the console's sampler advances it once
	// per sample, so that an event over the rate costs no clock read.
	second atomic.Int64

	mu       sync.Mutex // orders watch and unwatch
	watchers atomic.Pointer[[]*watcher]
}

func newFeed(b interface{ SetTap(pusher.Tap) }, rate int, now func() time.Time) *Feed {
	return &Feed{backend: b, rate: rate, now: now}
}

// maxWatchers bounds the streams tailing at once (each costs the
// delivery workers a comparison per event).
const maxWatchers = 64

// watch adds a watcher, nil when maxWatchers already watch; the first
// one installs the tap.
func (f *Feed) watch(app, channel string, log bool) *watcher {
	w := &watcher{app: app, channel: channel, log: log, rate: int64(f.rate), items: make(chan Item, tailBuffer)}
	f.mu.Lock()
	defer f.mu.Unlock()
	var cur []*watcher
	if p := f.watchers.Load(); p != nil {
		cur = *p
	}
	if len(cur) >= maxWatchers {
		return nil
	}
	next := append(append([]*watcher(nil), cur...), w)
	f.watchers.Store(&next)
	if len(cur) == 0 {
		f.backend.SetTap(f)
	}
	return w
}

// unwatch removes w; the last one removes the tap.
func (f *Feed) unwatch(w *watcher) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var next []*watcher
	if p := f.watchers.Load(); p != nil {
		for _, x := range *p {
			if x != w {
				next = append(next, x)
			}
		}
	}
	if len(next) == 0 {
		f.backend.SetTap(nil)
		f.watchers.Store(nil)
		return
	}
	f.watchers.Store(&next)
}

// Watching reports whether any stream watches: one atomic load.
func (f *Feed) Watching() bool { return f.watchers.Load() != nil }

func (f *Feed) list() []*watcher {
	if p := f.watchers.Load(); p != nil {
		return *p
	}
	return nil
}

// tick starts the next rate window (once per sample).
func (f *Feed) tick() { f.second.Add(1) }

// Delivered implements pusher.Tap.
func (f *Feed) Delivered(p *broker.Publication) {
	for _, w := range f.list() {
		if w.channel != p.Channel || w.app != p.App || !w.admit(f.second.Load()) {
			continue
		}
		data, cut := clip(p.Data)
		w.offer(Item{Kind: "event", Time: f.now().UnixMilli(), App: p.App, Channel: p.Channel, Event: p.Event,
			Data: data, Truncated: cut, SocketID: p.SocketID, User: p.UserID})
	}
}

// Conn implements pusher.Tap.
func (f *Feed) Conn(e pusher.ConnEvent) {
	f.logItem(Item{Kind: e.Kind, App: e.App, Channel: e.Channel, Event: e.Event, SocketID: e.SocketID, User: e.User,
		Transport: e.Transport, Code: e.Code, By: e.By, Cause: e.Cause})
}

// Webhook logs a webhook handed to an app's sender (name is the Pusher
// webhook event: channel_occupied, member_added, client_event, ...).
func (f *Feed) Webhook(e pusher.WebhookEvent, app string) {
	if !f.Watching() {
		return
	}
	f.logItem(Item{Kind: "webhook", App: app, Channel: e.Channel, Event: e.Name, User: e.UserID, SocketID: e.SocketID})
}

func (f *Feed) logItem(it Item) {
	for _, w := range f.list() {
		if !w.log || (w.app != "" && w.app != it.App) || !w.admit(f.second.Load()) {
			continue
		}
		if it.Time == 0 {
			it.Time = f.now().UnixMilli()
		}
		w.offer(it)
	}
}

// clip cuts data to maxTailData bytes (copied, so the event's memory is
// not kept) at a rune boundary.
func clip(s string) (string, bool) {
	if len(s) <= maxTailData {
		return s, false
	}
	n := maxTailData
	for n > 0 && !isRuneStart(s[n]) {
		n--
	}
	return strings.Clone(s[:n]), true
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
