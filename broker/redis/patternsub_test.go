package redis_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fanout/fanout/broker/redis"
)

// patternWatcher opens a connection that pattern-subscribes to pattern
// (as `redis-cli PSUBSCRIBE 'fanout:*'` run by an operator, or a
// monitoring agent, would) and keeps it open until the test ends.
func patternWatcher(t *testing.T, srv *redisServer, pattern string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", srv.Addr(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	fmt.Fprintf(c, "CLIENT SETNAME watcher\r\nPSUBSCRIBE %s\r\n", pattern)
	r := bufio.NewReader(c)
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	for i := 0; i < 4; i++ { // +OK, then *3 $10 psubscribe ...
		if _, err := r.ReadString('\n'); err != nil {
			t.Fatal(err)
		}
	}
	go func() { // drain what it receives, so Redis never drops it
		_ = c.SetReadDeadline(time.Time{})
		for {
			if _, err := r.ReadString('\n'); err != nil {
				return
			}
		}
	}()
	eventually(t, 2*time.Second, "pattern subscriber counted", func() bool {
		n, _ := srv.do("PUBSUB", "NUMPAT")
		return n == ":1"
	})
}

// clientList is CLIENT LIST's bulk reply, one client a line.
func clientList(t *testing.T, srv *redisServer) []string {
	t.Helper()
	c, err := net.DialTimeout("tcp", srv.Addr(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	fmt.Fprintf(c, "CLIENT LIST TYPE pubsub\r\n")
	r := bufio.NewReader(c)
	head, err := r.ReadString('\n')
	if err != nil || !strings.HasPrefix(head, "$") {
		t.Fatalf("CLIENT LIST: %q %v", head, err)
	}
	n, _ := strconv.Atoi(strings.TrimSpace(head[1:]))
	buf := make([]byte, n+2)
	if _, err := io.ReadFull(r, buf); err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(buf)), "\n")
}

// killNodePubSub kills every pub/sub connection but the watcher's.
func killNodePubSub(t *testing.T, srv *redisServer) {
	t.Helper()
	for _, line := range clientList(t, srv) {
		if strings.Contains(line, " name=watcher ") {
			continue
		}
		for _, f := range strings.Fields(line) {
			if id, ok := strings.CutPrefix(f, "id="); ok {
				if _, err := srv.do("CLIENT", "KILL", "ID", id); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}

// TestPatternSubscriberDoesNotMaskMissingListener: PUBLISH answers the
// number of clients that received the message, pattern subscribers
// included (https://redis.io/docs/latest/commands/publish/), while the
// strict script counts channel subscribers only (PUBSUB NUMSUB). One
// client running PSUBSCRIBE on a pattern that matches fanout's channels
// must not make a publication that a listed node misses look delivered:
// it is refused, as it is without the pattern subscriber. By default the
// nodes learn of a pattern subscriber at their next heartbeat (PUBSUB
// NUMPAT) and publish through the script while there is one; the test
// waits for that heartbeat, the window plainpub.go accepts.
func TestPatternSubscriberDoesNotMaskMissingListener(t *testing.T) {
	for _, strict := range []bool{false, true} {
		t.Run(fmt.Sprintf("strict=%v/crashed", strict), func(t *testing.T) {
			srv := startRedis(t)
			o := redis.Options{URL: srv.URL(), NodeTTL: 30 * time.Second, StrictRefusals: strict}
			dead, pub := listenerAndPublisher(t, srv, o, &countHandler{})
			patternWatcher(t, srv, "fanout:*")
			eventually(t, 3*time.Second, "the publisher's heartbeat saw the pattern subscriber", pub.PatternSubscribers)
			dead.Crash()
			if err := publishData(pub, "x", "after the crash"); err == nil {
				t.Fatal("publish accepted while the only listed node is gone and not reaped; a pattern subscriber was counted as it")
			}
		})
		t.Run(fmt.Sprintf("strict=%v/resubscribing", strict), func(t *testing.T) {
			srv := startRedis(t)
			h := &seenHandler{}
			o := redis.Options{URL: srv.URL(), StrictRefusals: strict}
			sub := startBroker(t, o, h)
			pub := startBroker(t, o, &countHandler{})
			sub.Subscribe("app", "x")
			eventually(t, 5*time.Second, "listed", func() bool { return listenedBy(t, srv, "x") == ":1" })
			patternWatcher(t, srv, "fanout:*")
			eventually(t, 3*time.Second, "the publisher's heartbeat saw the pattern subscriber", pub.PatternSubscribers)
			killNodePubSub(t, srv)
			refused := publishUntilAccepted(t, pub, h) // fails when an accepted event is not delivered
			t.Logf("%d refused while the subscriber was subscribing again", refused)
		})
	}
}
