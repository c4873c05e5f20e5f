package pusher_test

// Idle clients in a child process, for tests that need more connections
// than one process may hold both ends of (the open-file limit is 20,000):
// the child is this test binary again, running TestHelperIdleClients.

import (
	"bufio"
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

// startIdleClients runs a child process holding count subscribed
// connections (channel idle-<i%100>, i from first) and waits until they
// are all subscribed; the child exits when the test ends.
func startIdleClients(t *testing.T, addr string, count, first int) {
	t.Helper()
	startIdleClientsTLS(t, addr, count, first, "-")
}

// startIdleClientsTLS is startIdleClients over wss://, trusting the CA in
// the PEM file caFile ("-" for plain ws://).
func startIdleClientsTLS(t *testing.T, addr string, count, first int, caFile string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelperIdleClients$", "-test.v=false")
	cmd.Env = append(os.Environ(), fmt.Sprintf("FANOUT_IDLE_CLIENTS=%s %d %d %s", addr, count, first, caFile))
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

// TestHelperIdleClients is the client process of startIdleClients and
// does nothing in a normal run.
func TestHelperIdleClients(t *testing.T) {
	spec := os.Getenv("FANOUT_IDLE_CLIENTS")
	if spec == "" {
		return
	}
	var addr, caFile string
	var count, first int
	if _, err := fmt.Sscan(spec, &addr, &count, &first, &caFile); err != nil {
		fmt.Println("idle-clients: bad spec", spec)
		os.Exit(2)
	}
	var cfg *tls.Config
	if caFile != "-" {
		pem, _ := os.ReadFile(caFile)
		cfg = &tls.Config{RootCAs: x509.NewCertPool()}
		cfg.RootCAs.AppendCertsFromPEM(pem)
	}
	conns, failed := holdIdleClients(addr, count, first, cfg)
	if failed > 0 {
		fmt.Printf("idle-clients: %d of %d failed\n", failed, count)
	} else {
		fmt.Printf("idle-clients: %d ok\n", len(conns))
	}
	_, _ = io.Copy(io.Discard, os.Stdin) // hold until the parent closes stdin
	for _, c := range conns {
		c.Close()
	}
	os.Exit(0)
}

// holdIdleClients dials count connections, 64 at a time, and subscribes
// each to one channel.
func holdIdleClients(addr string, count, first int, cfg *tls.Config) ([]net.Conn, int) {
	var mu sync.Mutex
	var conns []net.Conn
	failed := 0
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				c, err := idleClient(addr, i, cfg)
				mu.Lock()
				if err != nil {
					failed++
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
	return conns, failed
}

// idleClient connects from 127.0.0.(2+i/1000), so no source address
// comes near the ephemeral port limit, and subscribes to idle-<i%100>;
// over wss:// when cfg is set.
func idleClient(addr string, i int, cfg *tls.Config) (net.Conn, error) {
	src := net.IPv4(127, 0, 0, byte(2+i/1000))
	scheme := "ws://"
	if cfg != nil {
		scheme = "wss://"
	}
	d := ws.Dialer{Timeout: 30 * time.Second, TLSConfig: cfg, NetDial: func(ctx context.Context, network, a string) (net.Conn, error) {
		nd := net.Dialer{LocalAddr: &net.TCPAddr{IP: src}}
		return nd.DialContext(ctx, network, a)
	}}
	conn, br, _, err := d.Dial(context.Background(), scheme+addr+"/app/app-key?protocol=7&client=idle&version=1")
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
	sub, _ := json.Marshal(map[string]any{"event": "pusher:subscribe", "data": map[string]string{"channel": "idle-" + strconv.Itoa(i%100)}})
	if err := wsutil.WriteClientText(rw, sub); err != nil {
		conn.Close()
		return nil, err
	}
	for {
		b, err := wsutil.ReadServerText(rw)
		if err != nil {
			conn.Close()
			return nil, err
		}
		if strings.Contains(string(b), "subscription_succeeded") {
			_ = conn.SetDeadline(time.Time{})
			return conn, nil
		}
	}
}
