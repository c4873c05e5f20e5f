package server

import (
	"net/http"
	"time"

	"github.com/fanout/fanout/metrics"
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
// package's default (a 10 s timeout) with its requests measured.
func webhookClient(m *metrics.Metrics) *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: timedTransport{next: http.DefaultTransport, m: m}}
}
