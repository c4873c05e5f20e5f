package tlsconn

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// tlsStat reads /proc/net/tls_stat: "TlsTxSw  3" lines, name to value;
// nil where the kernel has no TLS.
func tlsStat() map[string]int64 {
	b, err := os.ReadFile("/proc/net/tls_stat")
	if err != nil {
		return nil
	}
	m := map[string]int64{}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) != 2 {
			continue
		}
		if v, err := strconv.ParseInt(f[1], 10, 64); err == nil {
			m[f[0]] = v
		}
	}
	return m
}

// needKernelTLS skips a test where the kernel has no TLS, or fails it
// when FANOUT_KTLS_REQUIRE is set (the VM run of test/ktls-vm, whose
// kernel has it: a skip there would pass without testing anything).
func needKernelTLS(t testing.TB) {
	t.Helper()
	if ok, err := KernelTLS(); !ok {
		if os.Getenv("FANOUT_KTLS_REQUIRE") != "" {
			t.Fatalf("FANOUT_KTLS_REQUIRE is set and the kernel has no TLS: %v", err)
		}
		t.Skipf("kernel TLS not available (%v): run make ktls-vm", err)
	}
}
