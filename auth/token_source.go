package auth

import (
	"net/url"
	"strings"
)

// TokenSource says where ExtractToken found the token.
type TokenSource uint8

// Token sources, in the order ExtractToken tries them.
const (
	SourceNone     TokenSource = iota // no token
	SourceHeader                      // Authorization: Bearer <t>
	SourceProtocol                    // Sec-WebSocket-Protocol entry "bearer.<t>"
	SourceCookie                      // the token cookie
	SourceQuery                       // the "token" query parameter
)

func (s TokenSource) String() string {
	switch s {
	case SourceHeader:
		return "header"
	case SourceProtocol:
		return "protocol"
	case SourceCookie:
		return "cookie"
	case SourceQuery:
		return "query"
	}
	return "none"
}

// DefaultTokenCookie is the cookie ExtractToken reads when cookieName is "".
const DefaultTokenCookie = "fanout_token"

// ProtocolTokenPrefix starts the Sec-WebSocket-Protocol entry that carries
// a token.
const ProtocolTokenPrefix = "bearer."

// ExtractToken finds the upgrade token in, by order: the Authorization
// header ("Bearer <t>", scheme case-insensitive); the Sec-WebSocket-Protocol
// header value (comma-separated; the entry "bearer.<t>", which the server
// must echo back as the chosen protocol, returned as echoProtocol); the
// cookie named cookieName ("" means DefaultTokenCookie) in the Cookie
// header; the "token" parameter of rawQuery. Empty values are skipped.
// Pass multiple header lines joined with ", " (protocols) or "; " (cookies).
// It does not allocate unless the query value is percent-encoded.
func ExtractToken(authorization, protocols, cookieHeader, rawQuery, cookieName string) (token string, src TokenSource, echoProtocol string) {
	if t := bearer(authorization); t != "" {
		return t, SourceHeader, ""
	}
	if t, entry := protocolToken(protocols); t != "" {
		return t, SourceProtocol, entry
	}
	if cookieName == "" {
		cookieName = DefaultTokenCookie
	}
	if t := cookieValue(cookieHeader, cookieName); t != "" {
		return t, SourceCookie, ""
	}
	if t := queryValue(rawQuery, "token"); t != "" {
		return t, SourceQuery, ""
	}
	return "", SourceNone, ""
}

func bearer(h string) string {
	h = strings.TrimSpace(h)
	const scheme = "bearer "
	if len(h) <= len(scheme) || !strings.EqualFold(h[:len(scheme)], scheme) {
		return ""
	}
	return strings.TrimSpace(h[len(scheme):])
}

func protocolToken(h string) (token, entry string) {
	for h != "" {
		var e string
		e, h, _ = strings.Cut(h, ",")
		e = strings.TrimSpace(e)
		if len(e) > len(ProtocolTokenPrefix) && strings.EqualFold(e[:len(ProtocolTokenPrefix)], ProtocolTokenPrefix) {
			return e[len(ProtocolTokenPrefix):], e
		}
	}
	return "", ""
}

func cookieValue(h, name string) string {
	for h != "" {
		var pair string
		pair, h, _ = strings.Cut(h, ";")
		k, v, ok := strings.Cut(strings.TrimSpace(pair), "=")
		if !ok || strings.TrimSpace(k) != name {
			continue
		}
		v = strings.TrimSpace(v)
		if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
			v = v[1 : len(v)-1]
		}
		if v != "" {
			return v
		}
	}
	return ""
}

func queryValue(q, name string) string {
	for q != "" {
		var pair string
		pair, q, _ = strings.Cut(q, "&")
		k, v, _ := strings.Cut(pair, "=")
		if k != name || v == "" {
			continue
		}
		if strings.ContainsAny(v, "%+") {
			u, err := url.QueryUnescape(v)
			if err != nil {
				continue
			}
			v = u
		}
		if v != "" {
			return v
		}
	}
	return ""
}
