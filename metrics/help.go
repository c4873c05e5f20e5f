package metrics

import (
	"bytes"
	"io"
)

// help is the # HELP text of each fanout_ family (the Prometheus text
// format, https://prometheus.io/docs/instrumenting/exposition_formats/).
// The library writes "# HELP name" with no text; WritePrometheus adds it.
// docs/metrics.md says the same at more length.
var help = map[string]string{
	"fanout_connections":                              "WebSocket connections open now, by app id.",
	"fanout_connections_opened_total":                 "Connections accepted (upgrade completed), by app id.",
	"fanout_transport_connections":                    "Connections open now, by transport (websocket, sse).",
	"fanout_transport_connections_opened_total":       "Connections admitted, by transport (websocket, sse).",
	"fanout_connections_closed_total":                 "Connections closed, by WebSocket close code; codes the server does not know count as other.",
	"fanout_connections_ended_total":                  "Admitted connections that ended, by who ended them (server, client, deadline) and why (cause).",
	"fanout_upgrades_rejected_total":                  "Upgrades refused before a connection existed, by reason.",
	"fanout_messages_in_total":                        "WebSocket data messages received from clients.",
	"fanout_messages_out_total":                       "WebSocket data messages written to clients; a broadcast to k sockets counts k.",
	"fanout_bytes_in_total":                           "Payload bytes of the data messages received from clients.",
	"fanout_bytes_out_total":                          "Bytes of the data messages written to clients, frame headers included.",
	"fanout_publish_duplicates_total":                 "Events answered 200 without being delivered because their idempotency key was accepted within the window, by app id.",
	"fanout_publishes_total":                          "Events published through the HTTP API, by app id and result (ok, error, unavailable).",
	"fanout_delivery_duration_seconds":                "Seconds from an event reaching the node to its frame being queued for every local subscriber.",
	"fanout_channels":                                 "Occupied channels on this node.",
	"fanout_io_uring_unavailable_total":               "Delivery workers that were to write through io_uring (server.io_uring) but could not set up a ring: the kernel lacks it or forbids it.",
	"fanout_io_uring_failures_total":                  "Delivery workers whose io_uring failed after it had worked (io_uring_enter returned an error); they write with writev(2) from then on.",
	"fanout_io_uring_failure_disconnects_total":       "Connections shut down because a failing io_uring held their sends, whose outcome is unknown; their clients reconnect.",
	"fanout_slow_consumer_disconnects_total":          "Connections closed with 4100 because their send queue passed max_queued_bytes.",
	"fanout_heartbeat_timeouts_total":                 "Connections closed with 4201 because no pong arrived within pong_timeout.",
	"fanout_broker_errors_total":                      "Failed broker operations, by operation.",
	"fanout_broker_late_publications_total":           "Publications from Redis not delivered: they ran after their caller was answered 503 and after a later publication of their channel.",
	"fanout_accept_errors_total":                      "Failed accept(2) calls that paused a listener, by reason (emfile, enfile, enobufs, enomem).",
	"fanout_capacity":                                 "WebSocket connections this node admits before it answers 503 and /readyz reports at capacity.",
	"fanout_overload_refusals_total":                  "Work refused because the node had no room for it now, by kind (client_event, member_event, upgrade, publish, delivery, recovery).",
	"fanout_history_appends_total":                    "Events given a stream position by a publish on this node (channels with history), by app id.",
	"fanout_history_recoveries_asked_total":           "Subscribes that carried a recover position, by app id.",
	"fanout_history_recoveries_total":                 "Outcome of the recoveries asked, by app id and result (recovered, failed).",
	"fanout_tls_handshakes_total":                     "TLS handshakes on the WebSocket and HTTP API port, by result (ok, failed).",
	"fanout_tls_connections_total":                    "TLS connections whose handshake succeeded, by version (1.2, 1.3) and by the record layer that carries them after it (fanout, crypto/tls).",
	"fanout_tls_certificate_expiry_timestamp_seconds": "NotAfter of the served TLS leaf certificate, in Unix seconds; updated at start and on each SIGHUP reload.",
	"fanout_tls_ktls_available":                       "1 when the kernel offers TLS offload (TCP_ULP tls), else 0; with server.tls.ktls auto TLS 1.3 connections are then handed to it.",
	"fanout_tls_ktls_total":                           "TLS 1.3 connections offered to kernel TLS, by event: on, tx_user (kernel reads, user-space writes), fallback (refused; user space), rekey_unsupported (a peer KeyUpdate the kernel could not take; connection ended).",
	"fanout_tls_reclaims_total":                       "Collections of the garbage a burst of TLS handshakes left, with the freed heap pages returned to the OS, once handshakes went quiet.",
	"fanout_tls_reclaimed_bytes_total":                "Bytes of heap returned to the OS by the collections after bursts of TLS handshakes.",
	"fanout_webhook_departures_total":                 "member_removed and channel_vacated webhooks held for webhooks.grace (held), sent after it (sent), or cancelled with the member_added/channel_occupied of a return within it (cancelled).",
	"fanout_webhooks_total":                           "Webhook batches delivered (ok) or given up (error), and events dropped on a full queue (dropped).",
	"fanout_webhook_request_duration_seconds":         "Seconds from sending a webhook request to its response's headers, or its failure.",
	"fanout_webhook_queued_events":                    "Webhook events waiting in an app's queue, by app id; 0 for apps without webhooks.",
	"fanout_http_api_throttled_total":                 "HTTP API requests answered 429 because their app was over limits.api_requests_per_second, by app id.",
	"fanout_http_requests_total":                      "HTTP API and probe requests answered, by endpoint (a fixed route name; other for no route) and status code.",
	"fanout_http_request_duration_seconds":            "Seconds from an HTTP API or probe request reaching the handler to its answer, by endpoint.",
	"fanout_subscriptions":                            "Channel subscriptions held by this node's connections, by app id.",
	"fanout_presence_members":                         "Presence channel members on this node (distinct users per presence channel), by app id.",
	"fanout_app_messages_out_total":                   "Event messages the fan-out wrote to subscribers, by app id; replies and pings are only in fanout_messages_out_total.",
	"fanout_app_bytes_out_total":                      "Bytes of the event messages the fan-out wrote to subscribers, frame headers included, by app id.",
	"fanout_publish_to_socket_seconds":                "Seconds from an event's arrival on this node (HTTP API accepted it, or the broker handed it over) to its write to the last local subscriber.",
	"fanout_ready":                                    "1 while the node answers /readyz with 200 (not draining, below capacity, broker reachable), else 0.",
	"fanout_broker_up":                                "1 while the broker's server (Redis) answered its last check, else 0; always 1 for the in-process broker.",
	"fanout_broker_rtt_seconds":                       "Round trip of the broker's heartbeat call to Redis, in seconds.",
}

var helpPrefix = []byte("# HELP ")

// writeWithHelp copies an exposition to w, completing each bare
// "# HELP name" line with the family's text from help.
func writeWithHelp(w io.Writer, text []byte) {
	for len(text) > 0 {
		line := text
		if i := bytes.IndexByte(text, '\n'); i >= 0 {
			line = text[:i+1]
		}
		text = text[len(line):]
		if bytes.HasPrefix(line, helpPrefix) {
			name := string(bytes.TrimSpace(line[len(helpPrefix):]))
			if h, ok := help[name]; ok {
				io.WriteString(w, "# HELP "+name+" "+h+"\n")
				continue
			}
		}
		w.Write(line)
	}
}
