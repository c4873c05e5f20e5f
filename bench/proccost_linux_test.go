package bench

import (
	"os"
	"testing"

	"github.com/fanout/fanout/poller"
)

// TestProcCostSeesIOUring: once the process holds an io_uring, its
// write syscalls per delivery are left out rather than read from syscw,
// which does not count io_uring_enter(2).
func TestProcCostSeesIOUring(t *testing.T) {
	before, err := readProcCost(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if before.ring {
		t.Skip("the test process already holds an io_uring")
	}
	b, err := poller.NewSendBatch(8)
	if err != nil {
		t.Skipf("no io_uring here: %v", err)
	}
	defer b.Close()
	after, err := readProcCost(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if !after.ring {
		t.Fatal("a process holding an io_uring was not seen to")
	}
	var r Result
	r.Delivered = 1000
	r.setCost(after.sub(before), 1)
	if !r.ServerIOUring || r.WritesPerDelivery != 0 {
		t.Fatalf("with an io_uring: ServerIOUring %v, WritesPerDelivery %v; want true, left out", r.ServerIOUring, r.WritesPerDelivery)
	}
	for _, f := range resultFields {
		if f.name == "write syscalls/delivery" {
			if got := f.get(r); got != "n/a (io_uring)" {
				t.Fatalf("table cell %q, want n/a (io_uring)", got)
			}
			return
		}
	}
	t.Fatal("no write syscalls/delivery column")
}
