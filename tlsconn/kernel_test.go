package tlsconn

import (
	"bytes"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"testing"

	"golang.org/x/sys/unix"
)

// TestCryptoInfoLayout checks the struct given to TLS_TX and TLS_RX for
// each suite against linux/tls.h: struct tls_crypto_info (u16 version,
// u16 cipher_type) then, for tls12_crypto_info_aes_gcm_128, iv[8],
// key[16], salt[4], rec_seq[8] (40 bytes); _aes_gcm_256 the same with
// key[32] (56); _chacha20_poly1305 iv[12], key[32], salt[0], rec_seq[8]
// (56). The AES-GCM salt is the first 4 bytes of the RFC 8446 IV, its iv
// field the other 8; rec_seq is big-endian.
func TestCryptoInfoLayout(t *testing.T) {
	for _, c := range []struct {
		id                      uint16
		cipher                  uint16
		size, ivLen, keyLen, sz int // sz: salt bytes
	}{
		{tls.TLS_AES_128_GCM_SHA256, 51, 40, 8, 16, 4},
		{tls.TLS_AES_256_GCM_SHA384, 52, 56, 8, 32, 4},
		{tls.TLS_CHACHA20_POLY1305_SHA256, 54, 56, 12, 32, 0},
	} {
		t.Run(tls.CipherSuiteName(c.id), func(t *testing.T) {
			s := &suites[suiteByID(c.id)]
			var k trafficKeys
			k.set(s, bytes.Repeat([]byte{7}, s.hashLen))
			k.seq = 0x0102030405060708
			var b [maxKernelCryptoInfo]byte
			info := cryptoInfo(&b, s, &k)
			if len(info) != c.size {
				t.Fatalf("size %d, linux/tls.h has %d", len(info), c.size)
			}
			// little-endian hosts: 0x0304 is 04 03
			if v := binary.LittleEndian.Uint16(info[0:]); v != 0x0304 {
				t.Fatalf("version %#x", v)
			}
			if ct := binary.LittleEndian.Uint16(info[2:]); ct != c.cipher {
				t.Fatalf("cipher_type %d, want %d", ct, c.cipher)
			}
			off := 4
			iv := info[off : off+c.ivLen]
			off += c.ivLen
			key := info[off : off+c.keyLen]
			off += c.keyLen
			salt := info[off : off+c.sz]
			off += c.sz
			seq := info[off:]
			if !bytes.Equal(append(bytes.Clone(salt), iv...), k.iv[:]) {
				t.Fatalf("salt %x + iv %x is not the IV %x", salt, iv, k.iv)
			}
			if !bytes.Equal(key, k.key[:s.keyLen]) {
				t.Fatal("key differs")
			}
			if !bytes.Equal(seq, []byte{1, 2, 3, 4, 5, 6, 7, 8}) {
				t.Fatalf("rec_seq %x is not the big-endian sequence number", seq)
			}
		})
	}
}

// TestRecordTypeCmsg: the TLS_SET_RECORD_TYPE control message is the
// one x/sys/unix parses as level SOL_TLS, type 1, one byte; recordType
// reads a TLS_GET_RECORD_TYPE one and nothing else.
func TestRecordTypeCmsg(t *testing.T) {
	oob := setRecordType(recordAlert)
	msgs, err := unix.ParseSocketControlMessage(oob[:])
	if err != nil || len(msgs) != 1 {
		t.Fatalf("parse: %v %v", msgs, err)
	}
	m := msgs[0]
	if m.Header.Level != unix.SOL_TLS || m.Header.Type != tlsSetRecordType || !bytes.Equal(m.Data, []byte{recordAlert}) {
		t.Fatalf("cmsg %+v %x", m.Header, m.Data)
	}
	if _, ok := recordType(oob[:]); ok {
		t.Fatal("a SET message read as GET")
	}
	binary.NativeEndian.PutUint32(oob[cmsgLenSize+4:], tlsGetRecordType)
	if typ, ok := recordType(oob[:]); !ok || typ != recordAlert {
		t.Fatalf("recordType = %d %v", typ, ok)
	}
	if _, ok := recordType(oob[:unix.SizeofCmsghdr]); ok {
		t.Fatal("a truncated message read")
	}
}

