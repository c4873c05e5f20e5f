package pusher_test

// Idle clients in a child process, for tests that need more connections
// than one process may hold both ends of (the open-file limit is 20,000):
// the child is this test binary again, running TestHelperIdleClients.

import (
	"bufio"
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fanout/fanout/auth"
	"github.com/fanout/fanout/config"
	"github.com/fanout/fanout/internal/fantest"
	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

// waitConns waits (bounded) until the node holds exactly want upgraded
// connections.
func waitConns(t *testing.T, n *fantest.Node, want int) {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); {
		if n.Pusher.Conns() == want {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("node holds %d connections, want %d", n.Pusher.Conns(), want)
}

// idleClients describes the connections of a child client process.
// With authed, connection i carries a JWT (HS256 with the development
// app's secret, in the token query parameter) for user idleUser(i) with
// the grant "private-<user>.*", and every presenceEvery-th one also joins
// presence-idle-<i/presenceEvery%100> as that user, signed with the
// Pusher HMAC.
//
// With caFile set (a PEM file), the connections are wss://, trusting
// that CA; "" or "-" means plain ws://.
type idleClients struct {
	addr          string
	authed        bool
	presenceEvery int  // 0: none
	sse           bool // event streams instead of WebSockets
	caFile        string
	tls           *tls.Config // made from caFile in the child
}

// idleUser is connection i's user id: 6 characters, like many real ids.
func idleUser(i int) string { return fmt.Sprintf("u%05d", i) }

// start runs a child process holding count connections (i from first)
// and waits until every one is subscribed.
func (ic idleClients) start(t *testing.T, count, first int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelperIdleClients$", "-test.v=false")
	cmd.Env = append(os.Environ(), fmt.Sprintf("FANOUT_IDLE_CLIENTS=%s %d %d %t %d %t %s", ic.addr, count, first, ic.authed, ic.presenceEvery, ic.sse, cmp.Or(ic.caFile, "-")))
	stdin, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); cancel(); _ = cmd.Wait() })
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "idle-clients:") {
				ready <- sc.Text()
			}
		}
		close(ready)
	}()
	select {
	case line, ok := <-ready:
		if !ok || !strings.HasSuffix(line, " ok") {
			t.Fatalf("client process: %q", line)
		}
	case <-time.After(3 * time.Minute):
		t.Fatal("client process never reported")
	}
}

// TestHelperIdleClients is the client process of idleClients.start and
// does nothing in a normal run.
func TestHelperIdleClients(t *testing.T) {
	spec := os.Getenv("FANOUT_IDLE_CLIENTS")
	if spec == "" {
		return
	}
	var ic idleClients
	var count, first int
	if _, err := fmt.Sscan(spec, &ic.addr, &count, &first, &ic.authed, &ic.presenceEvery, &ic.sse, &ic.caFile); err != nil {
		fmt.Println("idle-clients: bad spec", spec)
		os.Exit(2)
	}
	if ic.caFile != "-" {
		pem, _ := os.ReadFile(ic.caFile)
		ic.tls = &tls.Config{RootCAs: x509.NewCertPool()}
		ic.tls.RootCAs.AppendCertsFromPEM(pem)
	}
	conns, failed, firstErr := ic.hold(count, first)
	if failed > 0 {
		fmt.Printf("idle-clients: %d of %d failed, first: %v\n", failed, count, firstErr)
	} else {
		fmt.Printf("idle-clients: %d ok\n", len(conns))
	}
	_, _ = io.Copy(io.Discard, os.Stdin) // hold until the parent closes stdin
	for _, c := range conns {
		c.Close()
	}
	os.Exit(0)
}

// hold dials count connections, 64 at a time, and subscribes each.
func (ic idleClients) hold(count, first int) ([]net.Conn, int, error) {
	var mu sync.Mutex
	var conns []net.Conn
	var firstErr error
	failed := 0
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				c, err := ic.dial(i)
				mu.Lock()
				if err != nil {
					failed++
					if firstErr == nil {
						firstErr = err
					}
				} else {
					conns = append(conns, c)
				}
				mu.Unlock()
			}
		}()
	}
	for i := first; i < first+count; i++ {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return conns, failed, firstErr
}

