package redis_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/fanout/fanout/broker"
	"github.com/fanout/fanout/broker/redis"
)

// TestCrashedListenerDetectedBeforeExpiry: a node that dies holding a
// channel (its connections close, as a killed process's do) is taken for
// crashed well before its expiry (default NodeTTL, 15 s): the channel's
// publications are refused with an error that names the channel and the
// node and says when to retry, and accepted again within a third of
// NodeTTL.
func TestCrashedListenerDetectedBeforeExpiry(t *testing.T) {
	t.Run("standalone", func(t *testing.T) {
		srv := startRedis(t)
		crashDetected(t, redis.Options{URL: srv.URL()}, []*redisServer{srv})
	})
	t.Run("cluster", func(t *testing.T) {
		srvs := startCluster(t)
		crashDetected(t, redis.Options{URL: srvs[0].URL(), Cluster: true}, srvs)
	})
}

func crashDetected(t *testing.T, o redis.Options, srvs []*redisServer) {
	dead := startBroker(t, o, &countHandler{})
	pub := startBroker(t, o, &countHandler{})
	dead.Subscribe("app", "x")
	eventually(t, 10*time.Second, "listed", func() bool { return listedIn(t, srvs, "x") == ":1" })
	dead.Crash()
	crashed := time.Now()
	err := publishData(pub, "x", "after the crash")
	var ue *broker.UnavailableError
	if !errors.As(err, &ue) || !errors.Is(err, broker.ErrUnavailable) {
		t.Fatalf("publish right after the crash: %v, want a broker.UnavailableError", err)
	}
	if !strings.Contains(ue.Reason, "channel x ") || !strings.Contains(ue.Reason, dead.NodeID()) || ue.RetryAfter <= 0 {
		t.Errorf("refusal %q (retry after %v) names neither the channel nor the node %s, or no retry time", ue.Reason, ue.RetryAfter, dead.NodeID())
	}
	eventually(t, 15*time.Second, "publishes accepted once the crash is detected", func() bool {
		return publishData(pub, "x", "after the reap") == nil
	})
	window := time.Since(crashed)
	t.Logf("channel refused publishes for %v after the crash (default NodeTTL); first refusal: %s, retry after %v", window.Round(time.Millisecond), ue.Reason, ue.RetryAfter)
	if window > 15*time.Second/3 {
		t.Errorf("the crash took %v to detect, want at most a third of NodeTTL", window)
	}
	if n := listedIn(t, srvs, "x"); n != ":0" {
		t.Fatalf("listener set after the reap: %s, want empty", n)
	}
}

// listedIn is the number of nodes in a channel's listener set, asked of
// the server of srvs that holds it (a cluster's others answer MOVED).
func listedIn(t *testing.T, srvs []*redisServer, channel string) string {
	t.Helper()
	for _, srv := range srvs {
		r, err := srv.do("SCARD", "{fanout:c:app:"+channel+"}:l")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(r, "-MOVED") {
			return r
		}
	}
	t.Fatal("no server holds the listener set of " + channel)
	return ""
}
