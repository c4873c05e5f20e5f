package tlsconn

import (
	"crypto/cipher"
	"encoding/binary"
	"slices"
	"sync/atomic"
)

// Record content types (RFC 8446 section 5.1).
const (
	recordAlert           = 21
	recordApplicationData = 23
	// handshake message types seen after the handshake (section 4)
	typeKeyUpdate = 24
)

const (
	// maxPlaintext is the largest TLSPlaintext fragment, 2^14 (RFC 8446
	// section 5.1); maxCiphertext the largest TLSCiphertext one, 2^14 +
	// 256 (section 5.2).
	maxPlaintext  = 1 << 14
	maxCiphertext = maxPlaintext + 256
	// maxUseless bounds the records in a row that carry no application
	// data (KeyUpdates, empty records, user_canceled): a peer cannot keep
	// the loop busy with them.
	maxUseless = 16
	// keyUpdateAfter is how many records we protect with one key before
	// we move to the next (RFC 8446 section 5.5: AES-GCM may protect at
	// most 2^24.5 full-size records per key).
	keyUpdateAfter = 1 << 24
	// recordOverhead is what a record adds to its content: header, inner
	// content type, tag.
	recordOverhead = recordHeaderLen + 1 + tagLen
)

// records is the TLS 1.3 record layer of one connection after its
// handshake (RFC 8446 section 5): AEAD protection with the keys of each
// direction, the inner content type, KeyUpdate (section 4.6.3) and
// alerts (section 6). What it keeps between calls is the two directions'
// secrets, keys and sequence numbers, the bytes of a record not yet
// complete (only while it is partial) and up to four bytes of a
// fragmented KeyUpdate. It is not safe for concurrent use.
type records struct {
	suite   uint8 // index in suites
	closed  bool  // an alert was sent or received: nothing more in or out
	useless uint8 // records in a row without application data
	hsLen   uint8 // bytes of a handshake message held in hs
	hs      [4]byte
	in, out trafficKeys
	partial []byte      // an incomplete record, header first; nil otherwise
	nonce   [ivLen]byte // scratch: a nonce passed to an AEAD escapes
	// The write AEAD while the connection is sent to (aeadcache.go).
	warm         *warmSet // nil: built for each call, never kept
	wbox         atomic.Pointer[aeadBox]
	used, listed atomic.Bool
}

// newRecords starts the record layer of a TLS 1.3 connection of the given
// suite from the application traffic secrets (client's: ours to read;
// server's: ours to write) and the number of records already protected
// with the server's (post-handshake messages crypto/tls sent). warm, if
// not nil, keeps the write AEAD of connections that are sent to.
func newRecords(suiteID uint16, clientSecret, serverSecret []byte, written uint64, warm *warmSet) (*records, bool) {
	i := suiteByID(suiteID)
	if i < 0 || len(clientSecret) != suites[i].hashLen || len(serverSecret) != suites[i].hashLen {
		return nil, false
	}
	r := &records{suite: uint8(i), warm: warm}
	r.in.set(&suites[i], clientSecret)
	r.out.set(&suites[i], serverSecret)
	r.out.seq = written
	return r, true
}

// opening is the state of one open call: the AEADs it built (dropped
// when it returns) and what it produced.
type opening struct {
	r      *records
	s      *suite
	plain  []byte
	reply  []byte
	ra, wa cipher.AEAD
}

// open decrypts the records that in completes and appends their
// application data to dst. reply is what must be sent in answer (our
// KeyUpdate, close_notify, or the alert that ends the connection). err
// is an AlertError: the connection is over.
func (r *records) open(dst, in []byte) (plain, reply []byte, err error) {
	if r.closed {
		return dst, nil, ErrClosed
	}
	o := opening{r: r, s: &suites[r.suite], plain: dst}
	if len(r.partial) > 0 {
		var complete bool
		if in, complete, err = o.fill(in); err != nil || !complete {
			return o.plain, o.reply, err
		}
		rec := r.partial
		r.partial = nil
		if err = o.record(rec); err != nil {
			return o.plain, o.reply, err
		}
	}
	for len(in) > 0 {
		if len(in) < recordHeaderLen {
			r.partial = append(make([]byte, 0, recordHeaderLen), in...)
			break
		}
		n, err := o.header(in)
		if err != nil {
			return o.plain, o.reply, err
		}
		if len(in) < n {
			r.partial = append(make([]byte, 0, n), in...)
			break
		}
		if err = o.record(in[:n]); err != nil {
			return o.plain, o.reply, err
		}
		in = in[n:]
	}
	return o.plain, o.reply, nil
}