// dial connects client i from 127.0.0.(2+i/1000), so no source address
// comes near the ephemeral port limit, and subscribes it to idle-<i%100>
// (over wss:// with ic.tls)
// (and, for authenticated clients, every presenceEvery-th to presence-idle-<i/presenceEvery%100>).
func (ic idleClients) dial(i int) (net.Conn, error) {
	src := net.IPv4(127, 0, 0, byte(2+i/1000))
	if ic.sse {
		return dialIdleStream(ic.addr, src, i)
	}
	scheme := "ws://"
	if ic.tls != nil {
		scheme = "wss://"
	}
	d := ws.Dialer{Timeout: 30 * time.Second, TLSConfig: ic.tls, NetDial: func(ctx context.Context, network, a string) (net.Conn, error) {
		nd := net.Dialer{LocalAddr: &net.TCPAddr{IP: src}}
		return nd.DialContext(ctx, network, a)
	}}
	url := scheme + ic.addr + "/app/" + config.DevAppKey + "?protocol=7&client=idle&version=1"
	user := idleUser(i)
	if ic.authed {
		tok, err := auth.Mint(config.DevAppSecret, auth.MintOptions{Subject: user, Channels: []string{"private-" + user + ".*"}})
		if err != nil {
			return nil, err
		}
		url += "&token=" + tok
	}
	conn, br, _, err := d.Dial(context.Background(), url)
	if err != nil {
		return nil, err
	}
	var rw io.ReadWriter = conn
	if br != nil {
		rw = struct {
			io.Reader
			io.Writer
		}{br, conn}
	}
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	socketID, err := readSocketID(rw)
	if err == nil {
		err = subscribeIdle(rw, map[string]string{"channel": "idle-" + strconv.Itoa(i%100)})
	}
	if err == nil && ic.authed && ic.presenceEvery > 0 && i%ic.presenceEvery == 0 {
		ch := "presence-idle-" + strconv.Itoa(i/ic.presenceEvery%100)
		data := `{"user_id":"` + user + `"}`
		err = subscribeIdle(rw, map[string]string{"channel": ch, "channel_data": data,
			"auth": auth.SignChannel(config.DevAppKey, config.DevAppSecret, socketID, ch, data)})
	}
	if err != nil {
		conn.Close()
		return nil, err
	}
	_ = conn.SetDeadline(time.Time{})
	return conn, nil
}

// readSocketID reads connection_established and returns its socket id.
func readSocketID(rw io.ReadWriter) (string, error) {
	for {
		b, err := wsutil.ReadServerText(rw)
		if err != nil {
			return "", err
		}
		var ev struct{ Event, Data string }
		if json.Unmarshal(b, &ev) != nil || ev.Event != "pusher:connection_established" {
			continue
		}
		var d struct {
			SocketID string `json:"socket_id"`
		}
		err = json.Unmarshal([]byte(ev.Data), &d)
		return d.SocketID, err
	}
}

// subscribeIdle subscribes and waits for the success (or fails on an
// error event).
func subscribeIdle(rw io.ReadWriter, data map[string]string) error {
	sub, _ := json.Marshal(map[string]any{"event": "pusher:subscribe", "data": data})
	if err := wsutil.WriteClientText(rw, sub); err != nil {
		return err
	}
	for {
		b, err := wsutil.ReadServerText(rw)
		if err != nil {
			return err
		}
		switch {
		case strings.Contains(string(b), "subscription_succeeded"):
			return nil
		case strings.Contains(string(b), "subscription_error"), strings.Contains(string(b), `"pusher:error"`):
			return fmt.Errorf("subscribe %s: %s", data["channel"], b)
		}
	}
}
