package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"hash"
	"strings"
	"sync"
	"time"
)

// The HS* upgrade path is the hot one (an app's own secret signs most
// tokens), and the generic parser spends most of its time decoding the
// header into a map. Tokens whose header segment is, byte for byte, one of
// the headers the common JWT libraries emit skip that: the algorithm is
// known from the segment itself, the claims are decoded into the same type
// the generic path uses, and the signature is checked with a pooled HMAC.
// Any other header goes through the generic path. Both check in the same
// order, so the outcome never depends on which path ran (a test holds them
// to it).

// hmacHeaders maps a base64url header segment to its alg.
var hmacHeaders = func() map[string]string {
	m := map[string]string{}
	for _, alg := range []string{"HS256", "HS384", "HS512"} {
		for _, h := range []string{
			`{"alg":"` + alg + `","typ":"JWT"}`,
			`{"typ":"JWT","alg":"` + alg + `"}`,
			`{"alg":"` + alg + `"}`,
		} {
			m[base64.RawURLEncoding.EncodeToString([]byte(h))] = alg
		}
	}
	return m
}()

// hmacPools holds keyed HMACs per alg, reset between uses.
type hmacPools struct {
	hs256, hs384, hs512 sync.Pool
}

func newHMACPools(key []byte) *hmacPools {
	p := &hmacPools{}
	p.hs256.New = func() any { return hmac.New(sha256.New, key) }
	p.hs384.New = func() any { return hmac.New(sha512.New384, key) }
	p.hs512.New = func() any { return hmac.New(sha512.New, key) }
	return p
}

func (p *hmacPools) pool(alg string) *sync.Pool {
	switch alg {
	case "HS256":
		return &p.hs256
	case "HS384":
		return &p.hs384
	}
	return &p.hs512
}

// verifyHMACFast verifies token if its header is a known HS* header and
// HMAC is enabled; handled is false when the generic path must run.
func (v *Verifier) verifyHMACFast(token string, now time.Time) (c Claims, handled bool, err error) {
	head, rest, ok := strings.Cut(token, ".")
	if !ok || v.hmac == nil {
		return Claims{}, false, nil
	}
	alg, known := hmacHeaders[head]
	payload, sig, ok := strings.Cut(rest, ".")
	if !known || (v.algs != nil && !v.algs[alg]) || !ok || strings.IndexByte(sig, '.') >= 0 || base64.RawURLEncoding.DecodedLen(len(sig)) > sha512.Size {
		return Claims{}, false, nil
	}
	// Claims before signature, in the generic path's order, so both
	// report the same reason for every token.
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return Claims{}, true, TokenError{Reason: ReasonMalformed}
	}
	var tc tokenClaims
	if err := json.Unmarshal(raw, &tc); err != nil {
		return Claims{}, true, TokenError{Reason: ReasonMalformed}
	}
	var got [sha512.Size]byte
	n, err := base64.RawURLEncoding.Decode(got[:], []byte(sig))
	if err != nil {
		return Claims{}, true, TokenError{Reason: ReasonMalformed}
	}
	if !v.hmacSignatureOK(alg, token[:len(head)+1+len(payload)], got[:n]) {
		return Claims{}, true, TokenError{Reason: ReasonTokenSignature}
	}
	if err := v.checkClaims(&tc, now); err != nil {
		return Claims{}, true, err
	}
	return tc.claims(), true, nil
}

func (v *Verifier) hmacSignatureOK(alg, signed string, sig []byte) bool {
	var buf [sha512.Size]byte
	pool := v.hmac.pool(alg)
	h := pool.Get().(hash.Hash)
	h.Reset()
	h.Write([]byte(signed))
	sum := h.Sum(buf[:0])
	pool.Put(h)
	return hmac.Equal(sum, sig)
}
