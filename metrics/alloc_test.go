//go:build !race

package metrics

import (
	"testing"
	"time"
)

func TestHotPathDoesNotAllocate(t *testing.T) {
	m := New()
	// First use of a label value may allocate; warm them up.
	exercise(m)
	cases := map[string]func(){
		"MessageIn":        func() { m.MessageIn(42) },
		"MessagesOut":      func() { m.MessagesOut(7, 700) },
		"ConnectionOpened": func() { m.ConnectionOpened("app-1") },
		"ConnectionClosed": func() { m.ConnectionClosed("app-1", 4201) },
		"ClosedOther":      func() { m.ConnectionClosed("app-1", 12) },
		"UpgradeRejected":  func() { m.UpgradeRejected(RejectTimeout) },
		"Published":        func() { m.Published("app-1", PublishOK) },
		"ObserveFanout":    func() { m.ObserveFanout(time.Millisecond) },
		"ChannelsAdd":      func() { m.ChannelsAdd(1) },
		"BrokerError":      func() { m.BrokerError("publish") },
		"ConnectionEnded":  func() { m.ConnectionEnded("server", "drain") },
		"Subscriptions":    func() { m.SubscriptionsDelta("app-1", 1) },
		"PresenceMembers":  func() { m.PresenceMembersDelta("app-1", 1) },
		"AppDelivered":     func() { m.AppDelivered("app-1", 3, 300) },
		"PublishToSocket":  func() { m.PublishToSocket(time.Millisecond) },
		"HTTPRequest":      func() { m.HTTPRequest("events", 200, time.Millisecond) },
		"BrokerHealth":     func() { m.BrokerHealth(true, time.Millisecond) },
	}
	for name, f := range cases {
		if n := testing.AllocsPerRun(100, f); n != 0 {
			t.Errorf("%s: %v allocs per call, want 0", name, n)
		}
	}
}
