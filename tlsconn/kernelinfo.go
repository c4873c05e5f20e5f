package tlsconn

import (
	"crypto/tls"
	"encoding/binary"
)

// The kernel TLS interface of linux/tls.h (uapi) that x/sys/unix does not
// define (it has SOL_TLS and TCP_ULP).
const (
	// socket options at level SOL_TLS
	tlsTX = 1 // TLS_TX: the write direction's crypto_info
	tlsRX = 2 // TLS_RX: the read direction's
	// control message types at level SOL_TLS
	tlsSetRecordType = 1 // TLS_SET_RECORD_TYPE: sendmsg, one byte
	tlsGetRecordType = 2 // TLS_GET_RECORD_TYPE: recvmsg, one byte
	// struct tls_crypto_info
	tls13Version        = 0x0304 // TLS_1_3_VERSION
	cipherAESGCM128     = 51     // TLS_CIPHER_AES_GCM_128
	cipherAESGCM256     = 52     // TLS_CIPHER_AES_GCM_256
	cipherChaCha20Poly  = 54     // TLS_CIPHER_CHACHA20_POLY1305
	kernelRecSeqLen     = 8      // TLS_CIPHER_*_REC_SEQ_SIZE
	maxKernelCryptoInfo = 56     // sizeof the largest struct below
)

// cryptoInfo writes into b the struct the kernel takes with
// setsockopt(SOL_TLS, TLS_TX or TLS_RX) for k under suite s, and returns
// it (linux/tls.h, tls12_crypto_info_aes_gcm_128, _aes_gcm_256,
// _chacha20_poly1305):
//
//	u16 version, u16 cipher_type (host byte order)
//	iv[8], key[16], salt[4], rec_seq[8]     AES-128-GCM: 40 bytes
//	iv[8], key[32], salt[4], rec_seq[8]     AES-256-GCM: 56 bytes
//	iv[12], key[32], rec_seq[8]             ChaCha20-Poly1305: 56 bytes
//
// For AES-GCM the 12-byte IV of RFC 8446 section 7.3 is split: its first
// 4 bytes are the salt, the last 8 the iv field. rec_seq is the sequence
// number of the next record, big-endian (section 5.3). The byte order of
// version and cipher_type is the host's (little-endian on the amd64 and
// arm64 builds this package ships for).
func cryptoInfo(b *[maxKernelCryptoInfo]byte, s *suite, k *trafficKeys) []byte {
	var cipher uint16
	switch s.id {
	case tls.TLS_AES_128_GCM_SHA256:
		cipher = cipherAESGCM128
	case tls.TLS_AES_256_GCM_SHA384:
		cipher = cipherAESGCM256
	case tls.TLS_CHACHA20_POLY1305_SHA256:
		cipher = cipherChaCha20Poly
	default:
		return nil
	}
	binary.NativeEndian.PutUint16(b[0:2], tls13Version)
	binary.NativeEndian.PutUint16(b[2:4], cipher)
	n := 4
	if cipher == cipherChaCha20Poly { // iv[12], no salt
		n += copy(b[n:], k.iv[:])
		n += copy(b[n:], k.key[:s.keyLen])
	} else { // iv[8] = IV[4:12], key, salt[4] = IV[0:4]
		n += copy(b[n:], k.iv[4:])
		n += copy(b[n:], k.key[:s.keyLen])
		n += copy(b[n:], k.iv[:4])
	}
	binary.BigEndian.PutUint64(b[n:n+kernelRecSeqLen], k.seq)
	return b[:n+kernelRecSeqLen]
}
