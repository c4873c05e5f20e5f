package redis_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fanout/fanout/broker/redis"
	"github.com/redis/rueidis"
)

// commandCalls reads the calls of each command from INFO commandstats
// (commands a Lua script runs count too; redis.io/docs/latest/commands/info).
func commandCalls(t *testing.T, c rueidis.Client) map[string]int {
	t.Helper()
	info, err := c.Do(context.Background(), c.B().Info().Section("commandstats").Build()).ToString()
	if err != nil {
		t.Fatal(err)
	}
	calls := map[string]int{}
	for line := range strings.SplitSeq(info, "\r\n") {
		k, v, _ := strings.Cut(line, ":")
		name, ok := strings.CutPrefix(k, "cmdstat_")
		if !ok {
			continue
		}
		n, _ := strings.CutPrefix(strings.Split(v, ",")[0], "calls=")
		calls[name], _ = strconv.Atoi(n)
	}
	return calls
}

// TestPublishCommandsPerPublication pins what one plain publication
// costs Redis, from Redis's own command counts: a lone publisher's
// publications to a channel another node listens to go as one EVALSHA
// each (never EVAL, whose script text Redis reads and hashes on every
// call), which runs TIME, SCARD, PUBSUB NUMSUB and PUBLISH, and nothing
// else is sent per publication (no idempotency, history or confirmation
// commands). The slack covers the nodes' heartbeats during the window.
func TestPublishCommandsPerPublication(t *testing.T) {
	srv := startRedis(t)
	mon, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{srv.Addr()}, DisableCache: true, ForceSingleClient: true})
	if err != nil {
		t.Fatal(err)
	}
	defer mon.Close()
	o := redis.Options{URL: srv.URL()}
	sub := startBroker(t, o, &countHandler{})
	pub := startBroker(t, o, &countHandler{})
	sub.Subscribe("app", "x")
	eventually(t, 5*time.Second, "listed", func() bool { return listenedBy(t, srv, "x") == ":1" })
	if err := publishData(pub, "x", "warm-up"); err != nil { // loads the script (NOSCRIPT, then EVAL)
		t.Fatal(err)
	}
	if err := mon.Do(context.Background(), mon.B().ConfigResetstat().Build()).Error(); err != nil {
		t.Fatal(err)
	}
	const n, slack = 200, 20
	for i := range n {
		if err := publishData(pub, "x", strconv.Itoa(i)); err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
	}
	calls := commandCalls(t, mon)
	total := 0
	for name, c := range calls {
		if name != "info" && name != "config|resetstat" {
			total += c
		}
	}
	t.Logf("%d publications: %v", n, calls)
	if calls["eval"] != 0 {
		t.Errorf("%d EVAL for %d publications, want 0 (EVALSHA only)", calls["eval"], n)
	}
	if c := calls["evalsha"]; c < n || c > n+slack {
		t.Errorf("%d EVALSHA for %d publications, want one each", c, n)
	}
	if c := calls["publish"]; c != n {
		t.Errorf("%d PUBLISH for %d publications", c, n)
	}
	if total > 5*n+slack {
		t.Errorf("%d commands for %d publications, want at most 5 each (EVALSHA, TIME, SCARD, PUBSUB NUMSUB, PUBLISH)", total, n)
	}
}
