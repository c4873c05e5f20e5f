package server

import (
	"net/http"
	"time"

	"github.com/fanout/fanout/metrics"
	"github.com/fanout/fanout/webhook"
)

// timedTransport measures each webhook request, from sending it to the
// response's headers (or the failure), for
// fanout_webhook_request_duration_seconds.
type timedTransport struct {
	next http.RoundTripper
	m    *metrics.Metrics
}

func (t timedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.next.RoundTrip(r)
	t.m.WebhookRequest(time.Since(start))
	return resp, err
}

// webhookClient is the webhook senders' HTTP client: the webhook
// package's default timeout (10 s, and with a durable store at most half
// its claim time, so an attempt never outlives its claim) with its
// requests measured.
func webhookClient(m *metrics.Metrics, store webhook.Store) *http.Client {
	timeout := 10 * time.Second
	if store != nil {
		timeout = min(timeout, store.WebhookClaimAfter()/2)
	}
	return &http.Client{Timeout: timeout, Transport: timedTransport{next: http.DefaultTransport, m: m}}
}
