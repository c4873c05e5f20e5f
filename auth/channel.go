package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"strings"

	"github.com/fanout/fanout/protocol"
)

// SignChannel returns the pusher:subscribe auth string "key:hexsig" for a
// private or presence channel. The signature is HMAC-SHA256(secret,
// socketID + ":" + channel), with ":" + channelData appended when
// channelData is not empty (presence channels).
func SignChannel(key, secret, socketID, channel, channelData string) string {
	return key + ":" + hex.EncodeToString(channelMAC(secret, socketID, channel, channelData))
}

// VerifyChannel reports whether auth is the SignChannel string for these
// values. It compares in constant time. A presence channel
// (protocol.ChannelKind.Presence) needs channelData; an empty one is
// refused.
func VerifyChannel(key, secret, socketID, channel, channelData, auth string) bool {
	if channelData == "" && protocol.KindOf(channel).Presence() {
		return false
	}
	return verifyKeyed(key, auth, channelMAC(secret, socketID, channel, channelData))
}

func channelMAC(secret, socketID, channel, channelData string) []byte {
	bp := getSignBuf()
	b := append(append(append(*bp, socketID...), ':'), channel...)
	if channelData != "" {
		b = append(append(b, ':'), channelData...)
	}
	sum := macOf(make([]byte, 0, sha256.Size), secret, b)
	putSignBuf(bp, b)
	return sum
}

// SignUser returns the pusher:signin auth string "key:hexsig", the
// signature being HMAC-SHA256(secret, socketID + "::user::" + userData).
func SignUser(key, secret, socketID, userData string) string {
	return key + ":" + hex.EncodeToString(userMAC(secret, socketID, userData))
}

// VerifyUser reports whether auth is the SignUser string for these values.
// It compares in constant time.
func VerifyUser(key, secret, socketID, userData, auth string) bool {
	return verifyKeyed(key, auth, userMAC(secret, socketID, userData))
}

func userMAC(secret, socketID, userData string) []byte {
	bp := getSignBuf()
	b := append(append(append(*bp, socketID...), "::user::"...), userData...)
	sum := macOf(make([]byte, 0, sha256.Size), secret, b)
	putSignBuf(bp, b)
	return sum
}

// verifyKeyed checks auth == key + ":" + hex(mac) without leaking timing
// about the signature.
func verifyKeyed(key, auth string, mac []byte) bool {
	gotKey, gotHex, ok := strings.Cut(auth, ":")
	if !ok || len(gotHex) != hex.EncodedLen(len(mac)) {
		return false
	}
	var got [sha256.Size]byte
	if _, err := hex.Decode(got[:len(mac)], []byte(gotHex)); err != nil {
		return false
	}
	keyOK := subtle.ConstantTimeCompare([]byte(gotKey), []byte(key))
	return keyOK&subtle.ConstantTimeCompare(got[:len(mac)], mac) == 1
}

// SignWebhook returns the X-Pusher-Signature header value for a webhook
// body: hex(HMAC-SHA256(secret, body)).
func SignWebhook(secret string, body []byte) string {
	return hex.EncodeToString(macOf(make([]byte, 0, sha256.Size), secret, body))
}

// VerifyWebhook reports, in constant time, whether signature is the
// SignWebhook value for body.
func VerifyWebhook(secret string, body []byte, signature string) bool {
	got, err := hex.DecodeString(signature)
	if err != nil {
		return false
	}
	var sum [sha256.Size]byte
	return hmac.Equal(got, macOf(sum[:0], secret, body))
}

// MaxSocketIDLen bounds the length of a socket id ValidSocketID accepts.
const MaxSocketIDLen = 64

// ValidSocketID reports whether s has the Pusher socket id form
// "<digits>.<digits>" (ASCII digits, both parts non-empty, at most
// MaxSocketIDLen bytes in all).
func ValidSocketID(s string) bool {
	if len(s) > MaxSocketIDLen {
		return false
	}
	a, b, ok := strings.Cut(s, ".")
	return ok && allDigits(a) && allDigits(b)
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
