package metrics

// RejectReason says why an upgrade was refused; it is the reason label
// of fanout_upgrades_rejected_total.
type RejectReason uint8

// The reasons an upgrade can be rejected.
const (
	RejectUnknownApp RejectReason = iota
	RejectAppDisabled
	RejectOverQuota
	RejectBadPath
	RejectBadProtocol
	RejectUnauthorized
	RejectForbiddenOrigin
	RejectBadRequest
	RejectTooLarge
	RejectTimeout
	RejectOverCapacity
	RejectDraining
	RejectIPConnections // the source address holds its connection limit (429)
	RejectIPUpgradeRate // the source address upgrades faster than its rate (429)
	numRejectReasons
)

var rejectNames = [numRejectReasons]string{
	"unknown_app", "app_disabled", "over_quota", "bad_path", "bad_protocol",
	"unauthorized", "forbidden_origin", "bad_request", "too_large",
	"timeout", "over_capacity", "draining", "ip_connections", "ip_upgrade_rate",
}

// String returns the label value, e.g. "unknown_app".
func (r RejectReason) String() string {
	if r < numRejectReasons {
		return rejectNames[r]
	}
	return "other"
}

// PublishResult is the result label of fanout_publishes_total.
type PublishResult uint8

// The results of a publish through the HTTP API.
const (
	PublishOK          PublishResult = iota // accepted and handed to the broker
	PublishError                            // refused: bad request, auth, limits
	PublishUnavailable                      // broker unreachable (HTTP 503)
	numPublishResults
)

var publishNames = [numPublishResults]string{"ok", "error", "unavailable"}

// String returns the label value, e.g. "ok".
func (r PublishResult) String() string {
	if r < numPublishResults {
		return publishNames[r]
	}
	return "other"
}

// WebhookResult is the result label of fanout_webhooks_total.
type WebhookResult uint8

// The outcomes of a webhook batch or event.
const (
	WebhookOK      WebhookResult = iota // batch delivered (2xx)
	WebhookError                        // batch given up after retries or refused with 4xx
	WebhookDropped                      // event not delivered: queue full, or its batch given up
	numWebhookResults
)

var webhookNames = [numWebhookResults]string{"ok", "error", "dropped"}

// String returns the label value, e.g. "ok".
func (r WebhookResult) String() string {
	if r < numWebhookResults {
		return webhookNames[r]
	}
	return "other"
}
