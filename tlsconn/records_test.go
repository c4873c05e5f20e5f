package tlsconn

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"testing"
)

// pair returns the server's record layer and a peer's (the client's: the
// same secrets the other way round) for suite id.
func pair(t testing.TB, id uint16) (server, client *records) {
	t.Helper()
	s := &suites[suiteByID(id)]
	cs, ss := make([]byte, s.hashLen), make([]byte, s.hashLen)
	rand.Read(cs)
	rand.Read(ss)
	server, ok1 := newRecords(id, cs, ss, 0, nil)
	client, ok2 := newRecords(id, ss, cs, 0, nil)
	if !ok1 || !ok2 {
		t.Fatalf("suite %#x refused", id)
	}
	return server, client
}

var suiteIDs = []uint16{tls.TLS_AES_128_GCM_SHA256, tls.TLS_AES_256_GCM_SHA384, tls.TLS_CHACHA20_POLY1305_SHA256}

// rawRecord protects inner (a whole TLSInnerPlaintext: content, type,
// padding) as r's next record, with outer type outer.
func rawRecord(r *records, outer byte, inner []byte) []byte {
	n := len(inner) + tagLen
	rec := []byte{outer, 3, 3, byte(n >> 8), byte(n)}
	nonce := r.out.nonce(&r.nonce)
	r.out.seq++
	return r.out.aead(&suites[r.suite]).Seal(rec, nonce, inner, rec[:5])
}

// TestRecordsRoundTrip: each suite carries messages of every size class
// both ways, split over reads at any point.
func TestRecordsRoundTrip(t *testing.T) {
	for _, id := range suiteIDs {
		server, client := pair(t, id)
		for _, size := range []int{1, 100, maxPlaintext - 1, maxPlaintext, maxPlaintext + 1, 3*maxPlaintext + 7} {
			p := make([]byte, size)
			rand.Read(p)
			wire, err := client.seal(p)
			if err != nil {
				t.Fatal(err)
			}
			var got []byte
			for len(wire) > 0 { // uneven reads: 1 byte, then 7, then 4 KiB
				k := min(len(wire), []int{1, 7, 4096}[len(got)%3])
				var reply []byte
				if got, reply, err = server.open(got, wire[:k]); err != nil || reply != nil {
					t.Fatalf("%s %d: %v, reply %x", tls.CipherSuiteName(id), size, err, reply)
				}
				wire = wire[k:]
			}
			if !bytes.Equal(got, p) || server.partial != nil {
				t.Fatalf("%s %d: got %d bytes, partial %d", tls.CipherSuiteName(id), size, len(got), len(server.partial))
			}
			back, _ := server.seal(p)
			if got, _, err := client.open(nil, back); err != nil || !bytes.Equal(got, p) {
				t.Fatalf("%s %d back: %v", tls.CipherSuiteName(id), size, err)
			}
		}
	}
}

