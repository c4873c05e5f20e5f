package tlsconn

import (
	"errors"
	"testing"

	"golang.org/x/sys/unix"
)

// TestKernelTLS checks the probe gives a clear answer: available, or the
// kernel's reason (ENOENT without the tls module).
func TestKernelTLS(t *testing.T) {
	ok, err := KernelTLS()
	t.Logf("kernel TLS available: %v (%v)", ok, err)
	if !ok && !errors.Is(err, unix.ENOENT) && !errors.Is(err, unix.EOPNOTSUPP) {
		t.Fatalf("unexpected probe error %v", err)
	}
}
