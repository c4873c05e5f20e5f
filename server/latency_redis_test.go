package server_test

import (
	"testing"
	"time"

	"github.com/fanout/fanout/broker/redis"
	"github.com/fanout/fanout/internal/chaos"
	"github.com/fanout/fanout/internal/fantest"
)

// Two nodes over a real Redis; a publish through node A's HTTP API while
// Redis is stopped for a moment reaches a subscriber on A and one on B.
// fanout_publish_to_socket_seconds on A counts from A's API accepting the
// event, so it holds the stall; on B it counts from B's broker handing the
// event over, after the stall, and holds less (B's clock never meets A's).
func TestPublishToSocketSpansRedisOnThePublishingNode(t *testing.T) {
	rs := chaos.StartRedis(t)
	cfg := fantest.Config()
	var nodes [2]*fantest.Node
	for i := range nodes {
		b, err := redis.New(redis.Options{URL: rs.URL(), Prefix: "p2s"})
		if err != nil {
			t.Fatal(err)
		}
		nodes[i] = fantest.Start(t, cfg, b)
	}
	var clients [2]*fantest.Client
	for i, n := range nodes {
		clients[i] = fantest.Dial(t, n.URL("app-key"), nil)
		clients[i].Subscribe("news")
	}
	// Warm-up: each node has delivered one event through Redis.
	if st, body := nodes[0].Publish(t, cfg.Apps[0], "news", "warm", "x"); st != 200 {
		t.Fatalf("publish %d %s", st, body)
	}
	for _, c := range clients {
		c.Expect("warm")
	}
	before := [2]map[string]float64{scrape(t, nodes[0]), scrape(t, nodes[1])}

	const stall = 300 * time.Millisecond
	rs.Freeze()
	done := make(chan int, 1)
	go func() { st, _ := nodes[0].Publish(t, cfg.Apps[0], "news", "flash", "hello"); done <- st }()
	time.Sleep(stall) // the stall the publish sits in; not a wait for an outcome
	rs.Thaw()
	if st := <-done; st != 200 {
		t.Fatalf("publish during the stall: %d", st)
	}
	for _, c := range clients {
		c.Expect("flash")
	}
	var sum, count [2]float64
	for i, n := range nodes {
		// The observation follows the socket write; wait for it.
		deadline := time.Now().Add(5 * time.Second)
		for {
			after := scrape(t, n)
			count[i] = after["fanout_publish_to_socket_seconds_count"] - before[i]["fanout_publish_to_socket_seconds_count"]
			sum[i] = after["fanout_publish_to_socket_seconds_sum"] - before[i]["fanout_publish_to_socket_seconds_sum"]
			if count[i] >= 1 || time.Now().After(deadline) {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		if count[i] != 1 {
			t.Fatalf("node %d: %v publish-to-socket observations, want 1", i, count[i])
		}
	}
	if sum[0] < stall.Seconds() {
		t.Errorf("publishing node: %.3fs from the API to the socket, less than the %v Redis stall it waited through", sum[0], stall)
	}
	if sum[1] >= sum[0] {
		t.Errorf("receiving node: %.3fs, not less than the publishing node's %.3fs: it counted time before it had the event", sum[1], sum[0])
	}
	t.Logf("publish to socket: publishing node %.3fs, other node %.3fs", sum[0], sum[1])
}
