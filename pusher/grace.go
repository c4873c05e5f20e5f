package pusher

import (
	"container/heap"
	"sync"
	"time"

	"github.com/fanout/fanout/broker"
)

// The webhook grace. Pusher delays member_removed and channel_vacated by
// a few seconds and sends neither, nor the matching member_added or
// channel_occupied, when the user or channel is back within that time
// (https://pusher.com/docs/channels/server_api/webhooks/): a page reload
// is not news to the backend. A departure the directory reports as the
// cluster's is held there (broker.Transition.Held) when the app has a
// grace; a return anywhere in the cluster cancels it
// (broker.Transition.Returned); and the node that saw it leave settles it
// once the grace has passed (broker.Directory.Settle), sending the webhook
// only if it still stands; over Redis a departure also outlives its node
// (grace_handover.go). The pusher_internal:member_removed event to
// subscribers is never delayed.
//
// One goroutine and one timer serve every held departure of the node, in
// a heap by due time (apps may have different graces). At most
// maxHeldDepartures are held; a departure beyond that is not held at all
// (its webhook goes out at once, as without a grace).

// maxHeldDepartures bounds the departures a node holds at once (about
// 150 bytes each with their names).
const maxHeldDepartures = 100_000

// Outcomes of a departure (Observer.WebhookDeparture).
const (
	// DepartureHeld: a member_removed or channel_vacated webhook waits
	// for its app's grace.
	DepartureHeld = "held"
	// DepartureSent: its grace passed with no return; the webhook went.
	DepartureSent = "sent"
	// DepartureCancelled: the user or channel came back within the
	// grace; neither webhook went (counted on the node that saw the
	// return).
	DepartureCancelled = "cancelled"
)

// heldDeparture is one departure waiting for its grace.
type heldDeparture struct {
	due  time.Time
	d    broker.Departure
	app  *App
	name string // member_removed or channel_vacated
	kept bool   // the directory keeps it for the cluster (grace_handover.go)
}

type departureHeap []heldDeparture

func (h departureHeap) Len() int           { return len(h) }
func (h departureHeap) Less(i, j int) bool { return h[i].due.Before(h[j].due) }
func (h departureHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *departureHeap) Push(x any)        { *h = append(*h, x.(heldDeparture)) }
func (h *departureHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	old[len(old)-1] = heldDeparture{}
	*h = old[:len(old)-1]
	return x
}

// departures is the node's sweeper of held departures.
type departures struct {
	mu      sync.Mutex
	q       departureHeap
	stopped bool
	// handedOver: the node stopped and left its kept departures to the
	// other nodes (grace_handover.go).
	handedOver bool
	wake       chan struct{}
}

// holding reports whether a departure of app is to be held now: the app
// sends webhooks, has a grace, and the node holds fewer than the bound.
func (s *Server) holding(app *App) bool {
	if app.Webhook == nil || app.WebhookGrace <= 0 {
		return false
	}
	g := &s.graces
	g.mu.Lock()
	defer g.mu.Unlock()
	return (!g.stopped || g.handedOver) && len(g.q) < maxHeldDepartures
}

// departed sends or holds the webhook of a departure the directory says
// is the cluster's. Any goroutine (loops with the local directory, the
// broker's with Redis); it blocks only on a directory that keeps
// departures (Redis: one ZADD on the broker's goroutine).
func (s *Server) departed(app *App, name string, t broker.Transition, e WebhookEvent) {
	if t.Held.IsZero() {
		app.webhook(e)
		return
	}
	h := heldDeparture{d: t.Held, app: app, name: name, kept: s.keep(t.Held, app.WebhookGrace)}
	g := &s.graces
	g.mu.Lock()
	if g.stopped {
		left := g.handedOver && h.kept
		g.mu.Unlock()
		if !left {
			s.settle(h)
		}
		return
	}
	h.due = s.opts.Now().Add(app.WebhookGrace)
	heap.Push(&g.q, h)
	g.mu.Unlock()
	s.opts.Metrics.WebhookDeparture(DepartureHeld)
	select {
	case g.wake <- struct{}{}:
	default:
	}
}

// returned says whether the webhook of a return (member_added,
// channel_occupied) is news: not when it cancelled a held departure.
func (s *Server) returned(t broker.Transition) bool {
	if t.Returned {
		s.opts.Metrics.WebhookDeparture(DepartureCancelled)
		return false
	}
	return true
}

// settle asks the directory whether d still stands and sends its webhook
// if so; it may wait on Redis.
func (s *Server) settle(h heldDeparture) {
	if !s.dir.Settle(h.d) {
		return
	}
	s.opts.Metrics.WebhookDeparture(DepartureSent)
	h.app.webhook(WebhookEvent{Name: h.name, Channel: h.d.Channel, UserID: h.d.User})
}

// sweepDepartures is the sweeper goroutine: it settles each departure
// when its grace ends; when the server stops, flushDepartures hands the
// rest over or settles them at once.
func (s *Server) sweepDepartures() {
	g := &s.graces
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		var due []heldDeparture
		g.mu.Lock()
		now := s.opts.Now()
		for len(g.q) > 0 && !g.q[0].due.After(now) {
			due = append(due, heap.Pop(&g.q).(heldDeparture))
		}
		wait := time.Hour
		if len(g.q) > 0 {
			wait = g.q[0].due.Sub(now)
		}
		g.mu.Unlock()
		for _, h := range due {
			s.settle(h)
		}
		if len(due) > 0 {
			continue
		}
		t.Reset(wait)
		select {
		case <-t.C:
		case <-g.wake:
		case <-s.stop:
			s.flushDepartures()
			return
		}
	}
}

// flushDepartures ends the node's holding when it stops: kept
// departures go to the other nodes when there are any (handOver), and
// the node settles the rest now, their grace cut short.
func (s *Server) flushDepartures() {
	k, keeps := s.dir.(broker.DepartureKeeper)
	handed := keeps && k.CanHandOver()
	g := &s.graces
	g.mu.Lock()
	q := g.q
	g.q, g.stopped, g.handedOver = nil, true, handed
	g.mu.Unlock()
	for _, h := range s.handOver(q, keeps, handed) {
		s.settle(h)
	}
}
