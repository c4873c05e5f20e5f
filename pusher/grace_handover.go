package pusher

import (
	"time"

	"github.com/fanout/fanout/broker"
)

// Held departures beyond the node. With a directory that keeps them for
// the cluster (broker.DepartureKeeper: Redis), every held departure is
// also recorded there with its deadline, so that it outlives this node: a
// node that stops hands what it holds over to the live nodes instead of
// settling it at once (a client that reconnects elsewhere within the
// grace then cancels it, as any return does), and the departures of a
// node that crashed are settled by the others once their deadline has
// passed (DepartureDue). The directory's Settle still decides, so the
// webhook goes out exactly once, after the grace. Without such a
// directory (one node in memory) a stopping node settles at once.

// keep records d in a keeping directory; it reports whether d is kept.
func (s *Server) keep(d broker.Departure, grace time.Duration) bool {
	k, ok := s.dir.(broker.DepartureKeeper)
	if !ok {
		return false
	}
	if err := k.KeepDeparture(d, grace); err != nil {
		s.opts.Logger.Warn("webhooks: a held departure is not kept beyond this node", "app", d.App, "channel", d.Channel, "err", err)
		return false
	}
	return true
}

// handOver logs what a stopping node does with its held departures q:
// with a keeping directory and another live node (handed), the kept ones
// are left to the others; it returns those the node settles itself.
func (s *Server) handOver(q []heldDeparture, keeps, handed bool) []heldDeparture {
	if !keeps {
		return q
	}
	if !handed {
		if len(q) > 0 {
			s.opts.Logger.Warn("webhooks: no other live node, or Redis does not answer: settling held departures at once", "departures", len(q))
		}
		return q
	}
	var own []heldDeparture
	for _, h := range q {
		if !h.kept {
			own = append(own, h)
		}
	}
	s.opts.Logger.Info("webhooks: held departures left to the other nodes", "departures", len(q)-len(own))
	return own
}

// SettlesFor implements broker.DepartureHandler: the app sends webhooks.
func (s *Server) SettlesFor(app string) bool {
	a := s.AppByID(app)
	return a != nil && a.Webhook != nil
}

// DepartureDue implements broker.DepartureHandler: a departure another
// node kept passed its grace, and this node settled it.
func (s *Server) DepartureDue(d broker.Departure) {
	a := s.AppByID(d.App)
	if a == nil {
		return
	}
	name := "channel_vacated"
	if d.User != "" {
		name = "member_removed"
	}
	s.opts.Metrics.WebhookDeparture(DepartureSent)
	a.webhook(WebhookEvent{Name: name, Channel: d.Channel, UserID: d.User})
}
