package frame

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// Autobahn 7.7.x (valid) and 7.9.x (invalid) close codes.
func TestStatusValidOnWire(t *testing.T) {
	valid := []StatusCode{1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999}
	invalid := []StatusCode{0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535}
	for _, c := range valid {
		if !c.ValidOnWire() {
			t.Errorf("%d should be valid", c)
		}
	}
	for _, c := range invalid {
		if c.ValidOnWire() {
			t.Errorf("%d should be invalid", c)
		}
	}
}

func closeBody(code StatusCode, reason string) []byte {
	return append(binary.BigEndian.AppendUint16(nil, uint16(code)), reason...)
}

func TestParseClosePayload(t *testing.T) {
	cases := []struct {
		name       string
		body       []byte
		wantCode   StatusCode
		wantReason string
		wantErr    StatusCode
	}{
		{
			name:     "empty body (Autobahn 7.3.1)",
			body:     nil,
			wantCode: StatusNoStatusRcvd,
		},
		{
			name:    "one byte (Autobahn 7.3.2)",
			body:    []byte{0x03},
			wantErr: StatusProtocolError,
		},
		{
			name:     "code only (Autobahn 7.3.3)",
			body:     closeBody(1000, ""),
			wantCode: 1000,
		},
		{
			name:       "code and reason (Autobahn 7.3.4)",
			body:       closeBody(1001, "κόσμε"),
			wantCode:   1001,
			wantReason: "κόσμε",
		},
		{
			name:    "invalid UTF-8 reason (Autobahn 7.5.1)",
			body:    closeBody(1000, "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80"),
			wantErr: StatusInvalidPayload,
		},
		{
			name:    "reserved code 1005",
			body:    closeBody(1005, ""),
			wantErr: StatusProtocolError,
		},
		{
			name:    "code 5000",
			body:    closeBody(5000, "x"),
			wantErr: StatusProtocolError,
		},
		{
			name:     "private code 4999",
			body:     closeBody(4999, ""),
			wantCode: 4999,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, reason, err := ParseClosePayload(tc.body)
			if tc.wantErr != 0 {
				wantCode(t, err, tc.wantErr)
				return
			}
			if err != nil || code != tc.wantCode || reason != tc.wantReason {
				t.Fatalf("got %d %q %v, want %d %q", code, reason, err, tc.wantCode, tc.wantReason)
			}
		})
	}
}

func TestAppendClose(t *testing.T) {
	if got := AppendClose(nil, 0, "ignored"); !bytes.Equal(got, []byte{0x88, 0x00}) {
		t.Fatalf("empty close = %x", got)
	}
	got := AppendClose([]byte{0xEE}, StatusGoingAway, "bye")
	want := []byte{0xEE, 0x88, 0x05, 0x03, 0xE9, 'b', 'y', 'e'}
	if !bytes.Equal(got, want) {
		t.Fatalf("got %x, want %x", got, want)
	}
}

func TestAppendCloseTruncatesAtRuneBoundary(t *testing.T) {
	for _, reason := range []string{
		strings.Repeat("a", 200),
		strings.Repeat("é", 100), // 2-byte runes: 123 is odd
		strings.Repeat("€", 60),  // 3-byte runes
		strings.Repeat("😀", 40),  // 4-byte runes
		"x" + strings.Repeat("😀", 40),
	} {
		b := AppendClose(nil, 4000, reason)
		h, n, err := ParseHeader(b)
		if err != nil || h.Length > 125 || int64(len(b)-n) != h.Length {
			t.Fatalf("bad frame for %q: %+v %v", reason[:8], h, err)
		}
		code, got, err := ParseClosePayload(b[n:])
		if err != nil || code != 4000 {
			t.Fatalf("reparse: %d %v", code, err)
		}
		if !utf8.ValidString(got) || !strings.HasPrefix(reason, got) || len(got) < 120 {
			t.Fatalf("reason cut badly: %d bytes", len(got))
		}
	}
}

func TestErrorsAreValues(t *testing.T) {
	var err error = ProtocolError{Code: StatusMessageTooBig, Reason: "message too big"}
	if err.Error() != "message too big" {
		t.Fatalf("Error() = %q", err.Error())
	}
	var ce CloseError
	err = CloseError{Code: 4200, Reason: "drain"}
	if !errors.As(err, &ce) || ce.Code != 4200 || !strings.Contains(err.Error(), "4200") {
		t.Fatalf("CloseError: %v", err)
	}
}
