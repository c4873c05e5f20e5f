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

// TestKernelTLSStatus: the log's words for the probe; here (no
// CONFIG_TLS) "not available" with the reason, not an errno.
func TestKernelTLSStatus(t *testing.T) {
	status, reason := KernelTLSStatus()
	t.Logf("ktls=%s reason=%q", status, reason)
	ok, err := KernelTLS()
	if ok != (status == "available") || !ok && reason == "" {
		t.Fatalf("status %q reason %q for probe %v %v", status, reason, ok, err)
	}
	if errors.Is(err, unix.ENOENT) && reason != "kernel built without CONFIG_TLS (or its tls module is not loaded); records are protected in user space" {
		t.Fatalf("ENOENT worded %q", reason)
	}
}
