package auth

import (
	"encoding/binary"
	"strings"
	"unique"
)

// Grants is a token's "channels" grant in the form a connection keeps for
// its life: one interned value (a pointer) shared by every connection
// whose grant has the same patterns once the token's own subject is taken
// out of them. The grant ["private-u1.*"] of user u1 and ["private-u2.*"]
// of user u2 are the same Grants, so a million idle connections with a
// per-user grant hold one copy of it, not a million. Interning is by
// unique.Make: a value no connection holds any more is collected.
//
// Match takes the subject back and matches as MatchChannel does on the
// patterns as the token wrote them. The zero Grants grants nothing.
type Grants struct {
	h unique.Handle[string]
}

// The encoded form: a mode byte, then each pattern as a uvarint length and
// its bytes. In templated mode the byte subjectMark stands for the
// subject. JSON strings decode to valid UTF-8, in which 0xFF never occurs,
// so a pattern from a token never holds the mark itself; a pattern that
// does anyway is kept verbatim, with the whole grant.
const (
	modeVerbatim byte = 0
	modeTemplate byte = 1
	subjectMark       = "\xff"
)

// NewGrants returns the compact form of patterns granted to subject.
// nil or empty patterns give the zero Grants.
func NewGrants(subject string, patterns []string) Grants {
	if len(patterns) == 0 {
		return Grants{}
	}
	mode := modeVerbatim
	if subject != "" && !anyContains(patterns, subjectMark) {
		mode = modeTemplate
	}
	n := 1
	for _, p := range patterns {
		n += binary.MaxVarintLen64 + len(p)
	}
	b := make([]byte, 1, n)
	b[0] = mode
	for _, p := range patterns {
		if mode == modeTemplate {
			p = strings.ReplaceAll(p, subject, subjectMark)
		}
		b = binary.AppendUvarint(b, uint64(len(p)))
		b = append(b, p...)
	}
	return Grants{unique.Make(string(b))}
}

func anyContains(list []string, sub string) bool {
	for _, s := range list {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// Empty reports whether g grants nothing.
func (g Grants) Empty() bool { return g == Grants{} }

// Match reports whether one of the patterns granted to subject (the
// subject NewGrants was given) matches channel, under the rules of
// MatchChannel. It allocates only when a pattern with the subject put
// back is longer than 256 bytes.
func (g Grants) Match(subject, channel string) bool {
	mode, rest := g.decode()
	var buf [256]byte
	for len(rest) > 0 {
		var p string
		p, rest = nextPattern(rest)
		if glob(expand(buf[:0], mode, p, subject), channel) {
			return true
		}
	}
	return false
}

// Patterns returns the patterns as the token granted them to subject.
func (g Grants) Patterns(subject string) []string {
	var out []string
	mode, rest := g.decode()
	for len(rest) > 0 {
		var p string
		p, rest = nextPattern(rest)
		out = append(out, string(expand(nil, mode, p, subject)))
	}
	return out
}

func (g Grants) decode() (mode byte, patterns string) {
	if g.Empty() {
		return modeVerbatim, ""
	}
	enc := g.h.Value()
	return enc[0], enc[1:]
}

// nextPattern splits the first length-prefixed pattern off enc.
func nextPattern(enc string) (p, rest string) {
	var n uint64
	i := 0
	for shift := 0; ; shift += 7 {
		b := enc[i]
		i++
		n |= uint64(b&0x7f) << shift
		if b < 0x80 {
			break
		}
	}
	return enc[i : i+int(n)], enc[i+int(n):]
}

// expand appends p to dst with every mark replaced by subject (templated
// mode), or as it is.
func expand(dst []byte, mode byte, p, subject string) []byte {
	for mode == modeTemplate {
		i := strings.Index(p, subjectMark)
		if i < 0 {
			break
		}
		dst = append(dst, p[:i]...)
		dst = append(dst, subject...)
		p = p[i+len(subjectMark):]
	}
	return append(dst, p...)
}
