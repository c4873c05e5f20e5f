package metrics

import (
	"sync"

	vm "github.com/VictoriaMetrics/metrics"
)

// ended holds fanout_connections_ended_total, one series per party and
// cause, made on first use: the values come from the server's fixed list
// of causes, never from a client.
type ended struct {
	set *vm.Set
	mu  sync.RWMutex
	by  map[endedKey]*vm.Counter
}

type endedKey struct{ party, cause string }

// ConnectionEnded counts an admitted connection that ended, by who ended
// it (party: server, client or deadline) and why (cause, e.g. drain,
// slow_consumer, close_frame, eof, pong_timeout). It allocates only the
// first time a pair is seen.
func (m *Metrics) ConnectionEnded(party, cause string) {
	e := &m.ended
	k := endedKey{party, cause}
	e.mu.RLock()
	c := e.by[k]
	e.mu.RUnlock()
	if c == nil {
		e.mu.Lock()
		if c = e.by[k]; c == nil {
			c = e.set.NewCounter(labelled2("fanout_connections_ended_total", "by", party, "cause", cause))
			e.by[k] = c
		}
		e.mu.Unlock()
	}
	c.Inc()
}
