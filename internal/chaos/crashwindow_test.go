package chaos

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fanout/fanout/auth"
	"github.com/fanout/fanout/internal/ledger"
)

// defaultNodeTTL is the server's default redis.node_ttl, which this
// scenario leaves unset.
const defaultNodeTTL = 15 * time.Second

// Two nodes on one Redis with the default settings; the node holding
// subscribers of every channel is SIGKILLed while publishes flow through
// the other. Its listener entries refuse publishes to those channels until
// the crash is detected; that must take at most a third of redis.node_ttl
// (5 s by default), the refusals must say which node and for how long
// (with Retry-After), the surviving node must log them as a few summary
// lines rather than one per publish, and the ledger must be clean: the
// survivor's clients and the victim's clients, which move to the survivor,
// get every accepted event.
func TestNodeCrashRefusalWindow(t *testing.T) {
	rd := StartRedis(t)
	survivor := Serve(t, ServeOptions{RedisURL: rd.URL()})
	victim := Serve(t, ServeOptions{RedisURL: rd.URL()})
	victimID := nodeIDOf(t, victim)
	l := ledger.New()
	channels := []string{"crash-0", "crash-1", "crash-2"}
	dialSubscribed(t, survivor, l.Session("survivor-client"), channels)
	moving := dialSubscribed(t, victim, l.Session("victim-client"), channels)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pub := &Publisher{L: l, Node: func() *Node { return survivor }}
	wait := pub.Run(ctx, channels, 50*time.Millisecond)
	// Both nodes' subscriptions carry events before the kill.
	if _, ok := Eventually(10*time.Second, func() bool {
		for _, ch := range channels {
			if moving.Session.Count(ch) == 0 {
				return false
			}
		}
		return true
	}); !ok {
		t.Fatal("the victim's client got no event before the kill")
	}

	killed := time.Now()
	victim.Kill()
	// The victim's client moves to the survivor, as pusher-js does after
	// losing its connection.
	<-moving.Done()
	dialSubscribed(t, survivor, l.Session("moved-client"), channels)
	// While the crash is undetected, a publish is refused with a reason
	// that names the channel and the dead node, and a Retry-After.
	probe := probeRefusal(t, survivor, channels[0])

	var window time.Duration
	for _, ch := range channels {
		if _, ok := Eventually(3*defaultNodeTTL, func() bool { _, ok := l.FirstAcceptedAfter(ch, killed); return ok }); !ok {
			t.Fatalf("%s: no publish accepted within %v of the kill", ch, 3*defaultNodeTTL)
		}
		at, _ := l.FirstAcceptedAfter(ch, killed)
		window = max(window, at.Sub(killed))
	}
	// Run on a little past the window, so the ledger also judges
	// deliveries after the crash was detected.
	resumed := time.Now()
	Eventually(5*time.Second, func() bool {
		at, ok := l.FirstAcceptedAfter("", resumed.Add(time.Second))
		return ok && at.After(resumed)
	})
	cancel()
	wait()
	settle(l, 2*time.Second)
	_, refused, byStatus := l.Counts()
	t.Logf("default node_ttl: publishes refused until %v after SIGKILL (%d refused, by status %v); probe: %s",
		window.Round(time.Millisecond), refused, byStatus, probe)

	if window > defaultNodeTTL/3 {
		t.Errorf("the dead node's channels refused publishes for %v after SIGKILL, want at most node_ttl/3 (%v)", window, defaultNodeTTL/3)
	}
	if !probe.refused {
		t.Errorf("no publish refused after the kill: the listener check did not hold the dead node's channels")
	} else {
		if !strings.Contains(probe.body, channels[0]) || !strings.Contains(probe.body, victimID) {
			t.Errorf("503 body %q names neither the channel %q nor the dead node %q", probe.body, channels[0], victimID)
		}
		if s, err := strconv.Atoi(probe.retryAfter); err != nil || s < 1 || time.Duration(s)*time.Second > defaultNodeTTL {
			t.Errorf("Retry-After %q: want whole seconds, at least 1 and within node_ttl", probe.retryAfter)
		}
	}
	// The survivor summarises refusals instead of logging each one.
	lines := refusalLines(survivor.Output())
	t.Logf("the survivor's refusal log lines:\n%s", strings.Join(lines, "\n"))
	if refused >= 10 && len(lines)*4 > refused {
		t.Errorf("%d refusal log lines for %d refused publishes, want a summary per interval:\n%s", len(lines), refused, strings.Join(lines, "\n"))
	}
	for _, line := range lines {
		if !strings.Contains(line, victimID) {
			t.Errorf("refusal log line does not name the dead node %s: %s", victimID, line)
		}
	}
	r := l.Check(ledger.Options{Reasons: append(slices.Clone(ledger.Reasons), 1006)})
	t.Log(r)
	if !r.OK() || r.Accepted == 0 {
		t.Error(r)
	}
}

