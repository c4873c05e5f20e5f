package auth

// RequestError says why a Pusher HTTP API request signature was refused.
// Every RequestError maps to HTTP 401. Reason is short, stable, lower-case
// and safe to use as a metric label; it never contains secrets.
type RequestError struct {
	Reason string
}

func (e RequestError) Error() string { return "auth: request refused: " + e.Reason }

// TokenError says why a JWT was refused. Reason is short, stable,
// lower-case and safe to use as a metric label; it never contains the token
// text or any key material.
type TokenError struct {
	Reason string
}

func (e TokenError) Error() string { return "auth: token refused: " + e.Reason }

// Reasons carried by RequestError.
const (
	ReasonMissingKey       = "missing auth_key"
	ReasonMissingTimestamp = "missing auth_timestamp"
	ReasonMissingVersion   = "missing auth_version"
	ReasonMissingSignature = "missing auth_signature"
	ReasonBadVersion       = "auth_version must be 1.0"
	ReasonBadTimestamp     = "auth_timestamp is not an integer"
	ReasonStaleTimestamp   = "auth_timestamp outside the allowed skew"
	ReasonMissingBodyMD5   = "missing body_md5"
	ReasonBadBodyMD5       = "body_md5 does not match the body"
	ReasonBadSignature     = "auth_signature does not match"
	ReasonDuplicateParam   = "auth parameter given more than once"
)

// Reasons carried by TokenError.
const (
	ReasonMalformed      = "malformed token"
	ReasonAlgNone        = "alg none"
	ReasonAlgUnsupported = "unsupported alg"
	ReasonAlgNotEnabled  = "alg not enabled"
	ReasonNoMatchingKey  = "no key for alg"
	ReasonUnknownKid     = "unknown kid"
	ReasonTokenSignature = "bad signature"
	ReasonMissingExp     = "missing exp"
	ReasonExpired        = "expired"
	ReasonNotYetValid    = "not valid yet (nbf)"
	ReasonBadIssuer      = "wrong iss"
	ReasonBadAudience    = "wrong aud"
)
