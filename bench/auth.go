package bench

// AuthOptions make connections carry a JWT each and make a share of
// them presence members. The zero value opens unauthenticated
// connections subscribed to public channels.
type AuthOptions struct {
	JWTSecret string  // HS256 secret; "" with KeyFile "" means no token
	KeyFile   string  // PEM private key (RSA, EC or Ed25519) instead of a secret
	Alg       string  // signing algorithm; default HS256 with a secret, else by key type
	SubPrefix string  // sub claim is SubPrefix + connection index; default "user-"
	TTL       float64 // exp claim = now + TTL seconds; default 3600
	Channels  string  // channels grant pattern, "{sub}" replaced; "" for none
	TokenIn   string  // "query" (default), "header", "protocol" or "cookie"
	Cookie    string  // cookie name for TokenIn "cookie"; default "fanout_token"
	Presence  float64 // share of connections on presence channels, 0..1
}

// authSummary describes o.Auth for result files; "" when off.
func (o *Options) authSummary() string {
	a := o.Auth
	s := ""
	if a.JWTSecret != "" || a.KeyFile != "" {
		s = "JWT " + a.Alg + " in " + a.TokenIn
		if a.Channels != "" {
			s += ", grant " + a.Channels
		}
	}
	if a.Presence > 0 {
		if s != "" {
			s += ", "
		}
		s += fmtPercent(a.Presence) + " presence"
	}
	return s
}

func fmtPercent(f float64) string {
	return trimFloat(f*100) + "%"
}
