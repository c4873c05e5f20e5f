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
}

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
