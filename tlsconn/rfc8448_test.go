package tlsconn

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"testing"
)

// rfc8448 reads testdata/rfc8448-section3.txt: name, then hex octets.
func rfc8448(t testing.TB) map[string][]byte {
	t.Helper()
	f, err := os.Open("testdata/rfc8448-section3.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	v := map[string][]byte{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<16)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		name, octets, _ := strings.Cut(line, " ")
		b, err := hex.DecodeString(strings.Join(strings.Fields(octets), ""))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		v[name] = b
	}
	return v
}

// TestRFC8448KeysAndIVs: the keys and IVs derived from the traffic
// secrets (RFC 8446 section 7.3) are the RFC 8448 section 3 ones.
func TestRFC8448KeysAndIVs(t *testing.T) {
	v := rfc8448(t)
	r, ok := newRecords(tls.TLS_AES_128_GCM_SHA256, v["client_application_traffic_secret_0"], v["server_application_traffic_secret_0"], 0, nil)
	if !ok {
		t.Fatal("newRecords refused the RFC's secrets")
	}
	for _, c := range []struct {
		name string
		got  []byte
	}{
		{"client_application_key", r.in.key[:16]}, {"client_application_iv", r.in.iv[:]},
		{"server_application_key", r.out.key[:16]}, {"server_application_iv", r.out.iv[:]},
	} {
		if !bytes.Equal(c.got, v[c.name]) {
			t.Errorf("%s = %x, want %x", c.name, c.got, v[c.name])
		}
	}
}

// TestRFC8448Records plays the server's side of RFC 8448 section 3 after
// the handshake: its NewSessionTicket is counted as one record under the
// application key (and the client's Finished, under another key, is
// not), it seals the payload into exactly the RFC's record, opens the
// client's, and answers the client's close_notify with exactly the
// RFC's close_notify.
func TestRFC8448Records(t *testing.T) {
	v := rfc8448(t)
	r, _ := newRecords(tls.TLS_AES_128_GCM_SHA256, v["client_application_traffic_secret_0"], v["server_application_traffic_secret_0"], 0, nil)
	if !r.countWritten([][]byte{v["client_finished_record"], v["server_new_session_ticket_record"]}) || r.out.seq != 1 {
		t.Fatalf("records counted under the server's application key: %d, want 1 (the NewSessionTicket)", r.out.seq)
	}
	sealed, err := r.seal(v["application_data"])
	if err != nil || !bytes.Equal(sealed, v["server_application_data_record"]) {
		t.Fatalf("seal = %x, %v\nwant %x", sealed, err, v["server_application_data_record"])
	}
	plain, reply, err := r.open(nil, v["client_application_data_record"])
	if err != nil || len(reply) != 0 || !bytes.Equal(plain, v["application_data"]) {
		t.Fatalf("open = %x, reply %x, %v", plain, reply, err)
	}
	plain, reply, err = r.open(nil, v["client_alert_record"])
	var ae AlertError
	if !errors.As(err, &ae) || !ae.Remote || ae.Alert != AlertCloseNotify || len(plain) != 0 {
		t.Fatalf("close_notify read as %x, %v", plain, err)
	}
	if !bytes.Equal(reply, v["server_alert_record"]) {
		t.Fatalf("our close_notify = %x\nwant %x", reply, v["server_alert_record"])
	}
	if _, err := r.seal([]byte("x")); !errors.Is(err, ErrClosed) {
		t.Fatalf("seal after close_notify: %v, want ErrClosed", err)
	}
}

// TestRFC8448RecordsByteByByte: the client's records arriving one byte
// per read give the same plaintext, and the partial record is dropped
// once complete.
func TestRFC8448RecordsByteByByte(t *testing.T) {
	v := rfc8448(t)
	r, _ := newRecords(tls.TLS_AES_128_GCM_SHA256, v["client_application_traffic_secret_0"], v["server_application_traffic_secret_0"], 1, nil)
	var plain []byte
	rec := v["client_application_data_record"]
	for i := range rec {
		var err error
		if plain, _, err = r.open(plain, rec[i:i+1]); err != nil {
			t.Fatalf("byte %d: %v", i, err)
		}
	}
	if !bytes.Equal(plain, v["application_data"]) || r.partial != nil {
		t.Fatalf("plain %x, partial %d bytes", plain, len(r.partial))
	}
}
