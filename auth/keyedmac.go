package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"hash"
	"sync"
	"sync/atomic"
)

// The Pusher signatures (HTTP API requests, private and presence
// channel subscriptions, user sign-in) are all HMAC-SHA256 under an app
// secret. Keying an HMAC hashes the key into two SHA-256 states and
// costs five allocations; an HMAC's Reset returns it to that keyed state
// (crypto/hmac), so instances are pooled per secret and reused. Secrets
// come from the configuration, never from a request, so the pools are
// few; past maxKeyedSecrets (a configuration reloaded with fresh secrets
// over and over) new secrets get an unpooled HMAC each time.

// maxKeyedSecrets bounds how many secrets keep a pool.
const maxKeyedSecrets = 4096

var keyedMACs struct {
	pools sync.Map // secret → *sync.Pool of hash.Hash
	n     atomic.Int32
}

// sha256MAC returns an HMAC-SHA256 keyed with secret, in its keyed state;
// hand it back with putMAC once its Sum is taken.
func sha256MAC(secret string) hash.Hash {
	if p, ok := keyedMACs.pools.Load(secret); ok {
		return p.(*sync.Pool).Get().(hash.Hash)
	}
	if keyedMACs.n.Load() >= maxKeyedSecrets {
		return hmac.New(sha256.New, []byte(secret))
	}
	key := []byte(secret)
	p, loaded := keyedMACs.pools.LoadOrStore(secret, &sync.Pool{New: func() any { return hmac.New(sha256.New, key) }})
	if !loaded {
		keyedMACs.n.Add(1)
	}
	return p.(*sync.Pool).Get().(hash.Hash)
}

// putMAC resets m and returns it to secret's pool, if it has one.
func putMAC(secret string, m hash.Hash) {
	if p, ok := keyedMACs.pools.Load(secret); ok {
		m.Reset()
		p.(*sync.Pool).Put(m)
	}
}

// signBufs holds the buffers a string to sign is assembled in.
var signBufs = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// maxSignBuf is the largest buffer signBufs keeps: a rare large string
// to sign (a presence channel's user data) does not stay in the pool.
const maxSignBuf = 64 << 10

// getSignBuf returns an empty buffer to assemble a string to sign in.
func getSignBuf() *[]byte {
	bp := signBufs.Get().(*[]byte)
	*bp = (*bp)[:0]
	return bp
}

// putSignBuf returns b, the grown *bp, to the pool.
func putSignBuf(bp *[]byte, b []byte) {
	if cap(b) > maxSignBuf {
		return
	}
	*bp = b
	signBufs.Put(bp)
}

// macOf is HMAC-SHA256(secret, msg) in dst, which must have room for
// sha256.Size bytes; it returns dst[:sha256.Size].
func macOf(dst []byte, secret string, msg []byte) []byte {
	m := sha256MAC(secret)
	m.Write(msg)
	sum := m.Sum(dst[:0])
	putMAC(secret, m)
	return sum
}
