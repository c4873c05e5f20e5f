package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"hash"
	"sync"
	"sync/atomic"
)

// The Pusher signatures (HTTP API requests, private and presence
// channel subscriptions, user sign-in, webhooks) are all HMAC-SHA256
// under an app secret. Keying an HMAC hashes the key into two SHA-256
// states and costs five allocations; an HMAC's Reset returns it to that
// keyed state (crypto/hmac), so instances are pooled per secret with the
// pools the JWT verifier keeps per key (hmacPools, hmac_fast.go). Secrets
// come from the configuration, never from a request, so the pools are
// few; past maxKeyedSecrets (a configuration reloaded with fresh secrets
// over and over) new secrets get an unpooled HMAC each time.

// maxKeyedSecrets bounds how many secrets keep a pool.
const maxKeyedSecrets = 4096

var keyedMACs struct {
	pools sync.Map // secret → *hmacPools
	n     atomic.Int32
}

// sha256Pool returns secret's pool of keyed HMAC-SHA256s, or nil past
// maxKeyedSecrets.
func sha256Pool(secret string) *sync.Pool {
	if p, ok := keyedMACs.pools.Load(secret); ok {
		return &p.(*hmacPools).hs256
	}
	if keyedMACs.n.Load() >= maxKeyedSecrets {
		return nil
	}
	p, loaded := keyedMACs.pools.LoadOrStore(secret, newHMACPools([]byte(secret)))
	if !loaded {
		keyedMACs.n.Add(1)
	}
	return &p.(*hmacPools).hs256
}

// macOf appends HMAC-SHA256(secret, msg) to dst.
func macOf(dst []byte, secret string, msg []byte) []byte {
	pool := sha256Pool(secret)
	var m hash.Hash
	if pool != nil {
		m = pool.Get().(hash.Hash)
	} else {
		m = hmac.New(sha256.New, []byte(secret))
	}
	m.Write(msg)
	dst = m.Sum(dst)
	if pool != nil {
		m.Reset()
		pool.Put(m)
	}
	return dst
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
