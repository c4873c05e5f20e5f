package auth

import (
	"errors"
	"slices"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Verify checks token at time now (the zero time means time.Now()) and
// returns its claims, or a TokenError.
// It refuses alg none, algorithms with no configured key (HS* without
// HMACSecret: no algorithm confusion), a key whose type or curve does not
// match alg, an unknown kid (after at most one JWKS refresh), malformed
// tokens, a missing or passed exp, a future nbf, a wrong iss or aud when
// configured, and bad signatures.
//
// With a JWKS, a token that names a kid is verified only with the JWKS
// keys of that kid; a token without kid is tried against every fitting
// key (PEM and JWKS). Verify may block on a JWKS fetch (bounded by the
// HTTP client timeout) when it meets an unknown kid.
func (v *Verifier) Verify(token string, now time.Time) (Claims, error) {
	if len(token) > MaxTokenLen {
		return Claims{}, TokenError{Reason: ReasonMalformed}
	}
	if now.IsZero() {
		now = time.Now()
	}
	if c, ok, err := v.verifyHMACFast(token, now); ok {
		return c, err
	}
	return v.verifyGeneric(token, now)
}

// verifyGeneric verifies any token with the jwt library.
func (v *Verifier) verifyGeneric(token string, now time.Time) (Claims, error) {
	var tc tokenClaims
	_, err := v.parser.ParseWithClaims(token, &tc, func(t *jwt.Token) (any, error) {
		return v.keyFor(t, now)
	})
	if err != nil {
		return Claims{}, classify(err)
	}
	if err := v.checkClaims(&tc, now); err != nil {
		return Claims{}, err
	}
	return tc.claims(), nil
}

// classify turns a jwt error into a TokenError without its text (which
// may quote the token).
func classify(err error) error {
	var te TokenError
	switch {
	case errors.As(err, &te):
		return te
	case errors.Is(err, jwt.ErrTokenMalformed):
		return TokenError{Reason: ReasonMalformed}
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		return TokenError{Reason: ReasonAlgUnsupported}
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return TokenError{Reason: ReasonTokenSignature}
	}
	return TokenError{Reason: ReasonMalformed}
}

// keyFor picks the verification key(s) for t, by alg and kid.
func (v *Verifier) keyFor(t *jwt.Token, now time.Time) (any, error) {
	alg := t.Method.Alg()
	switch {
	case alg == "none":
		return nil, TokenError{Reason: ReasonAlgNone}
	case isHMACAlg(alg):
		if v.hmacKey == nil {
			return nil, TokenError{Reason: ReasonAlgNotEnabled}
		}
		return v.hmacKey, nil
	case !isAsymmetricAlg(alg):
		return nil, TokenError{Reason: ReasonAlgUnsupported}
	}
	kid, _ := t.Header["kid"].(string)
	keys, err := v.candidates(alg, kid, now)
	if err != nil {
		return nil, err
	}
	if len(keys) == 1 {
		return keys[0], nil
	}
	return jwt.VerificationKeySet{Keys: keys}, nil
}

func (v *Verifier) candidates(alg, kid string, now time.Time) ([]jwt.VerificationKey, error) {
	var from []pubKey
	if kid != "" && v.jwks != nil {
		from = v.jwks.lookup(kid, now)
		if len(from) == 0 {
			return nil, TokenError{Reason: ReasonUnknownKid}
		}
	} else {
		from = v.static
		if v.jwks != nil {
			from = append(slices.Clip(from), v.jwks.keys("")...)
		}
	}
	var out []jwt.VerificationKey
	for _, k := range from {
		if k.fits(alg) {
			out = append(out, k.key)
		}
	}
	if len(out) == 0 {
		return nil, TokenError{Reason: ReasonNoMatchingKey}
	}
	return out, nil
}

// checkClaims applies the time, issuer and audience rules.
func (v *Verifier) checkClaims(c *tokenClaims, now time.Time) error {
	if c.Expires == nil {
		return TokenError{Reason: ReasonMissingExp}
	}
	exp, ok := seconds(*c.Expires)
	if !ok {
		return TokenError{Reason: ReasonMalformed}
	}
	if !now.Before(exp.Add(v.leeway)) {
		return TokenError{Reason: ReasonExpired}
	}
	if c.NotBef != nil {
		nbf, ok := seconds(*c.NotBef)
		if !ok {
			return TokenError{Reason: ReasonMalformed}
		}
		if now.Add(v.leeway).Before(nbf) {
			return TokenError{Reason: ReasonNotYetValid}
		}
	}
	if v.issuer != "" && c.Issuer != v.issuer {
		return TokenError{Reason: ReasonBadIssuer}
	}
	if v.audience != "" && !slices.Contains([]string(c.Audience), v.audience) {
		return TokenError{Reason: ReasonBadAudience}
	}
	return nil
}
