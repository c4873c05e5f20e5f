package frame

import (
	"bytes"
	"strings"
)

// HeadError is an error from ParseRequestHead. It is a comparable string
// type, so its values are constants.
type HeadError string

func (e HeadError) Error() string { return string(e) }

// Errors from ParseRequestHead.
const (
	// ErrRequestTooLarge: no complete request head within the size limit.
	ErrRequestTooLarge HeadError = "frame: request head too large"
	// ErrMalformedRequest: the request line or a header line is malformed.
	ErrMalformedRequest HeadError = "frame: malformed HTTP request"
)

// DefaultMaxRequestHead is the request head size limit when
// ParseRequestHead's maxSize is 0.
const DefaultMaxRequestHead = 8192

// RequestHead is what the server needs from an upgrade request. Header
// values sent on several lines are joined with ", " ("; " for Cookie).
type RequestHead struct {
	Method, Path, RawQuery string
	Host, Origin           string
	Authorization, Cookie  string
	Protocols, Extensions  string // Sec-WebSocket-Protocol, Sec-WebSocket-Extensions
	// LastEventID is the Last-Event-ID header an EventSource sends when it
	// reconnects (WHATWG HTML, server-sent events).
	LastEventID string
	// Upgrade: the request asks for a WebSocket upgrade (Upgrade: websocket
	// and a Connection header with the token upgrade).
	Upgrade bool
}

// ParseRequestHead finds a complete HTTP/1.1 request head (ending in a blank
// line, "\r\n\r\n") at the start of b. If it is incomplete it returns n == 0
// and a nil error, unless b already holds maxSize bytes (0 means 8192): then
// ErrRequestTooLarge. n is the head's length, blank line included.
func ParseRequestHead(b []byte, maxSize int) (RequestHead, int, error) {
	if maxSize <= 0 {
		maxSize = DefaultMaxRequestHead
	}
	search := b
	if len(search) > maxSize {
		search = search[:maxSize]
	}
	end := bytes.Index(search, []byte("\r\n\r\n"))
	if end < 0 {
		if len(b) >= maxSize {
			return RequestHead{}, 0, ErrRequestTooLarge
		}
		return RequestHead{}, 0, nil
	}
	n := end + 4
	head, err := parseHead(b[:end])
	if err != nil {
		return RequestHead{}, 0, err
	}
	return head, n, nil
}

// parseHead parses the request line and header lines of b (no blank line).
func parseHead(b []byte) (RequestHead, error) {
	var h RequestHead
	line, rest, _ := bytes.Cut(b, []byte("\r\n"))
	if !h.parseRequestLine(line) {
		return RequestHead{}, ErrMalformedRequest
	}
	var upgrade, connection bool
	for len(rest) > 0 {
		line, rest, _ = bytes.Cut(rest, []byte("\r\n"))
		name, value, ok := splitHeader(line)
		if !ok {
			return RequestHead{}, ErrMalformedRequest
		}
		switch {
		case equalFold(name, "Upgrade"):
			upgrade = upgrade || hasToken(value, "websocket")
		case equalFold(name, "Connection"):
			connection = connection || hasToken(value, "upgrade")
		default:
			h.setHeader(name, value)
		}
	}
	h.Upgrade = upgrade && connection
	return h, nil
}

// parseRequestLine parses "METHOD SP request-target SP HTTP/1.x".
func (h *RequestHead) parseRequestLine(line []byte) bool {
	method, rest, ok1 := bytes.Cut(line, []byte(" "))
	target, proto, ok2 := bytes.Cut(rest, []byte(" "))
	if !ok1 || !ok2 || len(method) == 0 || len(target) == 0 {
		return false
	}
	if !bytes.HasPrefix(proto, []byte("HTTP/1.")) || len(proto) != len("HTTP/1.1") {
		return false
	}
	if !isToken(method) || bytes.ContainsAny(target, " \t\x00") {
		return false
	}
	path, query, _ := bytes.Cut(target, []byte("?"))
	h.Method, h.Path, h.RawQuery = string(method), string(path), string(query)
	return true
}

// splitHeader splits "Name: value" and trims the value's surrounding
// whitespace. Obsolete line folding is refused.
func splitHeader(line []byte) (name, value []byte, ok bool) {
	name, value, ok = bytes.Cut(line, []byte(":"))
	if !ok || len(name) == 0 || !isToken(name) {
		return nil, nil, false
	}
	return name, bytes.Trim(value, " \t"), true
}

func (h *RequestHead) setHeader(name, value []byte) {
	switch {
	case equalFold(name, "Host"):
		h.Host = join(h.Host, value, ", ")
	case equalFold(name, "Origin"):
		h.Origin = join(h.Origin, value, ", ")
	case equalFold(name, "Authorization"):
		h.Authorization = join(h.Authorization, value, ", ")
	case equalFold(name, "Cookie"):
		h.Cookie = join(h.Cookie, value, "; ")
	case equalFold(name, "Sec-WebSocket-Protocol"):
		h.Protocols = join(h.Protocols, value, ", ")
	case equalFold(name, "Sec-WebSocket-Extensions"):
		h.Extensions = join(h.Extensions, value, ", ")
	case equalFold(name, "Last-Event-ID"):
		h.LastEventID = string(value)
	}
}

func join(have string, value []byte, sep string) string {
	if have == "" {
		return string(value)
	}
	return have + sep + string(value)
}

func equalFold(b []byte, s string) bool {
	return len(b) == len(s) && strings.EqualFold(string(b), s)
}

// hasToken reports whether the comma-separated list v holds token tok,
// compared case-insensitively.
func hasToken(v []byte, tok string) bool {
	for len(v) > 0 {
		var item []byte
		item, v, _ = bytes.Cut(v, []byte(","))
		if equalFold(bytes.Trim(item, " \t"), tok) {
			return true
		}
	}
	return false
}

// isToken reports whether b is an RFC 9110 token.
func isToken(b []byte) bool {
	for _, c := range b {
		if c <= ' ' || c >= 0x7F || strings.IndexByte("\"(),/:;<=>?@[\\]{}", c) >= 0 {
			return false
		}
	}
	return len(b) > 0
}
