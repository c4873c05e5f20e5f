package pushersig

import (
	"errors"
	"net/url"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	body := []byte(`{"name":"e","channels":["c"],"data":"x"}`)
	raw := Query("k", "s", "POST", "/apps/1/events", body, 1000)
	q, err := url.ParseQuery(raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify("k", "s", "POST", "/apps/1/events", q, body, 1000, 600); err != nil {
		t.Fatalf("verify: %v", err)
	}
	cases := []struct {
		name   string
		secret string
		body   string
		now    int64
		want   error
	}{
		{"wrong secret", "t", string(body), 1000, ErrSignature},
		{"body changed", "s", string(body) + " ", 1000, ErrBodyMD5},
		{"stale", "s", string(body), 5000, ErrTimestamp},
	}
	for _, c := range cases {
		err := Verify("k", c.secret, "POST", "/apps/1/events", q, []byte(c.body), c.now, 600)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: got %v want %v", c.name, err, c.want)
		}
	}
}

// TestKnownVector pins the signature to the example in Pusher's docs.
func TestKnownVector(t *testing.T) {
	q := url.Values{}
	q.Set("auth_key", "278d425bdf160c739803")
	q.Set("auth_timestamp", "1353088179")
	q.Set("auth_version", "1.0")
	q.Set("body_md5", "ec365a775a4cd0599faeb73354201b6f")
	got := Signature("7ad3773142a6692b25b8", "POST", "/apps/3/events", q)
	const want = "da454824c97ba181a32ccc17a72625ba02771f50b50e1e7430e47a1f3f457e6c"
	if got != want {
		t.Fatalf("signature %s, want %s", got, want)
	}
}

// The worked example of the Pusher auth-signatures reference.
func TestChannelAuthPusherExample(t *testing.T) {
	got := ChannelAuth("278d425bdf160c739803", "7ad3773142a6692b25b8", "1234.1234", "private-foobar", "")
	want := "278d425bdf160c739803:58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4"
	if got != want {
		t.Fatalf("got %s\nwant %s", got, want)
	}
}
