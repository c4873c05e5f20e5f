package tlsconn

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"encoding/binary"
	"hash"

	"golang.org/x/crypto/chacha20poly1305"
)

// suite is a TLS 1.3 cipher suite (RFC 8446 appendix B.4): its hash (the
// length of its traffic secrets) and its AEAD (key length; the IV is
// always 12 bytes and the tag 16).
type suite struct {
	id      uint16
	hash    func() hash.Hash
	hashLen int
	keyLen  int
	aead    func(key []byte) (cipher.AEAD, error)
}

const (
	ivLen        = 12
	tagLen       = 16
	maxSecretLen = 48 // SHA-384
	maxKeyLen    = 32
)

// suites are the three TLS 1.3 suites crypto/tls negotiates.
var suites = [...]suite{
	{tls.TLS_AES_128_GCM_SHA256, sha256.New, 32, 16, newGCM},
	{tls.TLS_AES_256_GCM_SHA384, sha512.New384, 48, 32, newGCM},
	{tls.TLS_CHACHA20_POLY1305_SHA256, sha256.New, 32, 32, chacha20poly1305.New},
}

// suiteByID is the index in suites of a TLS 1.3 suite, or -1.
func suiteByID(id uint16) int {
	for i := range suites {
		if suites[i].id == id {
			return i
		}
	}
	return -1
}

func newGCM(key []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

// expandLabel is HKDF-Expand-Label (RFC 8446 section 7.1) with an empty
// context: HKDF-Expand(secret, HkdfLabel{length, "tls13 " + label, ""}).
func expandLabel(s *suite, secret []byte, label string, length int) []byte {
	var info [2 + 1 + 6 + 16 + 1]byte
	binary.BigEndian.PutUint16(info[:2], uint16(length))
	info[2] = byte(6 + len(label))
	n := 3 + copy(info[3:], "tls13 ")
	n += copy(info[n:], label)
	info[n] = 0 // context: empty
	out, err := hkdf.Expand(s.hash, secret, string(info[:n+1]), length)
	if err != nil { // only for lengths beyond 255 hash lengths
		panic("tlsconn: " + err.Error())
	}
	return out
}

// trafficKeys is one direction's protection: its current traffic secret
// and the key and IV derived from it (RFC 8446 section 7.3), and the
// sequence number of its next record (section 5.3).
type trafficKeys struct {
	secret [maxSecretLen]byte
	key    [maxKeyLen]byte
	iv     [ivLen]byte
	seq    uint64
}

// set installs secret as the traffic secret and derives key and IV from
// it; the sequence number starts again at 0.
func (k *trafficKeys) set(s *suite, secret []byte) {
	copy(k.secret[:], secret[:s.hashLen])
	copy(k.key[:], expandLabel(s, secret[:s.hashLen], "key", s.keyLen))
	copy(k.iv[:], expandLabel(s, secret[:s.hashLen], "iv", ivLen))
	k.seq = 0
}

// update moves to the next generation of traffic secret (RFC 8446
// section 7.2): secret_N+1 = HKDF-Expand-Label(secret_N, "traffic upd",
// "", Hash.length).
func (k *trafficKeys) update(s *suite) {
	k.set(s, expandLabel(s, k.secret[:s.hashLen], "traffic upd", s.hashLen))
}

// aead builds the AEAD of the current key. It is built when needed and
// not kept: an AES-GCM state is about 800 bytes, the rest of a
// connection's record layer about 250.
func (k *trafficKeys) aead(s *suite) cipher.AEAD {
	a, err := s.aead(k.key[:s.keyLen])
	if err != nil { // key lengths are the suites' own
		panic("tlsconn: " + err.Error())
	}
	return a
}

// nonce writes the per-record nonce to n: the IV XOR the 64-bit
// sequence number padded on the left to the IV's length (RFC 8446
// section 5.3).
func (k *trafficKeys) nonce(n *[ivLen]byte) []byte {
	*n = k.iv
	var seq [8]byte
	binary.BigEndian.PutUint64(seq[:], k.seq)
	for i := range seq {
		n[ivLen-8+i] ^= seq[i]
	}
	return n[:]
}
