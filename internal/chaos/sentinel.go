package chaos

import (
	"cmp"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fanout/fanout/internal/fantest"
)

const sentinelHint = "redis-sentinel not found: install it with `apt-get install -y redis-sentinel` (make deps does)"

// SentinelMaster is the name the sentinels of StartSentinels monitor.
const SentinelMaster = "fanout-master"

// Sentinels is a Redis master with replicas, watched by redis-sentinel
// processes (https://redis.io/docs/latest/operate/oss_and_stack/management/sentinel/).
type Sentinels struct {
	Data      []*Redis // Data[0] was started as the master
	Sentinels []*Redis // redis-sentinel processes
	o         SentinelOptions
}

// SentinelOptions tune StartSentinels; the zero value is one master, two
// replicas, three sentinels with quorum 2, down-after-milliseconds 1000
// and failover-timeout 5000.
type SentinelOptions struct {
	Replicas        int           // default 2
	Sentinels       int           // default 3
	Quorum          int           // default a majority of Sentinels
	DownAfter       time.Duration // down-after-milliseconds; default 1s
	FailoverTimeout time.Duration // failover-timeout; default 5s
	// Password is the data nodes' requirepass (and the replicas'
	// masterauth, the sentinels' auth-pass); default none.
	Password string
	// SentinelPassword is the sentinels' requirepass; default none.
	SentinelPassword string
}

// StartSentinels starts a master, its replicas and the sentinels, and
// waits until the replicas are in sync and every sentinel knows every
// replica and every other sentinel (without which a failover cannot be
// authorised).
func StartSentinels(t testing.TB, o SentinelOptions) *Sentinels {
	t.Helper()
	if _, err := exec.LookPath("redis-sentinel"); err != nil {
		t.Fatal(sentinelHint)
	}
	o.Replicas = cmp.Or(o.Replicas, 2)
	o.Sentinels = cmp.Or(o.Sentinels, 3)
	o.Quorum = cmp.Or(o.Quorum, o.Sentinels/2+1)
	o.DownAfter = cmp.Or(o.DownAfter, time.Second)
	o.FailoverTimeout = cmp.Or(o.FailoverTimeout, 5*time.Second)

	// A full sync writes an RDB file even without persistence: keep it
	// out of the working directory.
	args := []string{"--dir", t.TempDir()}
	if o.Password != "" {
		args = append(args, "--requirepass", o.Password, "--masterauth", o.Password)
	}
	s := &Sentinels{Data: []*Redis{startRedis(t, o.Password, args...)}, o: o}
	master := s.Data[0]
	for range o.Replicas {
		s.Data = append(s.Data, startRedis(t, o.Password, append(args, "--replicaof", "127.0.0.1", strconv.Itoa(master.Port))...))
	}
	if _, ok := Eventually(30*time.Second, func() bool {
		for _, r := range s.Data[1:] {
			if info, err := r.Do("INFO", "replication"); err != nil || !strings.Contains(info, "master_link_status:up") {
				return false
			}
		}
		return true
	}); !ok {
		t.Fatalf("replicas not in sync with the master within 30s")
	}
	dir := t.TempDir()
	for i := range o.Sentinels {
		r := &Redis{Port: fantest.FreeClusterPort(t), bin: "redis-sentinel", pass: o.SentinelPassword, t: t}
		conf := filepath.Join(dir, fmt.Sprintf("sentinel-%d.conf", i)) // sentinel rewrites its file
		m := SentinelMaster
		text := strings.Join([]string{
			fmt.Sprintf("port %d", r.Port), "bind 127.0.0.1", "protected-mode no", "dir " + dir,
			fmt.Sprintf("sentinel monitor %s 127.0.0.1 %d %d", m, master.Port, o.Quorum),
			fmt.Sprintf("sentinel down-after-milliseconds %s %d", m, o.DownAfter.Milliseconds()),
			fmt.Sprintf("sentinel failover-timeout %s %d", m, o.FailoverTimeout.Milliseconds()),
			fmt.Sprintf("sentinel parallel-syncs %s %d", m, o.Replicas),
		}, "\n") + "\n"
		if o.Password != "" {
			text += fmt.Sprintf("sentinel auth-pass %s %s\n", m, o.Password)
		}
		if o.SentinelPassword != "" { // sentinels authenticate to each other with their own
			text += fmt.Sprintf("requirepass %s\n", o.SentinelPassword)
		}
		if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		r.args = []string{conf}
		r.start()
		s.Sentinels = append(s.Sentinels, r)
	}
	if _, ok := Eventually(60*time.Second, func() bool {
		for _, r := range s.Sentinels {
			m, err := r.fields("SENTINEL", "MASTER", SentinelMaster)
			if err != nil || m["num-slaves"] != strconv.Itoa(o.Replicas) ||
				m["num-other-sentinels"] != strconv.Itoa(o.Sentinels-1) {
				return false
			}
		}
		return true
	}); !ok {
		t.Fatalf("sentinels did not discover %d replicas and each other within 60s", o.Replicas)
	}
	return s
}