// TestKernelRecordsControl runs kernelRecords' handling of the records
// the kernel hands up with their type, where this machine can: the
// kernel protects neither direction here (no socket; tx false), so its
// answers come back as the package's records, which the client opens.
// An update_requested KeyUpdate the kernel cannot take (the descriptor
// is not a kTLS socket) ends the connection with internal_error and is
// counted; close_notify is answered with close_notify; an unexpected
// content type gets unexpected_message.
func TestKernelRecordsControl(t *testing.T) {
	var events []KernelEvent
	newK := func() (*kernelRecords, *records) {
		srv, cli := pair(t, tls.TLS_AES_128_GCM_SHA256)
		return &kernelRecords{rl: srv, fd: -1, ctype: recordApplicationData, events: func(e KernelEvent) { events = append(events, e) }}, cli
	}
	feed := func(k *kernelRecords, typ byte, content []byte) ([]byte, []byte, error) {
		k.ctype = typ
		return k.open(nil, content)
	}
	answer := func(cli *records, reply []byte) error {
		_, _, err := cli.open(nil, reply)
		return err
	}

	k, cli := newK()
	if plain, reply, err := feed(k, recordApplicationData, []byte("hi")); string(plain) != "hi" || reply != nil || err != nil {
		t.Fatalf("application data: %q %x %v", plain, reply, err)
	}
	_, reply, err := feed(k, recordHandshake, []byte{typeKeyUpdate, 0, 0, 1, 1})
	if !errors.As(err, new(AlertError)) || err.(AlertError).Alert != AlertInternalError || len(events) != 1 || events[0] != KernelRekeyUnsupported {
		t.Fatalf("KeyUpdate without kernel rekeying: %v, events %v", err, events)
	}
	if err := answer(cli, reply); err != (AlertError{Alert: AlertInternalError, Remote: true}) {
		t.Fatalf("client read %v, want internal_error", err)
	}
	if _, err := k.seal([]byte("x")); err != ErrClosed {
		t.Fatalf("seal after the alert: %v", err)
	}

	k, cli = newK()
	if _, reply, err = feed(k, recordHandshake, []byte{typeKeyUpdate, 0}); reply != nil || err != nil {
		t.Fatalf("a first fragment of KeyUpdate: %x %v", reply, err)
	}
	if _, reply, err = feed(k, recordAlert, []byte{1, 0}); err != (AlertError{Alert: AlertUnexpectedMessage}) {
		t.Fatalf("an alert inside a KeyUpdate: %v", err)
	}
	if err := answer(cli, reply); err != (AlertError{Alert: AlertUnexpectedMessage, Remote: true}) {
		t.Fatalf("client read %v", err)
	}

	k, cli = newK()
	if _, reply, err = feed(k, recordAlert, []byte{1, byte(AlertCloseNotify)}); err != (AlertError{Alert: AlertCloseNotify, Remote: true}) {
		t.Fatalf("close_notify: %v", err)
	}
	if err := answer(cli, reply); err != (AlertError{Alert: AlertCloseNotify, Remote: true}) {
		t.Fatalf("client read %v, want close_notify", err)
	}

	k, cli = newK()
	if _, reply, err = feed(k, 20 /* change_cipher_spec */, []byte{1}); err != (AlertError{Alert: AlertUnexpectedMessage}) {
		t.Fatalf("change_cipher_spec: %v", err)
	}
	if err := answer(cli, reply); err != (AlertError{Alert: AlertUnexpectedMessage, Remote: true}) {
		t.Fatalf("client read %v", err)
	}
}
