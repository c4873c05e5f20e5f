package pusher

import (
	"time"

	"github.com/fanout/fanout/broker"
)

// StateObserver is an optional extension of Observer, found with a type
// assertion when the server is built: per-app subscription and presence
// member gauges, per-app fan-out traffic, and the publish-to-socket
// latency. Every method may be called from any goroutine (event loops,
// delivery workers, the broker's reader).
type StateObserver interface {
	// SubscriptionsDelta moves app's count of channel subscriptions held
	// by this node's connections by d (+1 on subscribe, -1 on leave).
	SubscriptionsDelta(app string, d int)
	// PresenceMembersDelta moves app's count of presence members on this
	// node (distinct users per presence channel) by d.
	PresenceMembersDelta(app string, d int)
	// AppDelivered counts frames and bytes of app's events written to
	// subscribers by the fan-out (one channel's batch).
	AppDelivered(app string, frames, bytes int)
	// PublishToSocket records, per event, the time from its arrival on
	// this node (Publication.Arrived) to the write of its frame to the last
	// local subscriber.
	PublishToSocket(d time.Duration)
}

type nopStateObserver struct{}

func (nopStateObserver) SubscriptionsDelta(string, int)   {}
func (nopStateObserver) PresenceMembersDelta(string, int) {}
func (nopStateObserver) AppDelivered(string, int, int)    {}
func (nopStateObserver) PublishToSocket(time.Duration)    {}

// stateObserver is o as a StateObserver, or one that does nothing.
func stateObserver(o Observer) StateObserver {
	if so, ok := o.(StateObserver); ok {
		return so
	}
	return nopStateObserver{}
}

// stampArrived marks each of ps that has no arrival time as arriving on
// this node now.
func (s *Server) stampArrived(ps []broker.Publication) {
	now := int64(0)
	for i := range ps {
		if ps[i].Arrived == 0 {
			if now == 0 {
				now = time.Now().UnixNano()
			}
			ps[i].Arrived, ps[i].Origin = now, s.node
		}
	}
}

// arrived stamps p as arriving now unless this node stamped it already
// (it is back from the broker, or the memory broker handed it straight
// over).
func (s *Server) arrived(p *broker.Publication) {
	if p.Arrived == 0 || p.Origin != s.node {
		p.Arrived, p.Origin = time.Now().UnixNano(), s.node
	}
}

// observeArrivals records the publish-to-socket latency of a batch's
// events, just written.
func (s *Server) observeArrivals(ps []broker.Publication) {
	now := int64(0)
	for i := range ps {
		if a := ps[i].Arrived; a != 0 && ps[i].Origin == s.node {
			if now == 0 {
				now = time.Now().UnixNano()
			}
			s.state.PublishToSocket(time.Duration(max(now-a, 0)))
		}
	}
}
