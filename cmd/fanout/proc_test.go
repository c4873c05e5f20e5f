package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fanout/fanout/auth"
	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

// proc is a real `fanout serve` process whose log lines a test reads.
type proc struct {
	cmd   *exec.Cmd
	addr  string
	mu    sync.Mutex
	lines []string
	more  chan struct{} // closed and replaced when a line arrives
}

// procBin is the binary startProc runs, built once per test process.
var procBin struct {
	once sync.Once
	dir  string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if procBin.dir != "" {
		os.RemoveAll(procBin.dir)
	}
	os.Exit(code)
}

// builtBinary builds this command once and returns its path.
func builtBinary(t *testing.T) string {
	t.Helper()
	procBin.once.Do(func() {
		if procBin.dir, procBin.err = os.MkdirTemp("", "fanout-bin-"); procBin.err != nil {
			return
		}
		out, err := exec.Command("go", "build", "-o", filepath.Join(procBin.dir, "fanout"), ".").CombinedOutput()
		if err != nil {
			procBin.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if procBin.err != nil {
		t.Fatal(procBin.err)
	}
	return filepath.Join(procBin.dir, "fanout")
}

// startProc runs `fanout serve` with env added to this process's
// environment; it returns once the node serves.
func startProc(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	bin := builtBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	// A loaded CI machine may take seconds to answer 16 upgrades at once:
	// these tests are not about the upgrade timeout.
	argv := append([]string{"serve", "--addr", "127.0.0.1:0", "--metrics-addr", "", "--log-level", "info",
		"--upgrade-timeout", "30s"}, args...)
	p := &proc{cmd: exec.CommandContext(ctx, bin, argv...), more: make(chan struct{})}
	p.cmd.Env = append(os.Environ(), env...)
	stderr, _ := p.cmd.StderrPipe()
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.cmd.Process.Kill(); _ = p.cmd.Wait() })
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.mu.Lock()
			p.lines = append(p.lines, sc.Text())
			close(p.more)
			p.more = make(chan struct{})
			p.mu.Unlock()
		}
	}()
	line := p.waitLine(t, 0, "fanout serving")
	p.addr = regexp.MustCompile(`addr=(\S+)`).FindStringSubmatch(line)[1]
	return p
}

// mark is the number of lines logged so far, for waitLine.
func (p *proc) mark() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.lines)
}

// waitLine returns the first line logged after the first from lines
// that contains s; it fails the test after 30 s.
func (p *proc) waitLine(t *testing.T, from int, s string) string {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		p.mu.Lock()
		for _, l := range p.lines[from:] {
			if strings.Contains(l, s) {
				p.mu.Unlock()
				return l
			}
		}
		from = len(p.lines)
		more := p.more
		p.mu.Unlock()
		select {
		case <-more:
		case <-deadline:
			t.Fatalf("the server never logged %q", s)
		}
	}
}

// log is everything logged so far.
func (p *proc) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lines, "\n")
}

// pconn is one Pusher-protocol WebSocket client.
type pconn struct {
	*heldConn
	socketID string
}

// dialApp opens a connection to the app with this key and waits for
// pusher:connection_established.
func dialApp(addr, key string) (*pconn, error) {
	d := ws.Dialer{Timeout: 30 * time.Second}
	conn, br, _, err := d.Dial(context.Background(), "ws://"+addr+"/app/"+key+"?protocol=7&client=reload&version=1")
	if err != nil {
		return nil, fmt.Errorf("upgrade: %w", err)
	}
	h := &heldConn{Conn: conn, r: conn}
	if br != nil {
		h.r = br
	}
	c := &pconn{heldConn: h}
	ev, data, err := c.next()
	if err != nil || ev != "pusher:connection_established" {
		conn.Close()
		return nil, fmt.Errorf("first event %q %s: %v", ev, data, err)
	}
	var est struct {
		SocketID string `json:"socket_id"`
	}
	_ = json.Unmarshal([]byte(data), &est)
	c.socketID = est.SocketID
	return c, nil
}

// next reads the next Pusher event: its name and data (a JSON string's
// contents).
func (c *pconn) next() (string, string, error) {
	_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
	b, err := wsutil.ReadServerText(c)
	if err != nil {
		return "", "", err
	}
	var ev struct {
		Event string          `json:"event"`
		Data  json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(b, &ev); err != nil {
		return "", "", err
	}
	var s string
	if json.Unmarshal(ev.Data, &s) != nil {
		s = string(ev.Data)
	}
	return ev.Event, s, nil
}

// send writes one Pusher event.
func (c *pconn) send(event string, data any) error {
	b, _ := json.Marshal(map[string]any{"event": event, "data": data})
	return wsutil.WriteClientText(c, b)
}

// answer sends event and returns the name of the first reply whose name
// is one of names.
func (c *pconn) answer(event string, data any, names ...string) (string, error) {
	if err := c.send(event, data); err != nil {
		return "", err
	}
	for {
		ev, _, err := c.next()
		if err != nil {
			return "", err
		}
		for _, n := range names {
			if ev == n {
				return ev, nil
			}
		}
	}
}

// curlPublish publishes one event with curl, signed with secret as a
// Pusher server SDK signs (https://pusher.com/docs/channels/library_auth_reference/rest-api/),
// and returns the HTTP status.
func curlPublish(t *testing.T, addr, appID, key, secret, channel string) int {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"name": "note", "channel": channel, "data": `{"n":1}`})
	path := "/apps/" + appID + "/events"
	q := auth.SignRequest("POST", path, nil, body, key, secret, time.Now())
	out, err := exec.Command("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-m", "10",
		"-H", "Content-Type: application/json", "--data-binary", string(body),
		"http://"+addr+path+"?"+q.Encode()).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("curl: %v %s", err, ee.Stderr)
		}
		t.Fatalf("curl: %v", err)
	}
	var code int
	fmt.Sscan(string(out), &code)
	return code
}

// writeConfig writes body to path (replacing it, as an operator's
// editor or a config management tool does).
func writeConfig(t *testing.T, path, body string) {
	t.Helper()
	tmp := path + ".new"
	if err := os.WriteFile(tmp, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// dialMany opens n connections with dial, 16 at a time, and fails the
// test on the first error.
func dialMany[C any](t *testing.T, n int, dial func() (C, error)) []C {
	t.Helper()
	open := make([]C, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 16 {
				c, err := dial()
				if err != nil {
					errs <- err
					return
				}
				open[i] = c
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("dial: %v", err)
	}
	return open
}

// unanswered pings every connection (pingPong, which closes it) and
// returns how many did not answer.
func unanswered(conns []*heldConn) int {
	var wg sync.WaitGroup
	lost := make(chan int, len(conns))
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if !pingPong(c) {
				lost <- i
			}
		}()
	}
	wg.Wait()
	return len(lost)
}

// mustServe checks that app id (key id+"-key") takes a connection and a
// publish signed with secret.
func mustServe(t *testing.T, addr, id, secret string) {
	t.Helper()
	c, err := dialApp(addr, id+"-key")
	if err != nil {
		t.Fatalf("app %s refuses connections: %v", id, err)
	}
	c.Close()
	if code := curlPublish(t, addr, id, id+"-key", secret, "c"); code != 200 {
		t.Fatalf("publish to app %s: %d", id, code)
	}
}