// fill moves bytes from in to the partial record, up to its end, and
// returns the rest of in and whether the record is now complete. The
// partial record's capacity is its length once its header is known.
func (o *opening) fill(in []byte) (rest []byte, complete bool, err error) {
	r := o.r
	if len(r.partial) < recordHeaderLen {
		k := min(recordHeaderLen-len(r.partial), len(in))
		r.partial, in = append(r.partial, in[:k]...), in[k:]
		if len(r.partial) < recordHeaderLen {
			return in, false, nil
		}
		n, err := o.header(r.partial)
		if err != nil {
			return in, false, err
		}
		r.partial = append(make([]byte, 0, n), r.partial...)
	}
	k := min(cap(r.partial)-len(r.partial), len(in))
	r.partial, in = append(r.partial, in[:k]...), in[k:]
	return in, len(r.partial) == cap(r.partial), nil
}

// header checks a record header (RFC 8446 section 5.2) and returns the
// record's whole length. The legacy version is ignored, as the RFC says.
func (o *opening) header(h []byte) (int, error) {
	if h[0] != recordApplicationData {
		// Protected records are all application_data outside; a
		// change_cipher_spec after the handshake is unexpected too.
		return 0, o.fail(AlertUnexpectedMessage)
	}
	n := int(binary.BigEndian.Uint16(h[3:5]))
	if n > maxCiphertext {
		return 0, o.fail(AlertRecordOverflow)
	}
	return recordHeaderLen + n, nil
}

// record decrypts one whole record (RFC 8446 section 5.2) and acts on
// its content.
func (o *opening) record(rec []byte) error {
	r := o.r
	body := rec[recordHeaderLen:]
	if len(body) < tagLen+1 {
		return o.fail(AlertBadRecordMAC)
	}
	if o.ra == nil {
		o.ra = r.in.aead(o.s)
	}
	at := len(o.plain)
	out, err := o.ra.Open(o.plain, r.in.nonce(&r.nonce), body, rec[:recordHeaderLen])
	if err != nil {
		return o.fail(AlertBadRecordMAC)
	}
	r.in.seq++
	inner := out[at:]
	o.plain = out[:at]
	if len(inner) > maxPlaintext+1 {
		return o.fail(AlertRecordOverflow)
	}
	i := len(inner) - 1 // strip the zero padding (section 5.4)
	for i >= 0 && inner[i] == 0 {
		i--
	}
	if i < 0 {
		return o.fail(AlertUnexpectedMessage)
	}
	typ, content := inner[i], inner[:i]
	if typ != recordHandshake && r.hsLen > 0 { // handshake data may not be interleaved
		return o.fail(AlertUnexpectedMessage)
	}
	r.useless++
	switch typ {
	case recordApplicationData:
		if len(content) > 0 {
			r.useless = 0
			o.plain = out[:at+i]
		}
	case recordHandshake:
		if err := o.handshake(content); err != nil {
			return err
		}
	case recordAlert:
		if err := o.alert(content); err != nil {
			return err
		}
	default:
		return o.fail(AlertUnexpectedMessage)
	}
	if r.useless > maxUseless {
		return o.fail(AlertUnexpectedMessage)
	}
	return nil
}

// handshake takes post-handshake messages. A client may send only
// KeyUpdate (RFC 8446 section 4.6.3): one byte, 0 or 1, the last thing
// in its record since the keys change behind it (section 5.1). The
// message may arrive in fragments across records.
func (o *opening) handshake(b []byte) error {
	r := o.r
	if len(b) == 0 { // zero-length handshake fragments are forbidden (section 5.1)
		return o.fail(AlertUnexpectedMessage)
	}
	for len(b) > 0 {
		if r.hsLen < 4 {
			k := copy(r.hs[r.hsLen:], b)
			r.hsLen += uint8(k)
			b = b[k:]
			if r.hs[0] != typeKeyUpdate {
				return o.fail(AlertUnexpectedMessage)
			}
			if r.hsLen < 4 {
				return nil
			}
			if r.hs[1] != 0 || r.hs[2] != 0 || r.hs[3] != 1 {
				return o.fail(AlertDecodeError)
			}
			continue
		}
		request := b[0]
		b = b[1:]
		r.hsLen = 0
		if request > 1 {
			return o.fail(AlertIllegalParameter)
		}
		if len(b) > 0 {
			return o.fail(AlertUnexpectedMessage)
		}
		r.in.update(o.s)
		o.ra = nil
		if request == 1 { // update_requested: ours goes out before any more data
			o.reply = o.r.appendKeyUpdate(o.reply, o.writer())
			o.wa = nil
		}
	}
	return nil
}

// alert takes an alert record: exactly one alert (RFC 8446 section 5.1).
// close_notify ends the connection in order and is answered with ours;
// user_canceled is a warning; any other alert is fatal (section 6).
func (o *opening) alert(b []byte) error {
	if len(b) != 2 {
		return o.fail(AlertDecodeError)
	}
	switch a := Alert(b[1]); a {
	case AlertUserCanceled:
		return nil
	case AlertCloseNotify:
		o.reply = o.r.appendRecord(o.reply, o.writer(), recordAlert, []byte{1, byte(a)})
		o.r.closed = true
		return AlertError{Alert: a, Remote: true}
	default:
		o.r.closed = true
		return AlertError{Alert: a, Remote: true}
	}
}

