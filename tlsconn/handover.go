package tlsconn

import (
	"bytes"
	"crypto/tls"
	"encoding/binary"
	"encoding/hex"
	"sync"
)

// handover collects, while crypto/tls runs a handshake, what the record
// layer needs to carry the connection on without it:
//
//   - the application traffic secrets, from the key log crypto/tls writes
//     (tls.Config.KeyLogWriter, the NSS key log format: "LABEL
//     <client random> <secret>" in hex), set on this connection's own
//     Config by GetConfigForClient, and checked against the client random
//     of the ClientHello we saw;
//   - the records crypto/tls wrote once the server's application secret
//     existed: the flight that ends with the server's Finished and any
//     NewSessionTicket behind it. Those under the application key are
//     found by opening them with it, so the write sequence number goes on
//     from the right value whether or not tickets were sent.
//
// Where the client's records begin is made sound by the transport: while
// the handshake runs it hands crypto/tls one record at a time (wire.Read
// never reads past a record's end), so when the handshake returns
// crypto/tls holds nothing the client sent after its Finished; what it
// sent is still in the transport, for the record layer, at sequence 0.
// crypto/tls itself refuses a handshake message left behind the client's
// Finished (RFC 8446 section 5.1).
type handover struct {
	mu         sync.Mutex
	random     []byte // the ClientHello's random, nil if not seen
	client     []byte // CLIENT_TRAFFIC_SECRET_0
	server     []byte // SERVER_TRAFFIC_SECRET_0
	late       [][]byte
	mismatched bool // a key log line for another random, or records cut oddly
}

// clientRandom returns the random of a ClientHello record (RFC 8446
// section 4.1.2), or nil when rec is not one or is too short to hold it.
func clientRandom(rec []byte) []byte {
	const at = recordHeaderLen + 4 + 2 // handshake header, legacy_version
	if len(rec) < at+32 || rec[0] != recordHandshake || rec[recordHeaderLen] != 1 {
		return nil
	}
	return bytes.Clone(rec[at : at+32])
}

// Write takes one key log line (crypto/tls writes each line in one
// call). It never fails: an error would fail the handshake.
func (h *handover) Write(line []byte) (int, error) {
	f := bytes.Fields(line)
	if len(f) != 3 {
		return len(line), nil
	}
	random, err1 := hex.DecodeString(string(f[1]))
	secret, err2 := hex.DecodeString(string(f[2]))
	h.mu.Lock()
	defer h.mu.Unlock()
	if err1 != nil || err2 != nil || !bytes.Equal(random, h.random) {
		h.mismatched = true
		return len(line), nil
	}
	switch string(f[0]) {
	case "CLIENT_TRAFFIC_SECRET_0":
		h.client = secret
	case "SERVER_TRAFFIC_SECRET_0":
		h.server = secret
	}
	return len(line), nil
}

// wrote sees a flight crypto/tls wrote; once the server's application
// secret is known it keeps copies of the protected records in it.
func (h *handover) wrote(b []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.server == nil {
		return
	}
	for len(b) > 0 {
		if len(b) < recordHeaderLen {
			h.mismatched = true
			return
		}
		n := recordHeaderLen + int(binary.BigEndian.Uint16(b[3:5]))
		if len(b) < n {
			h.mismatched = true
			return
		}
		if b[0] == recordApplicationData {
			h.late = append(h.late, bytes.Clone(b[:n]))
		}
		b = b[n:]
	}
}

// records builds the record layer for a completed TLS 1.3 handshake, or
// reports false when the handshake does not allow it (another version or
// suite, a secret missing or not this connection's, records it cannot
// place): the connection then stays on crypto/tls.
func (h *handover) records(state tls.ConnectionState, warm *warmSet) (*records, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if state.Version != tls.VersionTLS13 || h.mismatched || h.random == nil {
		return nil, false
	}
	r, ok := newRecords(state.CipherSuite, h.client, h.server, 0, warm)
	if !ok {
		return nil, false
	}
	if !r.countWritten(h.late) {
		return nil, false
	}
	return r, true
}

// countWritten moves the write sequence number past the records of recs
// that are protected with the current write key: handshake messages
// (NewSessionTicket) crypto/tls sent after its Finished. The records
// under the handshake key come first and do not open with it; anything
// else (a record under this key that is not a handshake message, or one
// under another key behind it) reports false.
func (r *records) countWritten(recs [][]byte) bool {
	s := &suites[r.suite]
	a := r.out.aead(s)
	for _, rec := range recs {
		inner, err := a.Open(nil, r.out.nonce(&r.nonce), rec[recordHeaderLen:], rec[:recordHeaderLen])
		if err != nil {
			if r.out.seq > 0 {
				return false
			}
			continue
		}
		inner = bytes.TrimRight(inner, "\x00")
		if len(inner) == 0 || inner[len(inner)-1] != recordHandshake {
			return false
		}
		r.out.seq++
	}
	return true
}
