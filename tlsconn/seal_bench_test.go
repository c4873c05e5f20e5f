package tlsconn

import (
	"crypto/tls"
	"fmt"
	"testing"
)

// BenchmarkSeal is the per-recipient cost of a broadcast over TLS 1.3 to
// a connection that was idle: one 100-byte frame sealed into its own
// record, the AEAD built for the call (AES-GCM: key schedule and GHASH
// table; ChaCha20-Poly1305: the key).
func BenchmarkSeal(b *testing.B) {
	for _, id := range suiteIDs {
		b.Run(tls.CipherSuiteName(id), func(b *testing.B) {
			server, _ := pair(b, id)
			p := make([]byte, 100)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := server.seal(p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSealWarm is BenchmarkSeal on a connection sent to often
// enough to keep its AEAD (aeadcache.go).
func BenchmarkSealWarm(b *testing.B) {
	for _, id := range suiteIDs {
		b.Run(tls.CipherSuiteName(id), func(b *testing.B) {
			server, _ := pair(b, id)
			server.warm = &warmSet{}
			p := make([]byte, 100)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := server.seal(p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkAppendSeal is the per-write cost on the poller's path: a
// warm connection sealing into a buffer the poller lends (no allocation),
// one 100-byte frame, or a backlog of eight sealed as one record.
func BenchmarkAppendSeal(b *testing.B) {
	for _, frames := range []int{1, 8} {
		for _, id := range suiteIDs {
			b.Run(fmt.Sprintf("%s/frames=%d", tls.CipherSuiteName(id), frames), func(b *testing.B) {
				server, _ := pair(b, id)
				server.warm = &warmSet{}
				bufs := make([][]byte, frames)
				for i := range bufs {
					bufs[i] = make([]byte, 100)
				}
				dst := make([]byte, 0, 4096)
				b.SetBytes(int64(100 * frames))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := server.appendSealed(dst, bufs); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
