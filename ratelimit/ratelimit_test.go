package ratelimit_test

import (
	"bytes"
	"net/netip"
	"testing"
	"time"

	"github.com/fanout/fanout/ratelimit"
)

var (
	ipA = netip.MustParseAddr("192.0.2.1")
	ipB = netip.MustParseAddr("192.0.2.2")
)

func TestIPTableConnectionLimit(t *testing.T) {
	tb := ratelimit.NewIPTable(ratelimit.IPOptions{MaxConns: 3, Rate: -1})
	var slots []ratelimit.Slot
	for range 3 {
		s, r, _ := tb.Acquire(ipA, 1)
		if r != ratelimit.None || s == 0 {
			t.Fatalf("under the limit: slot %d refusal %d", s, r)
		}
		slots = append(slots, s)
	}
	if _, r, wait := tb.Acquire(ipA, 2); r != ratelimit.Connections || wait <= 0 {
		t.Fatalf("fourth connection: refusal %d wait %v, want Connections", r, wait)
	}
	if _, r, _ := tb.Acquire(ipB, 2); r != ratelimit.None {
		t.Fatalf("another address refused: %d", r)
	}
	tb.Release(slots[0])
	if _, r, _ := tb.Acquire(ipA, 3); r != ratelimit.None {
		t.Fatalf("after a release: refusal %d", r)
	}
	// an IPv4-mapped IPv6 peer is the same client
	if _, r, _ := tb.Acquire(netip.MustParseAddr("::ffff:192.0.2.1"), 3); r != ratelimit.Connections {
		t.Fatalf("mapped address counted apart: %d", r)
	}
}

func TestIPTableUpgradeRate(t *testing.T) {
	tb := ratelimit.NewIPTable(ratelimit.IPOptions{MaxConns: -1, Rate: 10, Burst: 5})
	now := int64(time.Hour)
	for i := range 5 {
		if _, r, _ := tb.Acquire(ipA, now); r != ratelimit.None {
			t.Fatalf("burst upgrade %d refused", i)
		}
	}
	_, r, wait := tb.Acquire(ipA, now)
	if r != ratelimit.UpgradeRate || wait <= 0 || wait > 100*time.Millisecond {
		t.Fatalf("past the burst: refusal %d wait %v, want UpgradeRate within 100ms", r, wait)
	}
	if _, r, _ := tb.Acquire(ipA, now+int64(100*time.Millisecond)); r != ratelimit.None {
		t.Fatalf("a token later: refusal %d", r)
	}
}

// Idle addresses are forgotten, so the table stays bounded; an address
// with open connections is never forgotten, and past the bound new
// addresses are admitted untracked.
func TestIPTableBoundedMemory(t *testing.T) {
	tb := ratelimit.NewIPTable(ratelimit.IPOptions{MaxConns: 1, Rate: 1000, Burst: 1, MaxEntries: 100})
	now := int64(time.Hour)
	held, _, _ := tb.Acquire(ipA, now)
	for i := range 1000 {
		a := netip.AddrFrom4([4]byte{198, 18, byte(i >> 8), byte(i)})
		s, r, _ := tb.Acquire(a, now+int64(i)*int64(time.Millisecond))
		if r != ratelimit.None {
			t.Fatalf("address %v refused: %d", a, r)
		}
		tb.Release(s)
	}
	if n := tb.Len(); n > 100 {
		t.Fatalf("tracks %d addresses, over its 100", n)
	}
	if tb.Conns(ipA) != 1 {
		t.Fatal("the address with an open connection was forgotten")
	}
	if _, r, _ := tb.Acquire(ipA, now+int64(2*time.Second)); r != ratelimit.Connections {
		t.Fatalf("its limit no longer holds: %d", r)
	}
	tb.Release(held)

	full := ratelimit.NewIPTable(ratelimit.IPOptions{MaxConns: 1, Rate: -1, MaxEntries: 2})
	full.Acquire(ipA, 1)
	full.Acquire(ipB, 1)
	if s, r, _ := full.Acquire(netip.MustParseAddr("192.0.2.3"), 1); s != 0 || r != ratelimit.None {
		t.Fatalf("a third address on a full table: slot %d refusal %d, want admitted untracked", s, r)
	}
}

// Loopback and private addresses (proxies, load balancers) are not
// limited by default; an empty exempt list limits them too.
func TestIPTableExempt(t *testing.T) {
	lb := netip.MustParseAddr("127.0.0.1")
	def := ratelimit.NewIPTable(ratelimit.IPOptions{MaxConns: 1, Rate: -1})
	for _, a := range []string{"127.0.0.1", "::1", "10.1.2.3", "172.20.0.1", "192.168.1.1", "fd00::1"} {
		for range 3 {
			if _, r, _ := def.Acquire(netip.MustParseAddr(a), 1); r != ratelimit.None {
				t.Fatalf("%s limited by default", a)
			}
		}
	}
	none := ratelimit.NewIPTable(ratelimit.IPOptions{MaxConns: 1, Rate: -1, Exempt: []netip.Prefix{}})
	none.Acquire(lb, 1)
	if _, r, _ := none.Acquire(lb, 1); r != ratelimit.Connections {
		t.Fatalf("loopback not limited without exemptions: %d", r)
	}
}

