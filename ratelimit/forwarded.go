package ratelimit

import (
	"bytes"
	"fmt"
	"net/netip"
	"strings"
)

// Proxies are the reverse proxies whose X-Forwarded-For is believed.
type Proxies struct {
	nets []netip.Prefix
}

// NewProxies trusts the addresses and CIDR prefixes of list (see
// ParsePrefixes).
func NewProxies(list []string) (*Proxies, error) {
	nets, err := ParsePrefixes(list)
	if err != nil {
		return nil, err
	}
	return &Proxies{nets: nets}, nil
}

// ParsePrefixes parses addresses and CIDR prefixes ("10.0.0.0/8",
// "127.0.0.1", "::1"), an address standing for itself alone; an entry
// that is neither is an error. The result is never nil.
func ParsePrefixes(list []string) ([]netip.Prefix, error) {
	nets := make([]netip.Prefix, 0, len(list))
	for _, s := range list {
		s = strings.TrimSpace(s)
		if pr, err := netip.ParsePrefix(s); err == nil {
			nets = append(nets, pr.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("%q is not an IP address or CIDR prefix", s)
		}
		nets = append(nets, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return nets, nil
}

// Empty reports whether no proxy is trusted.
func (p *Proxies) Empty() bool { return p == nil || len(p.nets) == 0 }

// Trusted reports whether a is a trusted proxy.
func (p *Proxies) Trusted(a netip.Addr) bool {
	if p == nil {
		return false
	}
	a = a.Unmap()
	for _, n := range p.nets {
		if n.Contains(a) {
			return true
		}
	}
	return false
}

// Client names the client of a request that arrived from peer with the
// request head head (request line and header lines, as read): peer
// itself unless it is a trusted proxy; then the X-Forwarded-For hops are
// read from the last (added by peer) towards the first, and the first
// that is not a trusted proxy is the client. A hop that is not an IP
// address ends the walk at the proxy that added it, and so does a list
// of trusted proxies only.
func (p *Proxies) Client(peer netip.Addr, head []byte) netip.Addr {
	client := peer.Unmap()
	if !p.Trusted(client) {
		return client
	}
	hops := forwardedFor(head)
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(string(hops[i]))
		if err != nil {
			return client
		}
		client = a.Unmap()
		if !p.Trusted(client) {
			return client
		}
	}
	return client
}

var xff = []byte("x-forwarded-for:")

// forwardedFor returns the X-Forwarded-For hops of a request head in
// order, several header lines joined as one list (RFC 9110 section
// 5.3), each trimmed of spaces; empty elements are skipped. The request
// line is never taken for a header.
func forwardedFor(head []byte) [][]byte {
	var hops [][]byte
	for len(head) > 0 {
		line := head
		if i := bytes.IndexByte(head, '\n'); i >= 0 {
			line, head = head[:i], head[i+1:]
		} else {
			head = nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) < len(xff) || !bytes.EqualFold(line[:len(xff)], xff) {
			continue
		}
		for _, h := range bytes.Split(line[len(xff):], []byte(",")) {
			if h = bytes.TrimSpace(h); len(h) > 0 {
				hops = append(hops, h)
			}
		}
	}
	return hops
}
