package pusher_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fanout/fanout/internal/fantest"
	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

// idleConns is the number of idle subscribed connections the goroutine
// bound is proven with. The clients run in a child process: in this one,
// 10,000 client sockets plus 10,000 server sockets would exceed the
// per-process open-file limit.
const idleConns = 10000

// maxGoroutines is the bound of issue 2: no goroutine per connection.
const maxGoroutines = 100

// TestIdleConnectionsFewGoroutines holds 10,000 idle subscribed
// connections open against an in-process node and requires the whole test
// process (server, test framework and all) to run fewer than 100
// goroutines.
func TestIdleConnectionsFewGoroutines(t *testing.T) {
	cfg := fantest.Config()
	n := fantest.Start(t, cfg, nil)
	app := cfg.Apps[0]

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestIdleClientsHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), "FANOUT_IDLE_URL="+n.URL(app.Key), "FANOUT_IDLE_N="+strconv.Itoa(idleConns))
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stdin.Close() // the child exits when its stdin closes
		_ = cmd.Wait()
	}()
	if line := readyLine(stdout); line != "READY" {
		stdin.Close()
		_ = cmd.Wait()
		t.Fatalf("client process: %q\n%s", line, stderr.String())
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()

	q := url.Values{"info": {"subscription_count"}}
	code, body := n.API(t, app, "GET", "/apps/"+app.ID+"/channels/idle", q, nil)
	if code != http.StatusOK || !strings.Contains(body, fmt.Sprintf(`"subscription_count":%d`, idleConns)) {
		t.Fatalf("channel info: %d %s, want %d subscriptions", code, body, idleConns)
	}
	// Pool workers that served the handshakes expire after their idle
	// time; wait for the count to settle, bounded by the hang guard.
	var g int
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if g = runtime.NumGoroutine(); g < maxGoroutines {
			break
		}
	}
	t.Logf("%d idle subscribed connections, %d goroutines in the process", idleConns, g)
	if g >= maxGoroutines {
		buf := make([]byte, 1<<20)
		t.Fatalf("%d goroutines with %d idle connections, want < %d\n%s",
			g, idleConns, maxGoroutines, buf[:runtime.Stack(buf, true)])
	}
}

func readyLine(r io.Reader) string {
	line, _ := bufio.NewReader(r).ReadString('\n')
	return strings.TrimSpace(line)
}

// TestIdleClientsHelper is the client process of
// TestIdleConnectionsFewGoroutines; it does nothing unless started by it.
// It opens the connections from source addresses 127.0.0.2 onwards (1,000
// each, far from the ephemeral port limit), subscribes each to "idle",
// prints READY and holds them until its stdin closes.
func TestIdleClientsHelper(t *testing.T) {
	rawURL := os.Getenv("FANOUT_IDLE_URL")
	if rawURL == "" {
		return // not the child process
	}
	count, _ := strconv.Atoi(os.Getenv("FANOUT_IDLE_N"))
	conns := make([]net.Conn, count)
	var wg sync.WaitGroup
	errs := make(chan error, 1)
	const workers = 32
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < count; i += workers {
				c, err := dialIdleSubscriber(rawURL, net.IPv4(127, 0, 0, byte(2+i/1000)))
				if err != nil {
					select {
					case errs <- fmt.Errorf("connection %d: %w", i, err):
					default:
					}
					return
				}
				conns[i] = c
			}
		}()
	}
	wg.Wait()
	select {
	case err := <-errs:
		fmt.Println("ERROR", err)
		return
	default:
	}
	fmt.Println("READY")
	done := make(chan struct{})
	go func() { _, _ = io.Copy(io.Discard, os.Stdin); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Minute): // hang guard if the parent died
	}
	for _, c := range conns {
		c.Close()
	}
}

// dialIdleSubscriber connects from src, subscribes to "idle" and returns the idle
// connection.
func dialIdleSubscriber(rawURL string, src net.IP) (net.Conn, error) {
	d := ws.Dialer{Timeout: 30 * time.Second, NetDial: func(ctx context.Context, network, addr string) (net.Conn, error) {
		nd := net.Dialer{LocalAddr: &net.TCPAddr{IP: src}}
		return nd.DialContext(ctx, network, addr)
	}}
	conn, br, _, err := d.Dial(context.Background(), rawURL)
	if err != nil {
		return nil, err
	}
	var r io.Reader = conn
	if br != nil {
		r = io.MultiReader(br, conn)
	}
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	rw := struct {
		io.Reader
		io.Writer
	}{r, conn}
	for _, want := range []string{"pusher:connection_established", "pusher_internal:subscription_succeeded"} {
		if want != "pusher:connection_established" {
			if err := wsutil.WriteClientText(conn, []byte(`{"event":"pusher:subscribe","data":{"channel":"idle"}}`)); err != nil {
				conn.Close()
				return nil, err
			}
		}
		b, err := wsutil.ReadServerText(rw)
		if err != nil || !strings.Contains(string(b), want) {
			conn.Close()
			return nil, fmt.Errorf("waiting for %s: %q %v", want, b, err)
		}
	}
	_ = conn.SetDeadline(time.Time{})
	return conn, nil
}