func TestIPTableOff(t *testing.T) {
	if tb := ratelimit.NewIPTable(ratelimit.IPOptions{MaxConns: -1, Rate: -1}); tb != nil {
		t.Fatal("a table with both limits off")
	}
}

func TestBucket(t *testing.T) {
	b := ratelimit.NewBucket(2, 2)
	now := int64(time.Hour)
	if ok, _ := b.Allow(now); !ok {
		t.Fatal("first")
	}
	if ok, _ := b.Allow(now); !ok {
		t.Fatal("second")
	}
	ok, wait := b.Allow(now)
	if ok || wait != 500*time.Millisecond {
		t.Fatalf("third: %v %v, want refused for 500ms", ok, wait)
	}
	if ra := ratelimit.RetryAfter(wait); ra != 1 {
		t.Fatalf("Retry-After %d", ra)
	}
	if ok, _ := b.Allow(now + int64(wait)); !ok {
		t.Fatal("after the wait")
	}
}

func TestProxiesClient(t *testing.T) {
	p, err := ratelimit.NewProxies([]string{"127.0.0.1", "10.0.0.0/8"})
	if err != nil {
		t.Fatal(err)
	}
	head := func(xff ...string) []byte {
		b := []byte("GET /app/k HTTP/1.1\r\nHost: x")
		for _, v := range xff {
			b = append(b, "\r\nX-Forwarded-For: "+v...)
		}
		return b
	}
	lb := netip.MustParseAddr("127.0.0.1")
	for _, c := range []struct {
		peer netip.Addr
		head []byte
		want string
	}{
		{ipA, head("198.51.100.7"), "192.0.2.1"},                  // untrusted peer: header ignored
		{lb, head("198.51.100.7"), "198.51.100.7"},                // one proxy
		{lb, head("198.51.100.7, 10.1.2.3"), "198.51.100.7"},      // two proxies
		{lb, head("203.0.113.9, 198.51.100.7"), "198.51.100.7"},   // a spoofed first hop is not believed
		{lb, head("203.0.113.9", "198.51.100.7"), "198.51.100.7"}, // two header lines are one list
		{lb, head("nonsense, 10.1.2.3"), "10.1.2.3"},              // a bad hop ends the walk at its proxy
		{lb, head(), "127.0.0.1"},                                 // no header: the proxy itself
		{netip.MustParseAddr("::ffff:127.0.0.1"), head("198.51.100.7"), "198.51.100.7"},
	} {
		if got := p.Client(c.peer, c.head); got.String() != c.want {
			t.Errorf("peer %v, head %q: client %v, want %s", c.peer, c.head, got, c.want)
		}
	}
	if _, err := ratelimit.NewProxies([]string{"proxy.local"}); err == nil {
		t.Error("a host name was taken for a proxy")
	}
}

// forwardedFor (through Client) never panics and only returns addresses
// that appear in the head or the peer.
func FuzzClient(f *testing.F) {
	f.Add([]byte("GET / HTTP/1.1\r\nX-Forwarded-For: 1.2.3.4, ::1\r\nx-forwarded-for:5.6.7.8,\r\n"))
	f.Add([]byte("X-FORWARDED-FOR:\n\n,,,"))
	p, _ := ratelimit.NewProxies([]string{"0.0.0.0/0", "::/0"})
	peer := netip.MustParseAddr("127.0.0.1")
	f.Fuzz(func(t *testing.T, head []byte) {
		got := p.Client(peer, head)
		if got != peer && !bytes.Contains(bytes.ToLower(head), []byte(got.String())) &&
			!bytes.Contains(head, []byte(got.StringExpanded())) {
			// a parsed address may be written another way (leading
			// zeros, IPv4-mapped); it must at least be valid
			if !got.IsValid() {
				t.Fatalf("invalid client from %q", head)
			}
		}
	})
}

func BenchmarkIPTableAcquireRelease(b *testing.B) {
	tb := ratelimit.NewIPTable(ratelimit.IPOptions{})
	b.ReportAllocs()
	now := int64(time.Hour)
	for i := 0; b.Loop(); i++ {
		s, _, _ := tb.Acquire(netip.AddrFrom4([4]byte{198, 18, byte(i >> 8), byte(i)}), now+int64(i)*int64(time.Millisecond))
		tb.Release(s)
	}
}