// dialSubscribed connects a client of session to n and subscribes it to
// the public channels.
func dialSubscribed(t *testing.T, n *Node, session *ledger.Session, channels []string) *Client {
	t.Helper()
	c, err := Dial(n.URL(), session, DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	for _, ch := range channels {
		if err := c.Subscribe(ch, "", 5*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

var nodeIDLine = regexp.MustCompile(`scale-out over Redis.* node=(\S+)`)

// nodeIDOf reads a node's directory id from its start-up log line.
func nodeIDOf(t *testing.T, n *Node) string {
	t.Helper()
	m := nodeIDLine.FindStringSubmatch(n.Output())
	if m == nil {
		t.Fatalf("no node id in the log of %s:\n%s", n.Name, n.Output())
	}
	return m[1]
}

// refusalLines are the WARN lines of a node's log about publishes the
// listener check refused.
func refusalLines(log string) []string {
	var out []string
	for line := range strings.SplitSeq(log, "\n") {
		if strings.Contains(line, "WARN") && strings.Contains(line, "refused") {
			out = append(out, line)
		}
	}
	return out
}

// refusal is one probe publish's answer.
type refusal struct {
	refused          bool
	body, retryAfter string
}

func (r refusal) String() string {
	if !r.refused {
		return "none refused"
	}
	return fmt.Sprintf("503 Retry-After %s %s", r.retryAfter, strings.TrimSpace(r.body))
}

// probeRefusal publishes a non-ledger event to channel through n until
// one is refused (503) or one is accepted (the window closed, or never
// opened), and returns the refusal.
func probeRefusal(t *testing.T, n *Node, channel string) refusal {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"name": "probe", "channel": channel, "data": "{}"})
	path := "/apps/" + AppID + "/events"
	var out refusal
	Eventually(5*time.Second, func() bool {
		q := auth.SignRequest("POST", path, nil, body, AppKey, AppSecret, time.Now())
		resp, err := http.Post("http://"+n.Addr+path+"?"+q.Encode(), "application/json", bytes.NewReader(body))
		if err != nil {
			return false
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusServiceUnavailable {
			out = refusal{refused: true, body: string(b), retryAfter: resp.Header.Get("Retry-After")}
		}
		return resp.StatusCode == http.StatusServiceUnavailable || resp.StatusCode == http.StatusOK
	})
	return out
}

// The other side of the crash window: a node that is merely stalled
// (SIGSTOP for twice the time after which a crashed node is detected,
// well within redis.node_ttl) keeps its Redis connections, so it is not
// taken for crashed: publishes to its channels through the other node
// are accepted all along (Redis still counts its subscription and
// queues the events for it), nobody reaps it, and after SIGCONT its
// clients get every accepted event, the ledger excusing nothing.
func TestNodeStalledNotTakenForCrashed(t *testing.T) {
	const stall = 4 * time.Second // crash detection takes 2 s with the defaults
	rd := StartRedis(t)
	survivor := Serve(t, ServeOptions{RedisURL: rd.URL()})
	stalled := Serve(t, ServeOptions{RedisURL: rd.URL()})
	l := ledger.New()
	channels := []string{"stall-0", "stall-1"}
	dialSubscribed(t, survivor, l.Session("survivor-client"), channels)
	held := dialSubscribed(t, stalled, l.Session("stalled-client"), channels)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pub := &Publisher{L: l, Node: func() *Node { return survivor }}
	wait := pub.Run(ctx, channels, 50*time.Millisecond)
	if _, ok := Eventually(10*time.Second, func() bool { return held.Session.Count(channels[0]) > 0 }); !ok {
		t.Fatal("the stalled node's client got no event before the stall")
	}

	stopped := time.Now()
	stalled.Signal(syscall.SIGSTOP)
	time.Sleep(stall) // the fault's length, not a wait for an outcome
	stalled.Signal(syscall.SIGCONT)
	thawed := time.Now()
	// Events accepted after SIGCONT reach the stalled node's client again.
	if _, ok := Eventually(10*time.Second, func() bool {
		_, ok := l.FirstDeliveredAfter(channels[0], thawed)
		return ok
	}); !ok {
		t.Fatal("no event accepted after SIGCONT reached every client")
	}
	cancel()
	wait()
	settle(l, 5*time.Second)
	acc, refused, byStatus := l.Counts()
	t.Logf("stalled %v: %d accepted, %d refused %v", stall, acc, refused, byStatus)
	if at, ok := l.FirstAcceptedAfter("", stopped.Add(stall/2)); !ok || at.After(thawed) {
		t.Errorf("no publish accepted while the node was stalled: its channels were held up")
	}
	if strings.Contains(survivor.Output(), "reaped a node") {
		t.Errorf("the survivor reaped the stalled node:\n%s", survivor.Output())
	}
	r := l.Check(ledger.Options{})
	t.Log(r)
	if !r.OK() || r.Accepted == 0 {
		t.Error(r)
	}
}
