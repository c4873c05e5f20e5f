package pusher_test

import (
	"runtime"
	"testing"
	"time"

	"github.com/fanout/fanout/internal/fantest"
)

// idleConns is the number of idle subscribed connections the goroutine
// bound is proven with. The clients run in a child process: in this one,
// 10,000 client sockets plus 10,000 server sockets would exceed the
// per-process open-file limit.
const idleConns = 10000

// maxGoroutines bounds the process: no goroutine per connection.
const maxGoroutines = 100

// TestIdleConnectionsFewGoroutines holds 10,000 idle subscribed
// connections open against an in-process node and requires the whole test
// process (server, test framework and all) to run fewer than 100
// goroutines.
func TestIdleConnectionsFewGoroutines(t *testing.T) {
	fewGoroutines(t, idleClients{})
}

// fewGoroutines holds idleConns idle connections of clients (addr set
// here) and requires fewer than maxGoroutines in this process.
func fewGoroutines(t *testing.T, clients idleClients) {
	n := fantest.Start(t, fantest.Config(), nil)
	clients.addr = n.Addr()
	clients.start(t, idleConns, 0) // returns once every one is subscribed
	waitConns(t, n, idleConns)
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
