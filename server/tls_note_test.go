package server

import (
	"strings"
	"syscall"
	"testing"
)

// A kernel without the tls module is the common case: the start line
// must read as a note, not as an error (no errno text).
func TestKernelTLSNoteReadsAsANote(t *testing.T) {
	if got := kernelTLSNote(false, syscall.ENOENT); strings.Contains(got, "no such file") || !strings.HasPrefix(got, "off (") {
		t.Fatalf("ENOENT: %q", got)
	}
	if got := kernelTLSNote(true, nil); got != "on" {
		t.Fatalf("on: %q", got)
	}
	if got := kernelTLSNote(false, syscall.EPERM); !strings.Contains(got, "operation not permitted") {
		t.Fatalf("other errors are named: %q", got)
	}
}
