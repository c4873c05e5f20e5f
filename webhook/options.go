package webhook

import (
	"net/http"
	"time"
)

// The event names fanout emits.
const (
	ChannelOccupied = "channel_occupied"
	ChannelVacated  = "channel_vacated"
	MemberAdded     = "member_added"
	MemberRemoved   = "member_removed"
	ClientEvent     = "client_event"
	CacheMiss       = "cache_miss"
)

// Options configure a Sender. The zero value of each field means the
// default named in its comment; URL, Key and Secret are required.
type Options struct {
	URL    string // where batches are POSTed
	Key    string // sent as X-Pusher-Key
	Secret string // HMAC-SHA256 key of X-Pusher-Signature

	// Events lists the event names to deliver; nil or empty delivers all.
	Events []string
	// Channels, when set, is a glob ('*' matches any run of characters)
	// that an event's channel must match to be delivered; "" delivers
	// every channel.
	Channels string
	// Headers are added to every request. Content-Type, X-Pusher-Key and
	// X-Pusher-Signature are set by the Sender and win over these.
	Headers map[string]string

	BatchMax   int           // events per request; default 50
	BatchWait  time.Duration // longest wait to fill a batch; default 250 ms
	MaxQueue   int           // queued events beyond which Send drops; default 10000
	MaxRetries int           // retries after the first attempt; default 5
	// Backoff is the wait before the first retry, doubled each retry,
	// jittered to [d/2, d] and capped at 30 s; default 500 ms.
	Backoff time.Duration

	Client *http.Client // default: a client with a 10 s timeout (with a Store: at most half its ClaimAfter)

	// Store, when set, makes the queue durable and shared by the cluster:
	// events go from Send's bounded memory queue into Stream in the
	// store within milliseconds, and are posted by whichever node claims
	// them (durable.go). MaxQueue then also bounds the stream. Default
	// none: the queue lives in this process only.
	Store Store
	// Stream names this endpoint's queue in Store (the same on every
	// node); required with Store.
	Stream string

	OnResult func(ok bool) // called once per batch with its outcome; default none
	OnDrop   func()        // called once per event dropped (queue full, batch given up, sent after Close); default none
}

const maxBackoff = 30 * time.Second

func (o Options) withDefaults() Options {
	if o.BatchMax <= 0 {
		o.BatchMax = 50
	}
	if o.BatchWait <= 0 {
		o.BatchWait = 250 * time.Millisecond
	}
	if o.MaxQueue <= 0 {
		o.MaxQueue = 10000
	}
	if o.MaxRetries <= 0 {
		o.MaxRetries = 5
	}
	if o.Backoff <= 0 {
		o.Backoff = 500 * time.Millisecond
	}
	if o.Client == nil {
		timeout := 10 * time.Second
		if o.Store != nil {
			// An attempt outliving ClaimAfter would look abandoned.
			timeout = min(timeout, o.Store.WebhookClaimAfter()/2)
		}
		o.Client = &http.Client{Timeout: timeout}
	}
	return o
}
