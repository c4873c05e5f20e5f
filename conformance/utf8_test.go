package conformance

import (
	"fmt"
	"testing"
	"unicode/utf8"
)

// utf8Case is a byte sequence from the UTF-8 stress tests Autobahn's
// group 6 draws on, with its validity under RFC 3629.
type utf8Case struct {
	name  string
	b     string
	valid bool
}

const kosme = "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5" // κόσμε

var utf8Cases = []utf8Case{
	{"empty", "", true},
	{"latin", "Hello-\xc2\xb5@\xc3\x9f\xc3\xb6\xc3\xa4\xc3\xbc\xc3\xa0\xc3\xa1-UTF-8!!", true},
	{"kosme", kosme, true},
	{"first 1-byte", "\x00", true},
	{"first 2-byte", "\xc2\x80", true},
	{"first 3-byte", "\xe0\xa0\x80", true},
	{"first 4-byte", "\xf0\x90\x80\x80", true},
	{"last 1-byte", "\x7f", true},
	{"last 2-byte", "\xdf\xbf", true},
	{"last 3-byte", "\xef\xbf\xbf", true},
	{"last 4-byte", "\xf4\x8f\xbf\xbf", true},
	{"before surrogates", "\xed\x9f\xbf", true},
	{"after surrogates", "\xee\x80\x80", true},
	{"replacement char", "\xef\xbf\xbd", true},
	{"BOM", "\xef\xbb\xbf", true},
	{"noncharacter U+FFFE", "\xef\xbf\xbe", true},
	{"noncharacter U+1FFFE", "\xf0\x9f\xbf\xbe", true},
	{"noncharacter U+10FFFF", "\xf4\x8f\xbf\xbf", true},
	{"5-byte sequence", "\xf8\x88\x80\x80\x80", false},
	{"6-byte sequence", "\xfc\x84\x80\x80\x80\x80", false},
	{"above U+10FFFF", "\xf4\x90\x80\x80", false},
	{"f7 bf bf bf", "\xf7\xbf\xbf\xbf", false},
	{"lone continuation 80", "\x80", false},
	{"lone continuation bf", "\xbf", false},
	{"continuations 80 bf 80", "\x80\xbf\x80", false},
	{"lonely start c0", "\xc0 ", false},
	{"lonely start c2", "\xc2 ", false},
	{"lonely start e0", "\xe0 ", false},
	{"lonely start f0", "\xf0 ", false},
	{"2-byte last missing", "\xc2", false},
	{"3-byte last missing", "\xe0\xa0", false},
	{"4-byte last missing", "\xf0\x90\x80", false},
	{"3-byte last missing ef bf", "\xef\xbf", false},
	{"impossible fe", "\xfe", false},
	{"impossible ff", "\xff", false},
	{"impossible fe fe ff ff", "\xfe\xfe\xff\xff", false},
	{"overlong / 2-byte", "\xc0\xaf", false},
	{"overlong / 3-byte", "\xe0\x80\xaf", false},
	{"overlong / 4-byte", "\xf0\x80\x80\xaf", false},
	{"overlong max 2-byte", "\xc1\xbf", false},
	{"overlong max 3-byte", "\xe0\x9f\xbf", false},
	{"overlong max 4-byte", "\xf0\x8f\xbf\xbf", false},
	{"overlong NUL", "\xc0\x80", false},
	{"surrogate U+D800", "\xed\xa0\x80", false},
	{"surrogate U+DB7F", "\xed\xad\xbf", false},
	{"surrogate U+DC00", "\xed\xb0\x80", false},
	{"surrogate U+DFFF", "\xed\xbf\xbf", false},
	{"surrogate pair", "\xed\xa0\x80\xed\xb0\x80", false},
	{"kosme then surrogate", kosme + "\xed\xa0\x80edited", false},
}

// Group 6: text messages are checked as UTF-8, whole and split at every
// byte; an invalid one fails the connection with 1007.
func TestGroup6UTF8(t *testing.T) {
	addr := echoNode(t)
	for _, tc := range utf8Cases {
		if utf8.ValidString(tc.b) != tc.valid {
			t.Fatalf("%s: table says valid=%v, unicode/utf8 disagrees", tc.name, tc.valid)
		}
		for _, mode := range []string{"frame", "fragment per byte", "write per byte"} {
			t.Run(tc.name+"/"+mode, func(t *testing.T) {
				c := dial(t, addr)
				switch mode {
				case "frame":
					c.send(text(tc.b))
				case "fragment per byte":
					c.send(perByte(tc.b)...)
				default:
					c.sendChunked(1, text(tc.b))
				}
				if tc.valid {
					c.expect(opText, []byte(tc.b))
					c.closeNormally()
					return
				}
				c.expectClose(1007)
			})
		}
	}
}

// perByte cuts s into a text message of one-byte fragments.
func perByte(s string) []frm {
	if len(s) < 2 {
		return []frm{text(s)}
	}
	sizes := make([]int, len(s)-1)
	for i := range sizes {
		sizes[i] = 1
	}
	return frag(opText, s, sizes...)
}

// Group 6.4: the server fails fast. The rest of the message is never sent;
// the close with 1007 must come as soon as the invalid bytes have arrived,
// whether they end a fragment or sit inside an incomplete frame.
func TestGroup6FailFast(t *testing.T) {
	addr := echoNode(t)
	const bad = "\xf4\x90\x80\x80" // above U+10FFFF: invalid at its 2nd byte
	t.Run("invalid fragment", func(t *testing.T) {
		c := dial(t, addr)
		c.send(frm{op: opText, payload: []byte(kosme)}, frm{op: opCont, payload: []byte(bad)})
		c.expectClose(1007) // the final fragment "edited" is never sent
	})
	t.Run("invalid sequence split across fragments", func(t *testing.T) {
		c := dial(t, addr)
		c.send(frm{op: opText, payload: []byte(kosme + bad[:1])}, frm{op: opCont, payload: []byte(bad[1:])})
		c.expectClose(1007)
	})
	for _, chunk := range []int{4, 1} {
		t.Run(fmt.Sprintf("inside an incomplete frame chunk%d", chunk), func(t *testing.T) {
			c := dial(t, addr)
			whole := enc(text(kosme + bad + "edited"))
			hdr := len(whole) - len(kosme+bad+"edited")
			c.write(whole[:hdr+len(kosme)])
			c.writeChunked(whole[hdr+len(kosme):hdr+len(kosme)+len(bad)], chunk)
			c.expectClose(1007) // "edited" and the frame's end never sent
		})
	}
	t.Run("inside a large incomplete frame", func(t *testing.T) {
		c := dial(t, addr)
		msg := string(payload(1<<20)) + bad + string(payload(1<<20))
		whole := enc(text(msg))
		cut := len(whole) - (1 << 20) // up to and including the bad bytes
		c.writeChunked(whole[:cut], 8191)
		c.expectClose(1007)
	})
}
