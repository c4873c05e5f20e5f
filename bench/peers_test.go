package bench

import (
	"net"
	"os"
	"testing"
	"time"

	"github.com/fanout/fanout/bench/peers/nbiohub"
)

// TestNbioHubFanout runs the harness against the nbio peer, so the peer
// itself is exercised by the same client the comparison uses.
func TestNbioHubFanout(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	e := nbiohub.New(nbiohub.Options{Addr: addr})
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	defer e.Stop()
	res, err := Execute(testCtx(t), Options{Scenario: "fanout", URLs: []string{"ws://" + addr},
		Conns: 40, Channels: 4, Workers: 1, Rate: 40, Publishers: 2, Duration: 500 * time.Millisecond, Quiet: true}, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	if res.Subscribed != 40 || res.Failed != 0 || res.Published == 0 || res.Delivered != res.Published*10 {
		t.Fatalf("subscribed %d failed %d %v published %d delivered %d",
			res.Subscribed, res.Failed, res.Failures, res.Published, res.Delivered)
	}
}
