package tlsconn

import (
	"bytes"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"testing"
)

// FuzzFirstRecord: the check the loop runs on a client's first bytes
// never panics, refuses what is not a TLS handshake record at once, and
// calls a record complete only when all of it is there.
func FuzzFirstRecord(f *testing.F) {
	f.Add([]byte{22, 3, 1, 0, 4, 1, 0, 0, 0})
	f.Add([]byte{22, 3, 1, 0xff, 0xff})
	f.Add([]byte("GET / HTTP/1.1\r\n\r\n"))
	f.Add([]byte{22})
	f.Fuzz(func(t *testing.T, b []byte) {
		complete, err := firstRecord(b)
		if len(b) > 0 && b[0] != recordHandshake && err == nil {
			t.Fatalf("%x: not a handshake record, accepted", b)
		}
		if complete {
			if err != nil || len(b) < recordHeaderLen {
				t.Fatalf("%x: complete with %v", b, err)
			}
			if n := int(binary.BigEndian.Uint16(b[3:5])); len(b) < recordHeaderLen+n || n > maxRecordLen {
				t.Fatalf("%x: complete but record of %d bytes", b, n)
			}
		}
	})
}

// fixedPair is pair with fixed secrets, so that a fuzz corpus replays.
func fixedPair(id uint16) (server, client *records) {
	s := &suites[suiteByID(id)]
	cs, ss := bytes.Repeat([]byte{0xc1}, s.hashLen), bytes.Repeat([]byte{0x5e}, s.hashLen)
	server, _ = newRecords(id, cs, ss, 0, nil)
	client, _ = newRecords(id, ss, cs, 0, nil)
	return server, client
}

// FuzzRecordOpen: whatever a client sends after the handshake, cut into
// reads of any size, the record layer never panics, ends only with an
// alert it sent (and the peer can read) or one it received, and never
// holds more than one record's bytes.
func FuzzRecordOpen(f *testing.F) {
	_, c := fixedPair(tls.TLS_AES_128_GCM_SHA256)
	valid := must(c.seal([]byte(`{"event":"pusher:ping","data":{}}`)))
	f.Add(uint8(0), valid)
	f.Add(uint8(3), append(valid, must(c.seal(make([]byte, 20000)))...))
	f.Add(uint8(1), rawRecord(c, 23, []byte{24, 0, 0, 1, 1, 22}))
	f.Add(uint8(5), rawRecord(c, 23, []byte{1, 0, 21}))
	f.Add(uint8(2), []byte{23, 3, 3, 0xff, 0xff, 1, 2})
	f.Add(uint8(7), []byte{22, 3, 1, 0, 5, 1, 0, 0, 1, 0})
	f.Fuzz(func(t *testing.T, cut uint8, wire []byte) {
		server, client := fixedPair(tls.TLS_AES_128_GCM_SHA256)
		step := int(cut)%64 + 1
		var plain []byte
		for len(wire) > 0 {
			k := min(step, len(wire))
			var reply []byte
			var err error
			plain, reply, err = server.open(plain, wire[:k])
			wire = wire[k:]
			if len(server.partial) > recordHeaderLen+maxCiphertext {
				t.Fatalf("holds %d bytes", len(server.partial))
			}
			if err == nil {
				continue
			}
			var ae AlertError
			if !errors.As(err, &ae) {
				t.Fatalf("error %v is not an alert", err)
			}
			if !ae.Remote {
				_, _, perr := client.open(nil, reply)
				var pe AlertError
				if !errors.As(perr, &pe) || pe.Alert != ae.Alert {
					t.Fatalf("sent %v but the peer read %v", ae, perr)
				}
			}
			if _, _, err := server.open(nil, wire); !errors.Is(err, ErrClosed) {
				t.Fatalf("open after %v: %v", ae, err)
			}
			return
		}
	})
}

// FuzzRecordRoundTrip: any plaintext sealed by the peer, cut into reads
// of any size, opens to itself, in every suite.
func FuzzRecordRoundTrip(f *testing.F) {
	f.Add(uint8(0), uint16(1), []byte("hello"))
	f.Add(uint8(1), uint16(4096), bytes.Repeat([]byte{0}, 17000))
	f.Add(uint8(2), uint16(5), []byte{})
	f.Fuzz(func(t *testing.T, which uint8, step uint16, p []byte) {
		id := suiteIDs[int(which)%len(suiteIDs)]
		server, client := fixedPair(id)
		wire := must(client.seal(p))
		var got []byte
		for len(wire) > 0 {
			k := min(int(step)%20000+1, len(wire))
			var err error
			if got, _, err = server.open(got, wire[:k]); err != nil {
				t.Fatal(err)
			}
			wire = wire[k:]
		}
		if !bytes.Equal(got, p) || server.partial != nil {
			t.Fatalf("%d bytes in, %d out", len(p), len(got))
		}
	})
}
