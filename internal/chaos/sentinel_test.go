package chaos

import (
	"fmt"
	"net"
	"strconv"
	"testing"
	"time"
)

// Redis Sentinel: a master with two replicas, three sentinels (quorum 2,
// down-after-milliseconds 1000). The master is SIGKILLed and the
// sentinels promote a replica; the nodes, which know only the sentinels,
// follow it: every channel accepts and delivers again, presence is
// restored, and the ledger shows every event either delivered or
// refused with 503, none vanished (but those the master was running as
// it died; see runFailover). The short variant (make test) runs a
// few seconds of traffic over a dozen channels; FANOUT_CHAOS=1 a longer
// one over 34 channels and three nodes.
func TestSentinelFailover(t *testing.T) {
	s := StartSentinels(t, SentinelOptions{})
	victim := s.Data[0]
	old := s.MasterAddr()
	if old != victim.Addr() {
		t.Fatalf("sentinels name %q as the master, want %s", old, victim.Addr())
	}
	// The first node is given redis.sentinel, the second the Redis
	// client's URL form (the sentinels as hosts, master_set), the third
	// redis.sentinel again.
	a := s.Addrs()
	urlForm := fmt.Sprintf("redis://%s/0?addr=%s&addr=%s&master_set=%s", a[0], a[1], a[2], SentinelMaster)
	var nodes []*Node
	for i := range Pick(2, 3) {
		o := ServeOptions{Sentinel: s, NodeTTL: 5 * time.Second}
		if i == 1 {
			o = ServeOptions{RedisURL: urlForm, NodeTTL: 5 * time.Second}
		}
		nodes = append(nodes, Serve(t, o))
	}
	var channels []string
	for i := range Pick(10, 30) {
		channels = append(channels, fmt.Sprintf("s-%d", i))
	}
	r := runFailover(t, failover{
		nodes:    nodes,
		channels: channels,
		presence: Pick([]string{"presence-a", "presence-b"}, []string{"presence-a", "presence-b", "presence-c", "presence-d"}),
		clients:  Pick(2, 4),
		before:   Pick(time.Second, 3*time.Second),
		after:    Pick(time.Second, 5*time.Second),
		kill:     victim.Kill,
		promoted: func() bool { // the sentinels name a replica, and it answers as master
			a := s.MasterAddr()
			_, port, _ := net.SplitHostPort(a)
			p, _ := strconv.Atoi(port)
			return a != "" && a != old && s.Masters()[p]
		},
	})
	t.Logf("Sentinel (3 sentinels, quorum 2, down-after-milliseconds 1000): replica %s promoted %v after SIGKILL of master %s; %v",
		s.MasterAddr(), r.promoted, old, r)
}
