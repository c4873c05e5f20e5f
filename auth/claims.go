package auth

import (
	"encoding/json"
	"math"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Claims is what fanout reads from a verified token.
type Claims struct {
	Subject   string          // "sub": the user id
	Channels  []string        // "channels": MatchChannel patterns granted
	ExpiresAt time.Time       // "exp"
	UserInfo  json.RawMessage // "user_info", optional; nil when absent
}

// tokenClaims is the wire form of the claims, for minting and for both
// verification paths. Times are JSON numbers of seconds; nil means absent.
// It decodes with plain numbers instead of jwt.NumericDate, which costs a
// nested json.Unmarshal per time claim on the hot path.
type tokenClaims struct {
	Subject  string           `json:"sub,omitempty"`
	Issuer   string           `json:"iss,omitempty"`
	Audience jwt.ClaimStrings `json:"aud,omitempty"`
	Expires  *float64         `json:"exp,omitempty"`
	NotBef   *float64         `json:"nbf,omitempty"`
	IssuedAt *float64         `json:"iat,omitempty"`
	Channels []string         `json:"channels,omitempty"`
	UserInfo json.RawMessage  `json:"user_info,omitempty"`
}

// maxSeconds bounds the time claims accepted (about 146 billion years).
const maxSeconds = 1 << 62 / 1e9

// seconds converts a time claim; ok is false when it is out of range.
func seconds(f float64) (time.Time, bool) {
	if !(f > -maxSeconds && f < maxSeconds) {
		return time.Time{}, false
	}
	whole := math.Floor(f)
	return time.Unix(int64(whole), int64((f-whole)*1e9)), true
}

func unixSeconds(t time.Time) *float64 {
	f := float64(t.Unix())
	return &f
}

func (tc *tokenClaims) claims() Claims {
	exp, _ := seconds(*tc.Expires) // checkClaims has vetted it
	return Claims{Subject: tc.Subject, Channels: tc.Channels, ExpiresAt: exp, UserInfo: tc.UserInfo}
}

// The jwt.Claims interface, for the generic parser; fanout validates the
// claims itself (checkClaims), so these are never used for decisions.

func (tc *tokenClaims) GetExpirationTime() (*jwt.NumericDate, error) { return nil, nil }
func (tc *tokenClaims) GetIssuedAt() (*jwt.NumericDate, error)       { return nil, nil }
func (tc *tokenClaims) GetNotBefore() (*jwt.NumericDate, error)      { return nil, nil }
func (tc *tokenClaims) GetIssuer() (string, error)                   { return tc.Issuer, nil }
func (tc *tokenClaims) GetSubject() (string, error)                  { return tc.Subject, nil }
func (tc *tokenClaims) GetAudience() (jwt.ClaimStrings, error)       { return tc.Audience, nil }
