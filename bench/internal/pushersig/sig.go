package pushersig

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// Error is a verification failure; its value names the reason.
type Error string

func (e Error) Error() string { return "pushersig: " + string(e) }

// Verification failures.
const (
	ErrMissing   = Error("missing auth parameters")
	ErrKey       = Error("unknown auth_key")
	ErrBodyMD5   = Error("body_md5 mismatch")
	ErrSignature = Error("bad auth_signature")
	ErrTimestamp = Error("auth_timestamp out of range")
)

// Query returns the signed query string for method and path (path
// without the query) with body, at unix time ts.
func Query(key, secret, method, path string, body []byte, ts int64) string {
	q := url.Values{}
	q.Set("auth_key", key)
	q.Set("auth_timestamp", strconv.FormatInt(ts, 10))
	q.Set("auth_version", "1.0")
	if len(body) > 0 {
		sum := md5.Sum(body)
		q.Set("body_md5", hex.EncodeToString(sum[:]))
	}
	sig := Signature(secret, method, path, q)
	return canonical(q) + "&auth_signature=" + sig
}

// Signature is hex HMAC-SHA256(secret, METHOD\nPATH\nsorted query),
// where the query excludes auth_signature.
func Signature(secret, method, path string, q url.Values) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strings.ToUpper(method) + "\n" + path + "\n" + canonical(q)))
	return hex.EncodeToString(mac.Sum(nil))
}

// canonical is the query sorted by key, lower-cased keys, without
// auth_signature, unescaped as Pusher signs it.
func canonical(q url.Values) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		if k != "auth_signature" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(strings.ToLower(k))
		b.WriteByte('=')
		b.WriteString(q.Get(k))
	}
	return b.String()
}

// Verify checks a request's query against key/secret; now is unix
// seconds and maxSkew the allowed timestamp distance (0 disables).
func Verify(key, secret, method, path string, q url.Values, body []byte, now, maxSkew int64) error {
	got := q.Get("auth_signature")
	if got == "" || q.Get("auth_key") == "" || q.Get("auth_timestamp") == "" {
		return ErrMissing
	}
	if q.Get("auth_key") != key {
		return ErrKey
	}
	if maxSkew > 0 {
		ts, err := strconv.ParseInt(q.Get("auth_timestamp"), 10, 64)
		if err != nil || ts < now-maxSkew || ts > now+maxSkew {
			return ErrTimestamp
		}
	}
	if len(body) > 0 {
		sum := md5.Sum(body)
		if q.Get("body_md5") != hex.EncodeToString(sum[:]) {
			return ErrBodyMD5
		}
	}
	want := Signature(secret, method, path, q)
	if !hmac.Equal([]byte(got), []byte(want)) {
		return ErrSignature
	}
	return nil
}

// ChannelAuth is the "auth" value of a private or presence subscription:
// "key:" + hex HMAC-SHA256(secret, "socket_id:channel"), with
// ":channel_data" appended for presence channels, as described in
// https://pusher.com/docs/channels/library_auth_reference/auth-signatures/.
func ChannelAuth(key, secret, socketID, channel, channelData string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(socketID + ":" + channel))
	if channelData != "" {
		mac.Write([]byte(":" + channelData))
	}
	return key + ":" + hex.EncodeToString(mac.Sum(nil))
}
