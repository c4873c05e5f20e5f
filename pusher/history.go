package pusher

import (
	"context"
	"time"

	"github.com/fanout/fanout/auth"
	"github.com/fanout/fanout/broker"
)

// HistoryRule keeps the last Size events of every channel whose name
// matches Pattern (a glob where '*' matches any run of characters), for
// TTL after the channel's last event.
type HistoryRule struct {
	Pattern string
	Size    int
	TTL     time.Duration
}

// ErrNoHistory answers a history read for a channel that no HistoryRule of
// its app names.
const ErrNoHistory = Error("pusher: channel keeps no history")

// Error is the package's plain error kind.
type Error string

func (e Error) Error() string { return string(e) }

// historyReadTimeout bounds the broker read behind a recovery.
const historyReadTimeout = 5 * time.Second

// HistoryFor implements broker.HistoryPolicy: the first rule of the app
// that matches the channel. Apps without rules cost one map lookup.
func (s *Server) HistoryFor(appID, channel string) (broker.HistorySpec, bool) {
	a := s.AppByID(appID)
	if a == nil {
		return broker.HistorySpec{}, false
	}
	for i := range a.History {
		r := &a.History[i]
		if auth.MatchChannel([]string{r.Pattern}, channel) {
			return broker.HistorySpec{Size: r.Size, TTL: r.TTL}, true
		}
	}
	return broker.HistorySpec{}, false
}

// History reads a channel's kept events (the HTTP API's history
// endpoint). It returns ErrNoHistory for a channel without a rule, or
// when the broker keeps no history.
func (s *Server) History(ctx context.Context, appID, channel string, q broker.HistoryQuery) (broker.HistoryPage, error) {
	spec, ok := s.HistoryFor(appID, channel)
	h, kept := s.opts.Broker.(broker.History)
	if !ok || !kept {
		return broker.HistoryPage{}, ErrNoHistory
	}
	return h.ReadHistory(ctx, appID, channel, spec, q)
}

// HistoryObserver is an optional extension of Observer, found with a
// type assertion, for the history counters.
type HistoryObserver interface {
	// HistoryAppended counts events given a position by a publish on this
	// node.
	HistoryAppended(app string, n int)
	// Recovery counts one subscribe that asked to recover: result is
	// "recovered" or "failed".
	Recovery(app, result string)
}

// countAppends tells a HistoryObserver how many of ps got a position.
func (s *Server) countAppends(ps []broker.Publication) {
	ho, ok := s.opts.Metrics.(HistoryObserver)
	if !ok {
		return
	}
	for i := range ps {
		if !ps[i].Position.IsZero() {
			ho.HistoryAppended(ps[i].App, 1)
		}
	}
}