// yaml is the redis section a node needs for the passwords, "" without.
func (s *Sentinels) yaml() string {
	if s.o.Password == "" && s.o.SentinelPassword == "" {
		return ""
	}
	return fmt.Sprintf("redis:\n  password: %q\n  sentinel:\n    password: %q\n", s.o.Password, s.o.SentinelPassword)
}

// Addrs are the sentinels' host:port.
func (s *Sentinels) Addrs() []string {
	var out []string
	for _, r := range s.Sentinels {
		out = append(out, r.Addr())
	}
	return out
}

// MasterAddr is the master's host:port as the first live sentinel names
// it (SENTINEL GET-MASTER-ADDR-BY-NAME), "" if none answers.
func (s *Sentinels) MasterAddr() string {
	for _, r := range s.Sentinels {
		if r.Exited() {
			continue
		}
		if a, err := r.array("SENTINEL", "GET-MASTER-ADDR-BY-NAME", SentinelMaster); err == nil && len(a) == 2 {
			return net.JoinHostPort(a[0], a[1])
		}
	}
	return ""
}

// Masters returns the live data nodes that say they are masters (INFO
// replication), by port.
func (s *Sentinels) Masters() map[int]bool {
	m := map[int]bool{}
	for _, r := range s.Data {
		if r.Exited() {
			continue
		}
		if info, err := r.Do("INFO", "replication"); err == nil && strings.Contains(info, "role:master") {
			m[r.Port] = true
		}
	}
	return m
}

// Master returns the live data node the sentinels name as the master,
// nil if none.
func (s *Sentinels) Master() *Redis {
	a := s.MasterAddr()
	for _, r := range s.Data {
		if r.Addr() == a && !r.Exited() {
			return r
		}
	}
	return nil
}

// Subscribers returns how many connections r has subscribed to the
// Redis channel of a fanout channel of the chaos app (PUBSUB NUMSUB),
// -1 when r is nil or does not answer.
func (r *Redis) Subscribers(prefix, channel string) int {
	if r == nil {
		return -1
	}
	a, err := r.array("PUBSUB", "NUMSUB", prefix+":c:"+AppID+":"+channel)
	if err != nil || len(a) != 2 {
		return -1
	}
	n, err := strconv.Atoi(a[1])
	if err != nil {
		return -1
	}
	return n
}

// array sends one command and reads a reply that is a flat array of bulk
// strings and integers (as Sentinel's commands and PUBSUB NUMSUB answer),
// integers as their text.
func (r *Redis) array(args ...string) ([]string, error) {
	c, br, err := r.send(args...)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	head, err := br.ReadString('\n')
	if err != nil {
		return nil, err
	}
	head = strings.TrimRight(head, "\r\n")
	if !strings.HasPrefix(head, "*") {
		return nil, fmt.Errorf("%s: %s", strings.Join(args, " "), head)
	}
	n, _ := strconv.Atoi(head[1:])
	out := make([]string, 0, max(n, 0))
	for range n {
		line, err := br.ReadString('\n')
		if err != nil {
			return nil, err
		}
		line = strings.TrimRight(line, "\r\n")
		if strings.HasPrefix(line, ":") { // an integer, as text
			out = append(out, line[1:])
			continue
		}
		size, err := strconv.Atoi(line[min(1, len(line)):])
		if err != nil || !strings.HasPrefix(line, "$") || size < 0 {
			return nil, fmt.Errorf("%s: not a bulk string: %q", strings.Join(args, " "), line)
		}
		buf := make([]byte, size+2)
		if _, err := io.ReadFull(br, buf); err != nil {
			return nil, err
		}
		out = append(out, string(buf[:size]))
	}
	return out, nil
}

// fields reads a reply of alternating names and values.
func (r *Redis) fields(args ...string) (map[string]string, error) {
	a, err := r.array(args...)
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(a)/2)
	for i := 0; i+1 < len(a); i += 2 {
		m[a[i]] = a[i+1]
	}
	return m, nil
}
