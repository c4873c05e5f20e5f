package redis

import (
	"log/slog"
	"sync"
	"time"
)

// refusalLog sums up refused publications, so that a crashed node's
// channels, or a Redis outage, cost a few log lines rather than one per
// publish: the first refusal of a kind (its message and the node it
// names) is logged at once, later ones are counted and logged as one
// line per kind every refusalLogEvery while they go on.
type refusalLog struct {
	logger *slog.Logger

	mu    sync.Mutex
	open  map[refusalKey]*refusalSum
	timer *time.Timer // flushes open; nil while nothing is open
}

type refusalKey struct{ what, node string }

// refusalSum counts one kind's refusals since its last line.
type refusalSum struct {
	count    int
	channels map[string]struct{} // at most refusalChannelsMax
	last     string              // the latest channel
	detail   string              // the latest detail
}

const (
	refusalLogEvery    = 5 * time.Second
	refusalChannelsMax = 1000
)

// add counts one refusal of what (the log message), held up by node
// ("" when none is named), of channel ("" when none), with detail (the
// reason as the caller was told, or an error).
func (l *refusalLog) add(what, node, channel, detail string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	k := refusalKey{what, node}
	if s := l.open[k]; s != nil {
		s.count++
		if len(s.channels) < refusalChannelsMax {
			s.channels[channel] = struct{}{}
		}
		s.last, s.detail = channel, detail
		return
	}
	if l.open == nil {
		l.open = map[refusalKey]*refusalSum{}
	}
	l.open[k] = &refusalSum{channels: map[string]struct{}{}}
	l.logger.Warn(what, attrs(node, channel, detail, slog.Duration("then_summed_every", refusalLogEvery))...)
	if l.timer == nil {
		l.timer = time.AfterFunc(refusalLogEvery, l.flush)
	}
}

// flush logs one line per kind refused since the last flush, and forgets
// the kinds that were not.
func (l *refusalLog) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for k, s := range l.open {
		if s.count == 0 {
			delete(l.open, k)
			continue
		}
		l.logger.Warn(k.what, attrs(k.node, s.last, s.detail,
			slog.Int("refused", s.count), slog.Int("channels", len(s.channels)), slog.Duration("in", refusalLogEvery))...)
		s.count = 0
		clear(s.channels)
	}
	if len(l.open) == 0 {
		l.timer = nil
		return
	}
	l.timer.Reset(refusalLogEvery)
}

// attrs are a refusal line's attributes, without the empty ones.
func attrs(node, channel, detail string, more ...any) []any {
	var a []any
	if node != "" {
		a = append(a, slog.String("node", node))
	}
	if channel != "" {
		a = append(a, slog.String("channel", channel))
	}
	a = append(a, more...)
	if detail != "" {
		a = append(a, slog.String("detail", detail))
	}
	return a
}

// holdUpCache keeps the holdUp last found per listener set key, so a
// burst of refusals of one channel asks Redis once per holdUpFresh.
type holdUpCache struct {
	mu sync.Mutex
	m  map[string]holdUp // at most holdUpCacheMax; emptied when full
}

const holdUpCacheMax = 1024

// get returns the holdUp found for key within holdUpFresh; a suspect
// one (see suspect) is not found yet.
func (c *holdUpCache) get(key string) (holdUp, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	h, ok := c.m[key]
	if !ok || h.suspect || time.Since(h.at) > holdUpFresh {
		return holdUp{}, false
	}
	return h, true
}

// suspect marks key's channel as held up from now until its holdUp is
// found (put) or until, whichever comes first, unless a holdUp found
// for it is fresh: publications to it then run as the script while the
// refusal that made it suspect is explained (anyHeldUp), rather than as
// plain commands a listening node may miss again.
func (c *holdUpCache) suspect(key string, now, until time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if h, ok := c.m[key]; ok && !h.suspect && now.Sub(h.at) <= holdUpFresh {
		return
	}
	if c.m == nil || len(c.m) >= holdUpCacheMax {
		c.m = map[string]holdUp{}
	}
	c.m[key] = holdUp{kind: holdUnknown, at: now, until: until, suspect: true}
}

// holding reports whether a holdUp found for key may still hold its
// channel up: it was found within holdUpFresh, or before the time a
// retry was estimated to pass.
func (c *holdUpCache) holding(key string, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	h, ok := c.m[key]
	return ok && (now.Before(h.until) || now.Sub(h.at) <= holdUpFresh)
}

func (c *holdUpCache) put(key string, h holdUp) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= holdUpCacheMax {
		c.m = map[string]holdUp{}
	}
	c.m[key] = h
}
