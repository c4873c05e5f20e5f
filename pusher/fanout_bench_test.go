package pusher

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/fanout/fanout/broker"
	"github.com/fanout/fanout/frame"
	"golang.org/x/sys/unix"
)

// BenchmarkPublish10kSubscribers measures the delivery of one event to a
// channel with 10,000 local subscribers: one encode, a snapshot, writes
// spread over the pool. The subscribers are real sockets on the poller: UDP sockets
// connected to one receiver that never reads, so every write is a real
// non-blocking syscall that never blocks, and the open-file limit (20,000
// here) still leaves room (a TCP pair would cost two descriptors).
func BenchmarkPublish10kSubscribers(b *testing.B) {
	const subscribers = 10000
	s, app := benchServer(b)
	sink := udpReceiver(b)
	for i := 0; i < subscribers; i++ {
		s.poller.Adopt(udpSender(b, sink))
	}
	conns := waitConns(b, s, subscribers)
	for _, c := range conns { // as if each had upgraded and subscribed
		c.app = app
		c.transport = transportWebSocket
		c.dec.Init(frame.DecoderOptions{})
		if !c.state.Open() {
			b.Fatal("connection not in handshake")
		}
		s.join(c, "bench")
	}
	p := broker.Publication{App: app.ID, Channel: "bench", Event: "tick", Data: `"` + strings.Repeat("x", 100) + `"`}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.deliver(p) // the fan-out itself, without the queue in front of it
	}
	b.ReportMetric(float64(subscribers*b.N)/b.Elapsed().Seconds(), "deliveries/s")
}

func benchServer(b *testing.B) (*Server, *App) {
	app := &App{ID: "bench", Key: "bench-key", Secret: "bench-secret", Auth: AuthOff}
	return newTestServer(b, Options{Apps: []*App{app}}, true), app
}

// udpReceiver is a UDP socket that never reads: datagrams beyond its
// buffer are dropped, and writes to it still succeed.
func udpReceiver(b *testing.B) unix.SockaddrInet4 {
	rx, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { rx.Close() })
	return unix.SockaddrInet4{Port: rx.LocalAddr().(*net.UDPAddr).Port, Addr: [4]byte{127, 0, 0, 1}}
}

// udpSender is a non-blocking UDP socket connected to the receiver; the
// poller owns and closes it once adopted.
func udpSender(b *testing.B, to unix.SockaddrInet4) int {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		b.Fatal(err)
	}
	if err := unix.Connect(fd, &to); err != nil {
		b.Fatal(err)
	}
	return fd
}

// waitConns collects n connections once the loops have opened them (every
// open connection is on a wheel).
func waitConns(b *testing.B, s *Server, n int) []*conn {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		seen := map[*conn]bool{}
		for _, w := range s.wheels {
			w.Each(func(c *conn) { seen[c] = true })
		}
		if len(seen) >= n {
			out := make([]*conn, 0, n)
			for c := range seen {
				out = append(out, c)
			}
			return out
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.Fatalf("loops opened fewer than %d connections", n)
	return nil
}
