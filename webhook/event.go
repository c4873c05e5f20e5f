package webhook

import (
	"encoding/json"
	"time"
)

// Event is one webhook event. Name and Channel are always set; UserID for
// member_added, member_removed and client events on presence channels;
// Event, Data and SocketID for client_event; SubscriptionCount for
// subscription_count.
type Event struct {
	Name     string `json:"name"`
	Channel  string `json:"channel"`
	UserID   string `json:"user_id,omitempty"`
	Event    string `json:"event,omitempty"`
	Data     string `json:"data,omitempty"`
	SocketID string `json:"socket_id,omitempty"`
	// SubscriptionCount is a pointer so that a count of 0 is sent.
	SubscriptionCount *int `json:"subscription_count,omitempty"`
}

// Payload is the JSON body of one webhook request.
type Payload struct {
	TimeMs int64   `json:"time_ms"`
	Events []Event `json:"events"`
}

func encode(now time.Time, events []Event) ([]byte, error) {
	return json.Marshal(Payload{TimeMs: now.UnixMilli(), Events: events})
}
