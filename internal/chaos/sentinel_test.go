package chaos

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
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
		followed: func(ch string) bool { return s.Master().Subscribers("fanout", ch) == len(nodes) },
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

// SENTINEL FAILOVER: the master is alive and handed over; the sentinels
// demote it (closing its clients' connections) and promote a replica.
// The nodes follow as after a kill, and here nothing at all may be lost.
func TestSentinelManualFailover(t *testing.T) {
	s := StartSentinels(t, SentinelOptions{})
	oldMaster := s.Master()
	old := oldMaster.Addr()
	nodes := []*Node{
		Serve(t, ServeOptions{Sentinel: s, NodeTTL: 5 * time.Second}),
		Serve(t, ServeOptions{Sentinel: s, NodeTTL: 5 * time.Second}),
	}
	r := runFailover(t, failover{
		nodes:    nodes,
		channels: []string{"m-0", "m-1", "m-2", "m-3", "m-4", "m-5"},
		presence: []string{"presence-m"},
		clients:  2,
		before:   time.Second,
		after:    time.Second,
		graceful: true,
		followed: func(ch string) bool { // and none left on the demoted master
			return s.Master().Subscribers("fanout", ch) == len(nodes) && oldMaster.Subscribers("fanout", ch) == 0
		},
		kill: func() {
			if out, err := s.Sentinels[0].Do("SENTINEL", "FAILOVER", SentinelMaster); err != nil || out != "+OK" {
				t.Fatalf("SENTINEL FAILOVER: %q %v", out, err)
			}
		},
		promoted: func() bool {
			a := s.MasterAddr()
			_, port, _ := net.SplitHostPort(a)
			p, _ := strconv.Atoi(port)
			return a != "" && a != old && s.Masters()[p]
		},
	})
	t.Logf("SENTINEL FAILOVER: %s took over from %s after %v; %v", s.MasterAddr(), old, r.promoted, r)
}

// With passwords on the data nodes and on the sentinels, a node given
// both (redis.password, redis.sentinel.password) serves across nodes; one
// given a wrong sentinel password does not start (exit 1: the sentinels
// cannot be asked, which a supervisor may retry).
func TestSentinelAuth(t *testing.T) {
	s := StartSentinels(t, SentinelOptions{Replicas: 1, Password: "data-secret-1", SentinelPassword: "sentinel-secret-2"})
	a := Serve(t, ServeOptions{Sentinel: s})
	b := Serve(t, ServeOptions{Sentinel: s})
	c, err := Dial(b.URL(), nil, DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	if err := c.Subscribe("auth-ch", "", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if _, ok := Eventually(10*time.Second, func() bool { return a.Publish("auth-ch", "e", "through-a") == 200 }); !ok {
		t.Fatal("publish through the other node never accepted")
	}
	if _, ok := c.WaitFor(10*time.Second, func(e Event) bool { return e.Event == "e" && e.Data == "through-a" }); !ok {
		t.Fatal("the event published on one node never reached the other's client")
	}

	wrong := *s
	wrong.o.SentinelPassword = "not-it"
	cfg := filepath.Join(t.TempDir(), "fanout.yaml")
	if err := os.WriteFile(cfg, []byte(ServeOptions{Sentinel: &wrong}.yaml()), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(Binary(t), "serve", "--config", cfg, "--addr", "127.0.0.1:0", "--metrics-addr", "",
		"--redis-sentinel-master-name", SentinelMaster, "--redis-sentinel-addrs", strings.Join(s.Addrs(), ",")).CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(string(out), "redis.sentinel") || strings.Contains(string(out), "not-it") {
		t.Fatalf("wrong sentinel password: %v\n%s\nwant exit 1 naming redis.sentinel, the password not shown", err, out)
	}
}
