package chaos

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// One source address in a tight reconnect loop (laravel/reverb#269: a
// browser's loop took every descriptor and broadcasting failed): 10,000
// upgrade attempts from 127.0.0.2, eight at a time, each socket kept open
// whatever the answer (as a page that builds a new client on every render
// does). The node (a real `fanout serve`) answers 429 past the address's
// 500 connections and its upgrade rate, holds under 1,000 descriptors
// throughout (read from /proc/PID/fd), and serves another address's
// clients meanwhile: they connect, subscribe and receive every event.
func TestIPReconnectLoopKeepsDescriptors(t *testing.T) {
	const attempts, parallel, perIP = 10_000, 8, 500
	n := Serve(t, ServeOptions{Config: fmt.Sprintf("limits:\n  exempt: []\n  max_connections_per_ip: %d\n", perIP)})
	fdDir := fmt.Sprintf("/proc/%d/fd", n.Pid())

	var maxFDs atomic.Int64
	sample := func() {
		if es, err := os.ReadDir(fdDir); err == nil && int64(len(es)) > maxFDs.Load() {
			maxFDs.Store(int64(len(es)))
		}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // sample the node's descriptors until the flood ends
		defer wg.Done()
		for {
			select {
			case <-stop:
				sample()
				return
			case <-time.After(5 * time.Millisecond):
				sample()
			}
		}
	}()

	var upgraded, refused, other atomic.Int64
	var held sync.Map // every socket of the loop stays open until the end
	var next atomic.Int64
	var flood sync.WaitGroup
	req := "GET /app/" + AppKey + "?protocol=7 HTTP/1.1\r\nHost: " + n.Addr + "\r\nUpgrade: websocket\r\n" +
		"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	for range parallel {
		flood.Add(1)
		go func() {
			defer flood.Done()
			d := net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}
			for i := next.Add(1); i <= attempts; i = next.Add(1) {
				c, err := d.Dial("tcp", n.Addr)
				if err != nil {
					other.Add(1)
					continue
				}
				held.Store(i, c)
				_ = c.SetDeadline(time.Now().Add(10 * time.Second))
				status, err := statusLine(c, req)
				switch {
				case err == nil && strings.HasPrefix(status, "HTTP/1.1 101"):
					upgraded.Add(1)
				case err == nil && strings.HasPrefix(status, "HTTP/1.1 429") && strings.Contains(status, "Retry-After: "):
					refused.Add(1)
				default:
					other.Add(1)
				}
			}
		}()
	}

	// Meanwhile another address's clients connect and receive.
	served := 0
	for round := 0; round < 20; round++ {
		c, err := Dial(n.URL(), nil, DialOptions{Local: "127.0.0.3"})
		if err != nil {
			t.Fatalf("round %d: a client of another address could not connect: %v", round, err)
		}
		ch := fmt.Sprintf("other-%d", round)
		if err := c.Subscribe(ch, "", 10*time.Second); err != nil {
			t.Fatalf("round %d: subscribe: %v", round, err)
		}
		if st := n.Publish(ch, "news", "hello"); st != 200 {
			t.Fatalf("round %d: publish answered %d", round, st)
		}
		if _, ok := c.WaitFor(10*time.Second, func(e Event) bool { return e.Event == "news" }); !ok {
			t.Fatalf("round %d: the event never reached the other address's client", round)
		}
		served++
	}
	flood.Wait()
	close(stop)
	wg.Wait()
	held.Range(func(_, c any) bool { c.(net.Conn).Close(); return true })

	t.Logf("%d attempts: %d upgraded, %d answered 429, %d other; node's descriptors at most %d; other address served %d/20",
		attempts, upgraded.Load(), refused.Load(), other.Load(), maxFDs.Load(), served)
	if upgraded.Load() > perIP {
		t.Errorf("%d upgrades from one address, over its %d", upgraded.Load(), perIP)
	}
	if refused.Load() < attempts-perIP-other.Load() || other.Load() > attempts/100 {
		t.Errorf("refused %d with 429 and %d otherwise, want every attempt past the limit answered 429", refused.Load(), other.Load())
	}
	if m := maxFDs.Load(); m >= 1000 || m == 0 {
		t.Errorf("the node held up to %d descriptors, want under 1,000", m)
	}
}

// statusLine sends req on c and returns the response head.
func statusLine(c net.Conn, req string) (string, error) {
	if _, err := c.Write([]byte(req)); err != nil {
		return "", err
	}
	br := bufio.NewReader(c)
	var head strings.Builder
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return head.String(), err
		}
		head.WriteString(line)
		if line == "\r\n" {
			return head.String(), nil
		}
	}
}
