package auth

import (
	"strings"
	"testing"
)

func TestWebhook(t *testing.T) {
	body := []byte(`{"time_ms":1,"events":[]}`)
	sig := SignWebhook(testSecret, body)
	if len(sig) != 64 || strings.ToLower(sig) != sig {
		t.Fatalf("SignWebhook = %q", sig)
	}
	if !VerifyWebhook(testSecret, body, sig) {
		t.Error("VerifyWebhook refused its own signature")
	}
	for _, bad := range []struct {
		secret string
		body   string
		sig    string
	}{
		{"other", string(body), sig},
		{testSecret, string(body) + " ", sig},
		{testSecret, string(body), sig[:62]},
		{testSecret, string(body), "zz" + sig[2:]},
		{testSecret, string(body), ""},
	} {
		if VerifyWebhook(bad.secret, []byte(bad.body), bad.sig) {
			t.Errorf("VerifyWebhook accepted %+v", bad)
		}
	}
}

func TestValidSocketID(t *testing.T) {
	for s, want := range map[string]bool{
		"123.456":                    true,
		"0.0":                        true,
		"1234567890123.987654321098": true,
		"":                           false,
		".":                          false,
		"1.":                         false,
		".1":                         false,
		"1.2.3":                      false,
		"1,2":                        false,
		"12":                         false,
		"a.1":                        false,
		" 1.2":                       false,
		"1.2\n":                      false,
		"-1.2":                       false,
		"١.٢":                        false, // non-ASCII digits
		strings.Repeat("1", 40) + "." + strings.Repeat("2", 23): true,
		strings.Repeat("1", 40) + "." + strings.Repeat("2", 24): false,
	} {
		if got := ValidSocketID(s); got != want {
			t.Errorf("ValidSocketID(%q) = %v, want %v", s, got, want)
		}
	}
}