// TestRecordsKeyUpdate: a KeyUpdate from the peer moves our read key on;
// one with update_requested is answered with ours before anything else
// we send (RFC 8446 section 4.6.3); a fragmented one is taken whole; one
// followed by more in its record is refused.
func TestRecordsKeyUpdate(t *testing.T) {
	for _, id := range suiteIDs {
		server, client := pair(t, id)
		for _, request := range []byte{0, 1} {
			wire := client.appendRecord(nil, client.out.aead(&suites[client.suite]), recordHandshake, []byte{typeKeyUpdate, 0, 0, 1, request})
			client.out.update(&suites[client.suite])
			data, _ := client.seal([]byte("after"))
			plain, reply, err := server.open(nil, append(wire, data...))
			if err != nil || string(plain) != "after" {
				t.Fatalf("%s request %d: %q, %v", tls.CipherSuiteName(id), request, plain, err)
			}
			if (len(reply) > 0) != (request == 1) {
				t.Fatalf("%s request %d: reply %x", tls.CipherSuiteName(id), request, reply)
			}
			sealed, _ := server.seal([]byte("ours"))
			got, answer, err := client.open(nil, append(reply, sealed...))
			if err != nil || string(got) != "ours" || answer != nil {
				t.Fatalf("%s request %d: the client read %q, %v", tls.CipherSuiteName(id), request, got, err)
			}
		}
		// In two fragments: type and length, then the request.
		a := client.out.aead(&suites[client.suite])
		wire := client.appendRecord(nil, a, recordHandshake, []byte{typeKeyUpdate, 0, 0})
		wire = client.appendRecord(wire, a, recordHandshake, []byte{1, 0})
		client.out.update(&suites[client.suite])
		wire, _ = append(wire, must(client.seal([]byte("x")))...), 0
		if plain, _, err := server.open(nil, wire); err != nil || string(plain) != "x" {
			t.Fatalf("%s fragmented KeyUpdate: %q, %v", tls.CipherSuiteName(id), plain, err)
		}
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// TestRecordsSealMovesKeyOn: before a key has protected keyUpdateAfter
// records, seal sends a KeyUpdate first (RFC 8446 section 5.5).
func TestRecordsSealMovesKeyOn(t *testing.T) {
	server, client := pair(t, tls.TLS_AES_128_GCM_SHA256)
	server.out.seq, client.in.seq = keyUpdateAfter, keyUpdateAfter
	wire, _ := server.seal([]byte("late"))
	if plain, _, err := client.open(nil, wire); err != nil || string(plain) != "late" || server.out.seq != 1 {
		t.Fatalf("%q, %v, write sequence %d", plain, err, server.out.seq)
	}
}

// TestRecordsRefuse: what RFC 8446 forbids ends the connection with the
// alert it names, which the peer can read, and nothing after it is
// taken.
func TestRecordsRefuse(t *testing.T) {
	big := make([]byte, maxPlaintext+1)
	cases := []struct {
		name  string
		wire  func(c *records) []byte
		alert Alert
	}{
		{"plaintext handshake record", func(c *records) []byte { return []byte{22, 3, 3, 0, 1, 0} }, AlertUnexpectedMessage},
		{"change_cipher_spec after the handshake", func(c *records) []byte { return []byte{20, 3, 3, 0, 1, 1} }, AlertUnexpectedMessage},
		{"record over 2^14+256", func(c *records) []byte { return []byte{23, 3, 3, 0x41, 0x01} }, AlertRecordOverflow},
		{"shorter than a tag", func(c *records) []byte { return []byte{23, 3, 3, 0, 3, 1, 2, 3} }, AlertBadRecordMAC},
		{"tampered", func(c *records) []byte { r := must(c.seal([]byte("hello"))); r[7] ^= 1; return r }, AlertBadRecordMAC},
		{"replayed", func(c *records) []byte { r := must(c.seal([]byte("a"))); return append(r, r...) }, AlertBadRecordMAC},
		{"inner plaintext over 2^14+1", func(c *records) []byte { return rawRecord(c, 23, append(big, 23)) }, AlertRecordOverflow},
		{"only padding", func(c *records) []byte { return rawRecord(c, 23, []byte{0, 0, 0}) }, AlertUnexpectedMessage},
		{"inner change_cipher_spec", func(c *records) []byte { return rawRecord(c, 23, []byte{1, 20}) }, AlertUnexpectedMessage},
		{"unknown inner type", func(c *records) []byte { return rawRecord(c, 23, []byte{1, 99, 0, 0}) }, AlertUnexpectedMessage},
		{"empty handshake fragment", func(c *records) []byte { return rawRecord(c, 23, []byte{22}) }, AlertUnexpectedMessage},
		{"NewSessionTicket from a client", func(c *records) []byte { return rawRecord(c, 23, []byte{4, 0, 0, 1, 0, 22}) }, AlertUnexpectedMessage},
		{"Finished after the handshake", func(c *records) []byte { return rawRecord(c, 23, []byte{20, 0, 0, 32, 22}) }, AlertUnexpectedMessage},
		{"KeyUpdate of two bytes", func(c *records) []byte { return rawRecord(c, 23, []byte{24, 0, 0, 2, 0, 0, 22}) }, AlertDecodeError},
		{"KeyUpdate request 2", func(c *records) []byte { return rawRecord(c, 23, []byte{24, 0, 0, 1, 2, 22}) }, AlertIllegalParameter},
		{"KeyUpdate not last in its record", func(c *records) []byte { return rawRecord(c, 23, []byte{24, 0, 0, 1, 0, 24, 22}) }, AlertUnexpectedMessage},
		{"data inside a fragmented KeyUpdate", func(c *records) []byte {
			return append(rawRecord(c, 23, []byte{24, 0, 22}), rawRecord(c, 23, []byte{'x', 23})...)
		}, AlertUnexpectedMessage},
		{"alert of three bytes", func(c *records) []byte { return rawRecord(c, 23, []byte{2, 10, 0, 21}) }, AlertDecodeError},
		{"empty records without end", func(c *records) []byte {
			var w []byte
			for range maxUseless + 1 {
				w = append(w, rawRecord(c, 23, []byte{23})...)
			}
			return w
		}, AlertUnexpectedMessage},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			server, client := pair(t, tls.TLS_AES_128_GCM_SHA256)
			wire := tc.wire(client)
			wire = append(wire, must(client.seal([]byte("behind")))...)
			more := must(client.seal([]byte("more")))
			plain, reply, err := server.open(nil, wire)
			var ae AlertError
			if !errors.As(err, &ae) || ae.Remote || ae.Alert != tc.alert {
				t.Fatalf("err %v, want %s sent", err, tc.alert)
			}
			if bytes.Contains(plain, []byte("behind")) {
				t.Fatal("a record behind the refused one was taken")
			}
			_, _, err = client.open(nil, reply)
			if !errors.As(err, &ae) || !ae.Remote || ae.Alert != tc.alert {
				t.Fatalf("the peer read %v from our reply %x", err, reply)
			}
			if _, _, err := server.open(nil, more); !errors.Is(err, ErrClosed) {
				t.Fatalf("after the alert: %v, want ErrClosed", err)
			}
		})
	}
}

