package auth_test

import (
	"fmt"
	"net/url"
	"time"

	"github.com/fanout/fanout/auth"
)

func ExampleSignChannel() {
	// What the app's auth endpoint returns for pusher:subscribe ...
	a := auth.SignChannel("app-key", "app-secret", "1234.5678", "private-orders", "")
	fmt.Println(a)
	// ... and what the server checks.
	fmt.Println(auth.VerifyChannel("app-key", "app-secret", "1234.5678", "private-orders", "", a))
	fmt.Println(auth.VerifyChannel("app-key", "app-secret", "1234.5678", "private-other", "", a))
	// Output:
	// app-key:2d1e5109f17c93a347d0a52f060df3a517761ce1ddcd7bce2998c4f1925a7cab
	// true
	// false
}

func ExampleVerifyRequest() {
	now := time.Unix(1700000000, 0)
	body := []byte(`{"name":"greet","channel":"news","data":"{}"}`)
	q := auth.SignRequest("POST", "/apps/app-id/events", nil, body, "app-key", "app-secret", now)
	fmt.Println(q.Encode())

	// On the server, after the request crossed the network.
	received, _ := url.ParseQuery(q.Encode())
	c := auth.RequestCheck{Method: "POST", Path: "/apps/app-id/events", Query: received, Body: body, Now: now.Add(time.Minute)}
	fmt.Println(auth.VerifyRequest(c, "app-secret"))
	c.Now = now.Add(11 * time.Minute)
	fmt.Println(auth.VerifyRequest(c, "app-secret"))
	// Output:
	// auth_key=app-key&auth_signature=fc3f4063a287ddfcb0afb34ac10c6a5a5bb2a360c72e92abcd847499d794ee51&auth_timestamp=1700000000&auth_version=1.0&body_md5=e8511acc4a44486e1d989f42b24367fb
	// <nil>
	// auth: request refused: auth_timestamp outside the allowed skew
}

func ExampleOriginPolicy_Allow() {
	p := auth.OriginPolicy{Allowed: []string{"https://app.example.com", "*.example.org"}}
	for _, origin := range []string{
		"https://app.example.com",
		"https://app.example.com:443",
		"http://app.example.com",
		"http://cdn.example.org",
		"https://example.org",
		"", // not a browser
	} {
		fmt.Printf("%q %v\n", origin, p.Allow(origin))
	}
	// Output:
	// "https://app.example.com" true
	// "https://app.example.com:443" true
	// "http://app.example.com" false
	// "http://cdn.example.org" true
	// "https://example.org" false
	// "" true
}

func ExampleMatchChannel() {
	grant := []string{"private-user.42.*", "presence-lobby"}
	for _, ch := range []string{"private-user.42.inbox", "private-user.43.inbox", "presence-lobby", "presence-lobby-2"} {
		fmt.Println(ch, auth.MatchChannel(grant, ch))
	}
	// Output:
	// private-user.42.inbox true
	// private-user.43.inbox false
	// presence-lobby true
	// presence-lobby-2 false
}

func ExampleGrants() {
	// Two users whose tokens grant their own private channels keep one
	// shared value; each matches only its own channels.
	g42 := auth.NewGrants("42", []string{"private-user.42.*"})
	g43 := auth.NewGrants("43", []string{"private-user.43.*"})
	fmt.Println(g42 == g43)
	fmt.Println(g42.Match("42", "private-user.42.inbox"), g42.Match("42", "private-user.43.inbox"))
	fmt.Println(g43.Patterns("43"))
	// Output:
	// true
	// true false
	// [private-user.43.*]
}

func ExampleVerifier() {
	v, err := auth.NewVerifier(auth.JWTOptions{HMACSecret: "app-secret"})
	if err != nil {
		panic(err)
	}
	defer v.Close()
	now := time.Unix(1700000000, 0)
	tok, _ := auth.Mint("app-secret", auth.MintOptions{Subject: "42", Channels: []string{"private-user.42.*"}, Now: now})

	// The browser sends it as a WebSocket subprotocol.
	got, src, echo := auth.ExtractToken("", "bearer."+tok, "", "protocol=7", "")
	c, err := v.Verify(got, now.Add(time.Minute))
	fmt.Println(src, echo == "bearer."+tok, c.Subject, c.Channels, err)
	_, err = v.Verify(got, now.Add(2*time.Hour))
	fmt.Println(err)
	// Output:
	// protocol true 42 [private-user.42.*] <nil>
	// auth: token refused: expired
}