// fail sends alert a (fatal, RFC 8446 section 6.2) and closes the record
// layer.
func (o *opening) fail(a Alert) error {
	if !o.r.closed {
		o.reply = o.r.appendRecord(o.reply, o.writer(), recordAlert, []byte{2, byte(a)})
		o.r.closed = true
	}
	return AlertError{Alert: a}
}

func (o *opening) writer() cipher.AEAD {
	if o.wa == nil {
		o.wa = o.r.writeAEAD()
	}
	return o.wa
}

// seal protects p in application_data records of at most maxPlaintext
// bytes each, in a new slice (appendSealed).
func (r *records) seal(p []byte) ([]byte, error) {
	one := [1][]byte{p}
	return r.appendSealed(make([]byte, 0, sealedLen(len(p))), one[:])
}

// sealedLen is the wire size of n bytes of application data sealed by
// appendSealed, a KeyUpdate aside.
func sealedLen(n int) int {
	return n + (n+maxPlaintext-1)/maxPlaintext*recordOverhead
}

// appendSealed protects the bytes of bufs, one after the other, in
// application_data records of at most maxPlaintext bytes each (RFC 8446
// section 5.1: a record may carry several of the caller's messages, and
// one may span records), sealed in place at the end of dst: frames
// queued together leave in one record, without a copy in between.
// Before each record, once the key has protected keyUpdateAfter records,
// a KeyUpdate moves it on (section 5.5). Neither dst nor bufs is kept.
func (r *records) appendSealed(dst []byte, bufs [][]byte) ([]byte, error) {
	if r.closed {
		return dst, ErrClosed
	}
	total := 0
	for _, b := range bufs {
		total += len(b)
	}
	if total == 0 {
		return dst, nil
	}
	dst = slices.Grow(dst, sealedLen(total))
	a := r.writeAEAD()
	i, off := 0, 0 // next byte to take: bufs[i][off]
	for total > 0 {
		if r.out.seq >= keyUpdateAfter {
			dst = r.appendKeyUpdate(dst, a)
			a = r.writeAEAD()
		}
		k := min(total, maxPlaintext)
		total -= k
		var start int
		dst, start = openRecord(dst, k)
		for k > 0 {
			b := bufs[i][off:]
			if len(b) > k {
				b = b[:k]
			}
			dst = append(dst, b...)
			k -= len(b)
			if off += len(b); off == len(bufs[i]) {
				i, off = i+1, 0
			}
		}
		dst = r.closeRecord(dst, start, a, recordApplicationData)
	}
	return dst, nil
}

// appendKeyUpdate appends our KeyUpdate (update_not_requested) under the
// current write key, then moves the write key on (RFC 8446 section
// 4.6.3). a is the current write key's AEAD; it is stale afterwards.
func (r *records) appendKeyUpdate(dst []byte, a cipher.AEAD) []byte {
	dst = r.appendRecord(dst, a, recordHandshake, []byte{typeKeyUpdate, 0, 0, 1, 0})
	r.out.update(&suites[r.suite])
	r.rekeyed()
	return dst
}

// appendRecord appends one protected record of content type typ (RFC
// 8446 section 5.2), sealed in place, without padding.
func (r *records) appendRecord(dst []byte, a cipher.AEAD, typ byte, content []byte) []byte {
	dst, start := openRecord(dst, len(content))
	dst = append(dst, content...)
	return r.closeRecord(dst, start, a, typ)
}

// openRecord appends the header of a record that will carry n bytes of
// content (RFC 8446 section 5.2: its length counts the inner content
// type and the tag) and returns where the record starts.
func openRecord(dst []byte, n int) ([]byte, int) {
	start := len(dst)
	n += 1 + tagLen
	return append(dst, recordApplicationData, 3, 3, byte(n>>8), byte(n)), start
}

// closeRecord ends the record begun at start, whose content follows its
// header up to the end of dst: it appends the inner content type typ and
// seals the inner plaintext in place under the next sequence number.
func (r *records) closeRecord(dst []byte, start int, a cipher.AEAD, typ byte) []byte {
	dst = append(dst, typ)
	nonce := r.out.nonce(&r.nonce)
	r.out.seq++
	hdr := start + recordHeaderLen
	return a.Seal(dst[:hdr], nonce, dst[hdr:], dst[start:hdr])
}

// closeAlert returns close_notify (or, for a fatal error, the alert) for a
// connection we end, and closes the record layer; nil once closed.
func (r *records) closeAlert(a Alert) []byte {
	if r.closed {
		return nil
	}
	level := byte(2)
	if a == AlertCloseNotify || a == AlertUserCanceled {
		level = 1
	}
	out := r.appendRecord(make([]byte, 0, recordOverhead+2), r.writeAEAD(), recordAlert, []byte{level, byte(a)})
	r.closed = true
	return out
}
