package tlsconn

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"testing"
)

// recordLens returns the length of each record on wire, by its header.
func recordLens(t *testing.T, wire []byte) []int {
	t.Helper()
	var lens []int
	for len(wire) > 0 {
		if len(wire) < recordHeaderLen {
			t.Fatalf("%d bytes left, no header", len(wire))
		}
		n := recordHeaderLen + int(binary.BigEndian.Uint16(wire[3:5]))
		lens = append(lens, n)
		wire = wire[n:]
	}
	return lens
}

// TestAppendSealedSharesRecords: frames sealed together share records of
// up to 2^14 bytes (RFC 8446 section 5.1), a frame may span two, the
// bytes before dst are left alone, and the peer reads the frames in
// order.
func TestAppendSealedSharesRecords(t *testing.T) {
	cases := [][]int{
		{100, 100, 100, 100, 100, 100, 100, 100}, // a backlog of small events: one record
		{maxPlaintext - 10, 20, 5},               // the second frame spans two records
		{10000, 10000, 50},
		{0, 3, 0},
		{3 * maxPlaintext},
	}
	for _, id := range suiteIDs {
		server, client := pair(t, id)
		for _, sizes := range cases {
			var bufs [][]byte
			var want []byte
			for _, n := range sizes {
				b := make([]byte, n)
				rand.Read(b)
				bufs = append(bufs, b)
				want = append(want, b...)
			}
			prefix := []byte("pending")
			wire, err := server.appendSealed(bytes.Clone(prefix), bufs)
			if err != nil || !bytes.HasPrefix(wire, prefix) {
				t.Fatalf("%s %v: %v, prefix lost", tls.CipherSuiteName(id), sizes, err)
			}
			wire = wire[len(prefix):]
			if got, wantN := len(recordLens(t, wire)), (len(want)+maxPlaintext-1)/maxPlaintext; got != wantN {
				t.Fatalf("%s %v: %d records, want %d", tls.CipherSuiteName(id), sizes, got, wantN)
			}
			if len(wire) != sealedLen(len(want)) {
				t.Fatalf("%s %v: %d bytes on the wire, sealedLen says %d", tls.CipherSuiteName(id), sizes, len(wire), sealedLen(len(want)))
			}
			got, reply, err := client.open(nil, wire)
			if err != nil || reply != nil || !bytes.Equal(got, want) {
				t.Fatalf("%s %v: read %d bytes of %d, %v", tls.CipherSuiteName(id), sizes, len(got), len(want), err)
			}
		}
	}
}

// TestAppendSealedMovesKeyOnWithinABatch: a batch that needs several
// records moves the key on before the record that would pass
// keyUpdateAfter, not only at the start of the call (RFC 8446 section
// 5.5).
func TestAppendSealedMovesKeyOnWithinABatch(t *testing.T) {
	server, client := pair(t, tls.TLS_AES_128_GCM_SHA256)
	server.out.seq, client.in.seq = keyUpdateAfter-1, keyUpdateAfter-1
	p := make([]byte, 2*maxPlaintext)
	rand.Read(p)
	wire, err := server.appendSealed(nil, [][]byte{p[:100], p[100:]})
	if err != nil {
		t.Fatal(err)
	}
	if got, _, err := client.open(nil, wire); err != nil || !bytes.Equal(got, p) || server.out.seq != 1 {
		t.Fatalf("read %d bytes, %v, write sequence %d", len(got), err, server.out.seq)
	}
}

// TestAppendSealedDoesNotAllocate: with room in dst and the write AEAD
// kept, sealing a frame or a batch allocates nothing.
func TestAppendSealedDoesNotAllocate(t *testing.T) {
	for _, id := range suiteIDs {
		server, _ := pair(t, id)
		server.warm = &warmSet{}
		dst := make([]byte, 0, 4096)
		frame := make([]byte, 100)
		batch := [][]byte{frame, frame, frame, frame}
		one := [][]byte{frame}
		if n := testing.AllocsPerRun(200, func() {
			_, _ = server.appendSealed(dst, one)
			_, _ = server.appendSealed(dst, batch)
		}); n != 0 {
			t.Fatalf("%s: %.1f allocations per call", tls.CipherSuiteName(id), n)
		}
	}
}
