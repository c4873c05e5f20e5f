package pusher

import "time"

// Observer receives the server's measurements (the metrics package
// implements it). Methods are called on hot paths and must not block.
type Observer interface {
	ConnOpened(app string)
	ConnClosed(app string, code int)
	UpgradeRejected(reason string)
	MessageIn(bytes int)
	MessagesOut(n, bytes int)
	Publish(app, result string)
	FanoutDuration(d time.Duration)
	ChannelsDelta(d int)
	SlowConsumer()
	HeartbeatTimeout()
	// Refused counts work refused for want of room (overload): one of
	// the Refused* kinds.
	Refused(kind string)
	// WebhookDeparture counts a departure's webhook: one of the
	// Departure* outcomes (grace.go).
	WebhookDeparture(outcome string)
}

// Kinds of work refused under overload (Observer.Refused).
const (
	// RefusedClientEvent: a client event answered pusher:error 4100.
	RefusedClientEvent = "client_event"
	// RefusedMemberEvent: a member_added/member_removed event that could
	// not be queued.
	RefusedMemberEvent = "member_event"
	// RefusedUpgrade: a connection closed with 4100 because its token
	// check found no room.
	RefusedUpgrade = "upgrade"
	// RefusedPublish: an HTTP API publish answered 503.
	RefusedPublish = "publish"
	// RefusedDelivery: an event a broker handed over was dropped.
	RefusedDelivery = "delivery"
	// RefusedRecovery: a connection closed with 4100 because the history
	// read of its recovering subscription found no room on the pool.
	RefusedRecovery = "recovery"
)

type nopObserver struct{}

func (nopObserver) ConnOpened(string)            {}
func (nopObserver) ConnClosed(string, int)       {}
func (nopObserver) UpgradeRejected(string)       {}
func (nopObserver) MessageIn(int)                {}
func (nopObserver) MessagesOut(int, int)         {}
func (nopObserver) Publish(string, string)       {}
func (nopObserver) FanoutDuration(time.Duration) {}
func (nopObserver) ChannelsDelta(int)            {}
func (nopObserver) SlowConsumer()                {}
func (nopObserver) HeartbeatTimeout()            {}
func (nopObserver) Refused(string)               {}
func (nopObserver) WebhookDeparture(string)      {}
