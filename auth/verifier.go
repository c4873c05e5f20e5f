package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// MaxTokenLen bounds the token text Verify will parse; longer tokens are
// malformed. It is the upgrade request size limit.
const MaxTokenLen = 8 << 10

// JWTOptions configures a Verifier. The zero value verifies nothing: every
// token is refused until some key is configured.
type JWTOptions struct {
	// HMACSecret is the HS256/384/512 key. "" (the default) disables the
	// HMAC algorithms. The integrator passes the app secret by default.
	HMACSecret string
	// PublicKeyPEM holds one or more PEM blocks ("PUBLIC KEY",
	// "RSA PUBLIC KEY" or "CERTIFICATE") with RSA, ECDSA (P-256/384/521)
	// or Ed25519 keys. An RSA key enables RS256/384/512, an ECDSA key the
	// ES alg of its curve, an Ed25519 key EdDSA. Default none.
	PublicKeyPEM []byte
	// JWKSURL is an http(s) JWKS endpoint. Default "" (none). The set is
	// fetched by NewVerifier, cached, refreshed every JWKSRefresh, and on a
	// token with an unknown kid at most once per UnknownKidRefreshGap. A
	// failing fetch keeps the last good set.
	JWKSURL string
	// JWKSRefresh is the JWKS refresh period; 0 means DefaultJWKSRefresh
	// (5 min).
	JWKSRefresh time.Duration
	// Issuer, when not "", must equal the iss claim. Default "" (unchecked).
	Issuer string
	// Audience, when not "", must be one of the aud claim's values.
	// Default "" (unchecked).
	Audience string
	// Leeway is the clock skew allowed for exp and nbf; default 0.
	Leeway time.Duration
	// HTTPClient fetches the JWKS; nil means a client with a 5 s timeout.
	HTTPClient *http.Client
	// Algorithms, when not empty, lists the only algorithms accepted (for
	// example [RS256] refuses HS* tokens even though an HMACSecret is set).
	// Default empty: every algorithm the configured keys support.
	Algorithms []string
}

// Verifier checks upgrade JWTs. Build it with NewVerifier.
type Verifier struct {
	hmacKey  []byte     // nil: HMAC algorithms disabled
	hmac     *hmacPools // nil: HMAC algorithms disabled
	static   []pubKey
	jwks     *jwksCache
	issuer   string
	audience string
	leeway   time.Duration
	parser   *jwt.Parser
	algs     map[string]bool // nil: any algorithm the keys support
}

// NewVerifier builds a Verifier. A PEM that does not parse, a JWKS URL
// that is not http(s), or an HMACSecret that is itself a PEM public key
// (the algorithm confusion set-up) is an error naming the problem. With a
// JWKSURL it fetches the set once before returning; a failed first fetch
// is not an error (see JWKSStatus) and is retried on schedule.
func NewVerifier(o JWTOptions) (*Verifier, error) {
	v := &Verifier{
		issuer:   o.Issuer,
		audience: o.Audience,
		leeway:   o.Leeway,
		parser:   jwt.NewParser(jwt.WithoutClaimsValidation()),
	}
	if len(o.Algorithms) > 0 {
		v.algs = make(map[string]bool, len(o.Algorithms))
		for _, a := range o.Algorithms {
			if !isHMACAlg(a) && !isAsymmetricAlg(a) {
				return nil, fmt.Errorf("auth: unknown algorithm %q", a)
			}
			v.algs[a] = true
		}
		v.parser = jwt.NewParser(jwt.WithoutClaimsValidation(), jwt.WithValidMethods(o.Algorithms))
	}
	if o.HMACSecret != "" {
		if strings.Contains(o.HMACSecret, "-----BEGIN") {
			return nil, errors.New("auth: HMACSecret looks like a PEM key; put public keys in PublicKeyPEM")
		}
		v.hmacKey = []byte(o.HMACSecret)
		v.hmac = newHMACPools(v.hmacKey)
	}
	if len(o.PublicKeyPEM) > 0 {
		keys, err := parsePublicPEM(o.PublicKeyPEM)
		if err != nil {
			return nil, err
		}
		v.static = keys
	}
	if o.JWKSURL != "" {
		if err := v.startJWKS(o); err != nil {
			return nil, err
		}
	}
	return v, nil
}

func (v *Verifier) startJWKS(o JWTOptions) error {
	u, err := url.Parse(o.JWKSURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("auth: JWKSURL %q is not an http(s) URL", o.JWKSURL)
	}
	client := o.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: 5 * time.Second}
	}
	period := o.JWKSRefresh
	if period <= 0 {
		period = DefaultJWKSRefresh
	}
	v.jwks = newJWKSCache(o.JWKSURL, client)
	v.jwks.refresh(v.jwks.ctx) //nolint:errcheck // a down endpoint at start is reported by JWKSStatus
	go v.jwks.loop(period)
	return nil
}

// Close stops the JWKS refresh, if any, and waits for it to end. Verify
// still works afterwards with the last good set (no more refreshes).
// Close may be called more than once.
func (v *Verifier) Close() {
	if v.jwks != nil {
		v.jwks.close()
	}
}

// JWKSStatus reports the cached JWKS; ok is false without a JWKSURL.
func (v *Verifier) JWKSStatus() (s JWKSStatus, ok bool) {
	if v.jwks == nil {
		return JWKSStatus{}, false
	}
	return v.jwks.status(), true
}

// RefreshJWKS fetches the JWKS now (or waits for the fetch in progress).
// On failure the last good set stays. Without a JWKSURL it does nothing.
func (v *Verifier) RefreshJWKS(ctx context.Context) error {
	if v.jwks == nil {
		return nil
	}
	return v.jwks.refresh(ctx)
}