// TestRecordsPeerAlerts: a fatal alert from the peer ends the connection
// without an answer; user_canceled is a warning; close_notify is answered
// with ours.
func TestRecordsPeerAlerts(t *testing.T) {
	server, client := pair(t, tls.TLS_CHACHA20_POLY1305_SHA256)
	plain, reply, err := server.open(nil, append(rawRecord(client, 23, []byte{1, 90, 21}), must(client.seal([]byte("on")))...))
	if err != nil || string(plain) != "on" || reply != nil {
		t.Fatalf("user_canceled: %q %x %v", plain, reply, err)
	}
	_, reply, err = server.open(nil, rawRecord(client, 23, []byte{2, 40, 21}))
	var ae AlertError
	if !errors.As(err, &ae) || !ae.Remote || ae.Alert != 40 || reply != nil {
		t.Fatalf("handshake_failure from the peer: %v, reply %x", err, reply)
	}
}

// TestRecordsPartialHeldOnlyWhilePartial: a record cut anywhere, even in
// its header, is completed by the next read; the buffer is exactly the
// record and goes once it is complete.
func TestRecordsPartialHeldOnlyWhilePartial(t *testing.T) {
	server, client := pair(t, tls.TLS_AES_256_GCM_SHA384)
	wire := must(client.seal(bytes.Repeat([]byte("p"), 1000)))
	for cut := 1; cut < len(wire); cut += 97 {
		_, _, err := server.open(nil, wire[:cut])
		if err != nil || len(server.partial) != cut {
			t.Fatalf("cut %d: partial %d, %v", cut, len(server.partial), err)
		}
		if cut >= recordHeaderLen && cap(server.partial) != len(wire) {
			t.Fatalf("cut %d: partial buffer of %d bytes for a %d-byte record", cut, cap(server.partial), len(wire))
		}
		plain, _, err := server.open(nil, wire[cut:])
		if err != nil || len(plain) != 1000 || server.partial != nil {
			t.Fatalf("cut %d: %d bytes, partial %v, %v", cut, len(plain), server.partial != nil, err)
		}
		wire = must(client.seal(bytes.Repeat([]byte("p"), 1000)))
	}
}

// TestRecordsLengthField: the header's length is the record's, big-endian.
func TestRecordsLengthField(t *testing.T) {
	_, client := pair(t, tls.TLS_AES_128_GCM_SHA256)
	w := must(client.seal(make([]byte, 300)))
	if n := binary.BigEndian.Uint16(w[3:5]); int(n) != 300+1+tagLen || len(w) != 5+int(n) {
		t.Fatalf("length %d for %d bytes", n, len(w))
	}
}
