package server

import (
	"time"

	"github.com/fanout/fanout/metrics"
)

// observer adapts metrics.Metrics to pusher.Observer.
type observer struct{ m *metrics.Metrics }

var rejectReasons = map[string]metrics.RejectReason{
	"unknown_app": metrics.RejectUnknownApp, "app_disabled": metrics.RejectAppDisabled,
	"over_quota": metrics.RejectOverQuota, "bad_path": metrics.RejectBadPath,
	"bad_protocol": metrics.RejectBadProtocol, "unauthorized": metrics.RejectUnauthorized,
	"forbidden_origin": metrics.RejectForbiddenOrigin, "bad_request": metrics.RejectBadRequest,
	"too_large": metrics.RejectTooLarge, "timeout": metrics.RejectTimeout,
	"over_capacity": metrics.RejectOverCapacity, "draining": metrics.RejectDraining,
	// busy: the token check found no room on the pool; the client was
	// closed with 4100 like one over capacity.
	"busy": metrics.RejectOverCapacity,
	// per source address limits (429)
	"ip_connections": metrics.RejectIPConnections, "ip_upgrade_rate": metrics.RejectIPUpgradeRate,
}

func (o observer) ConnOpened(app string)           { o.m.ConnectionOpened(app) }
func (o observer) ConnClosed(app string, code int) { o.m.ConnectionClosed(app, code) }
func (o observer) UpgradeRejected(reason string)   { o.m.UpgradeRejected(rejectReasons[reason]) }
func (o observer) MessageIn(n int)                 { o.m.MessageIn(n) }
func (o observer) MessagesOut(n, bytes int)        { o.m.MessagesOut(n, bytes) }
func (o observer) FanoutDuration(d time.Duration)  { o.m.ObserveFanout(d) }
func (o observer) ChannelsDelta(d int)             { o.m.ChannelsAdd(d) }
func (o observer) SlowConsumer()                   { o.m.SlowConsumerDisconnect() }
func (o observer) HeartbeatTimeout()               { o.m.HeartbeatTimeout() }
func (o observer) Refused(kind string)             { o.m.Refused(kind) }
func (o observer) WebhookDeparture(outcome string) { o.m.WebhookDeparture(outcome) }
func (o observer) Publish(app, result string) {
	r := metrics.PublishOK
	if result != "ok" {
		r = metrics.PublishUnavailable
	}
	o.m.Published(app, r)
}

// TransportOpened implements pusher.TransportObserver.
func (o observer) TransportOpened(t string) { o.m.TransportOpened(t) }

// TransportClosed implements pusher.TransportObserver.
func (o observer) TransportClosed(t string) { o.m.TransportClosed(t) }

// IOUringUnavailable implements pusher.IOUringObserver.
func (o observer) IOUringUnavailable() { o.m.IOUringUnavailable() }

// ConnEnded implements pusher.EndObserver.
func (o observer) ConnEnded(by, cause string) { o.m.ConnectionEnded(by, cause) }

// HistoryAppended implements pusher.HistoryObserver.
func (o observer) HistoryAppended(app string, n int) { o.m.HistoryAppended(app, n) }

// Recovery implements pusher.HistoryObserver.
func (o observer) Recovery(app, result string) { o.m.Recovery(app, result == "recovered") }

// SubscriptionsDelta implements pusher.StateObserver.
func (o observer) SubscriptionsDelta(app string, d int) { o.m.SubscriptionsDelta(app, d) }

// PresenceMembersDelta implements pusher.StateObserver.
func (o observer) PresenceMembersDelta(app string, d int) { o.m.PresenceMembersDelta(app, d) }

// AppDelivered implements pusher.StateObserver.
func (o observer) AppDelivered(app string, frames, bytes int) { o.m.AppDelivered(app, frames, bytes) }

// PublishToSocket implements pusher.StateObserver.
func (o observer) PublishToSocket(d time.Duration) { o.m.PublishToSocket(d) }

// IOUringFailed implements pusher.IOUringFailureObserver.
func (o observer) IOUringFailed(conns int) { o.m.IOUringFailed(conns) }
