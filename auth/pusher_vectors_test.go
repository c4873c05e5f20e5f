package auth

import (
	"net/url"
	"testing"
	"time"
)

// The worked examples of the Pusher Channels authentication reference,
// so that fanout agrees with every Pusher SDK byte for byte.
const (
	pusherKey    = "278d425bdf160c739803"
	pusherSecret = "7ad3773142a6692b25b8"
)

func TestPusherChannelVectors(t *testing.T) {
	cases := []struct{ channel, data, want string }{
		{"private-foobar", "", pusherKey + ":58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4"},
		{"presence-foobar", `{"user_id":10,"user_info":{"name":"Mr. Channels"}}`,
			pusherKey + ":31935e7d86dba64c2a90aed31fdc61869f9b22ba9d8863bba239c03ca481bc80"},
	}
	for _, c := range cases {
		if got := SignChannel(pusherKey, pusherSecret, "1234.1234", c.channel, c.data); got != c.want {
			t.Errorf("SignChannel(%s) = %s, want %s", c.channel, got, c.want)
		}
		if !VerifyChannel(pusherKey, pusherSecret, "1234.1234", c.channel, c.data, c.want) {
			t.Errorf("VerifyChannel(%s) refused the reference signature", c.channel)
		}
	}
}

func TestPusherRequestVector(t *testing.T) {
	body := []byte(`{"name":"foo","channels":["project-3"],"data":"{\"some\":\"data\"}"}`)
	// The query string exactly as the reference sends it.
	q, err := url.ParseQuery("auth_key=278d425bdf160c739803&auth_timestamp=1353088179&auth_version=1.0" +
		"&body_md5=ec365a775a4cd0599faeb73354201b6f&auth_signature=da454824c97ba181a32ccc17a72625ba02771f50b50e1e7430e47a1f3f457e6c")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1353088179, 0)
	err = VerifyRequest(RequestCheck{Method: "POST", Path: "/apps/3/events", Query: q, Body: body, Now: now}, pusherSecret)
	if err != nil {
		t.Fatalf("VerifyRequest refused the reference request: %v", err)
	}
	signed := SignRequest("POST", "/apps/3/events", nil, body, pusherKey, pusherSecret, now)
	if got, want := signed.Encode(), q.Encode(); got != want {
		t.Errorf("SignRequest = %s\nwant        %s", got, want)
	}
}
