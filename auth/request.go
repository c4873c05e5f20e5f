package auth

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// DefaultMaxSkew is how far auth_timestamp may be from now when
// RequestCheck.MaxSkew is zero.
const DefaultMaxSkew = 600 * time.Second

// RequestCheck is one Pusher HTTP API request to verify.
type RequestCheck struct {
	// Method is the HTTP method; it is upper-cased before signing.
	Method string
	// Path is the request path as received, e.g. "/apps/1/events".
	Path string
	// Query is the decoded query string, auth_* parameters included.
	Query url.Values
	// Body is the raw request body; nil or empty means no body.
	Body []byte
	// Now is the verifier's clock; the zero value means time.Now().
	Now time.Time
	// MaxSkew is how far auth_timestamp may be from Now, either way.
	// Zero means DefaultMaxSkew (600 s).
	MaxSkew time.Duration
}

// VerifyRequest checks a Pusher HTTP API signature:
//
//	auth_signature = hex(HMAC-SHA256(secret, METHOD + "\n" + PATH + "\n" + query))
//
// where query is every parameter but auth_signature, keys lower-cased and
// sorted, "key=value" with values as sent (not escaped), joined with "&".
// auth_version must be "1.0", auth_timestamp within MaxSkew of Now, and
// body_md5 = hex(md5(body)) is required when the body is non-empty (and
// checked whenever present). The caller looks auth_key up and passes the
// secret of that key. The result is nil or a RequestError.
func VerifyRequest(c RequestCheck, secret string) error {
	for _, p := range [...]struct{ name, reason string }{
		{"auth_key", ReasonMissingKey},
		{"auth_timestamp", ReasonMissingTimestamp},
		{"auth_version", ReasonMissingVersion},
		{"auth_signature", ReasonMissingSignature},
	} {
		switch vs := c.Query[p.name]; {
		case len(vs) == 0 || vs[0] == "":
			return RequestError{Reason: p.reason}
		case len(vs) > 1:
			return RequestError{Reason: ReasonDuplicateParam}
		}
	}
	if c.Query.Get("auth_version") != "1.0" {
		return RequestError{Reason: ReasonBadVersion}
	}
	if err := checkTimestamp(c); err != nil {
		return err
	}
	if err := checkBodyMD5(c.Query, c.Body); err != nil {
		return err
	}
	var got, want [sha256.Size]byte
	sig := c.Query.Get("auth_signature")
	if len(sig) != hex.EncodedLen(sha256.Size) {
		return RequestError{Reason: ReasonBadSignature}
	}
	if _, err := hex.Decode(got[:], []byte(sig)); err != nil ||
		!hmac.Equal(got[:], appendRequestMAC(want[:0], c.Method, c.Path, c.Query, secret)) {
		return RequestError{Reason: ReasonBadSignature}
	}
	return nil
}

func checkTimestamp(c RequestCheck) error {
	ts, err := strconv.ParseInt(c.Query.Get("auth_timestamp"), 10, 64)
	if err != nil {
		return RequestError{Reason: ReasonBadTimestamp}
	}
	now := c.Now
	if now.IsZero() {
		now = time.Now()
	}
	skew := c.MaxSkew
	if skew <= 0 {
		skew = DefaultMaxSkew
	}
	limit := int64(skew / time.Second)
	d := now.Unix() - ts
	if d > limit || d < -limit {
		return RequestError{Reason: ReasonStaleTimestamp}
	}
	return nil
}

func checkBodyMD5(q url.Values, body []byte) error {
	vs, present := q["body_md5"]
	if !present {
		if len(body) > 0 {
			return RequestError{Reason: ReasonMissingBodyMD5}
		}
		return nil
	}
	if len(vs) != 1 {
		return RequestError{Reason: ReasonDuplicateParam}
	}
	sum := md5.Sum(body)
	var sumHex [2 * md5.Size]byte
	hex.Encode(sumHex[:], sum[:])
	if !strings.EqualFold(vs[0], string(sumHex[:])) {
		return RequestError{Reason: ReasonBadBodyMD5}
	}
	return nil
}

// requestMAC is HMAC-SHA256 over the Pusher string to sign.
func requestMAC(method, path string, q url.Values, secret string) []byte {
	return appendRequestMAC(make([]byte, 0, sha256.Size), method, path, q, secret)
}

// appendRequestMAC appends requestMAC's value to dst.
func appendRequestMAC(dst []byte, method, path string, q url.Values, secret string) []byte {
	bp := getSignBuf()
	b := append(append(append(append(*bp, strings.ToUpper(method)...), '\n'), path...), '\n')
	b = appendCanonicalQuery(b, q)
	dst = macOf(dst, secret, b)
	putSignBuf(bp, b)
	return dst
}

// canonicalQuery is the sorted "k=v&k=v" string Pusher signs: keys
// lower-cased, auth_signature left out, values unescaped, repeated keys in
// the order given.
func canonicalQuery(q url.Values) string { return string(appendCanonicalQuery(nil, q)) }

// appendCanonicalQuery appends canonicalQuery's value to b.
func appendCanonicalQuery(b []byte, q url.Values) []byte {
	type kv struct{ lower, orig string }
	var small [12]kv // an SDK's request has 5 to 8 parameters
	keys := small[:0]
	for k := range q {
		if lk := strings.ToLower(k); lk != "auth_signature" {
			keys = append(keys, kv{lk, k})
		}
	}
	slices.SortFunc(keys, func(a, b kv) int {
		if c := strings.Compare(a.lower, b.lower); c != 0 {
			return c
		}
		return strings.Compare(a.orig, b.orig)
	})
	start := len(b)
	for _, k := range keys {
		for _, v := range q[k.orig] {
			if len(b) > start {
				b = append(b, '&')
			}
			b = append(append(append(b, k.lower...), '='), v...)
		}
	}
	return b
}

// SignRequest is the client side of VerifyRequest: it returns a copy of
// query with auth_key, auth_timestamp, auth_version, body_md5 (when body is
// non-empty) and auth_signature set. Send it with Encode(); the server
// decodes it back to the same values.
func SignRequest(method, path string, query url.Values, body []byte, key, secret string, now time.Time) url.Values {
	q := make(url.Values, len(query)+5)
	for k, vs := range query {
		q[k] = slices.Clone(vs)
	}
	q.Set("auth_key", key)
	q.Set("auth_timestamp", strconv.FormatInt(now.Unix(), 10))
	q.Set("auth_version", "1.0")
	q.Del("auth_signature")
	if len(body) > 0 {
		sum := md5.Sum(body)
		q.Set("body_md5", hex.EncodeToString(sum[:]))
	}
	q.Set("auth_signature", hex.EncodeToString(requestMAC(method, path, q, secret)))
	return q
}
