package auth

import (
	"net/url"
	"testing"
	"time"
)

// BenchmarkVerifyHS256 is the cost an HS256 upgrade adds: extract + verify.
func BenchmarkVerifyHS256(b *testing.B) {
	v, err := NewVerifier(JWTOptions{HMACSecret: testSecret})
	if err != nil {
		b.Fatal(err)
	}
	tok, err := Mint(testSecret, MintOptions{Subject: "42", Channels: []string{"private-user.42.*"}, Now: t0})
	if err != nil {
		b.Fatal(err)
	}
	hdr := "Bearer " + tok
	b.ReportAllocs()
	for b.Loop() {
		t, _, _ := ExtractToken(hdr, "", "", "", "")
		if _, err := v.Verify(t, t0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyES256(b *testing.B) {
	k := testKeys(b)["p256"]
	v, err := NewVerifier(JWTOptions{PublicKeyPEM: k.pubPEM})
	if err != nil {
		b.Fatal(err)
	}
	tok, err := MintWithKey(k.privPEM, MintOptions{Subject: "42", Now: t0})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(tok, t0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyChannel(b *testing.B) {
	a := SignChannel("k", testSecret, "1.2", "private-x", "")
	b.ReportAllocs()
	for b.Loop() {
		if !VerifyChannel("k", testSecret, "1.2", "private-x", "", a) {
			b.Fatal("refused")
		}
	}
}

func BenchmarkVerifyRequest(b *testing.B) {
	body := []byte(`{"name":"e","channel":"c","data":"{}"}`)
	q := SignRequest("POST", "/apps/1/events", url.Values{}, body, "k", testSecret, t0)
	c := RequestCheck{Method: "POST", Path: "/apps/1/events", Query: q, Body: body, Now: t0.Add(time.Second)}
	b.ReportAllocs()
	for b.Loop() {
		if err := VerifyRequest(c, testSecret); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOriginAllow(b *testing.B) {
	p := OriginPolicy{Allowed: []string{"https://a.example.com", "https://*.example.org"}}
	b.ReportAllocs()
	for b.Loop() {
		if !p.Allow("https://x.example.org") {
			b.Fatal("refused")
		}
	}
}

// BenchmarkVerifyHS256Generic is the same token through the jwt library
// path, the baseline the fast HS* path is measured against.
func BenchmarkVerifyHS256Generic(b *testing.B) {
	v, err := NewVerifier(JWTOptions{HMACSecret: testSecret})
	if err != nil {
		b.Fatal(err)
	}
	tok, err := Mint(testSecret, MintOptions{Subject: "42", Channels: []string{"private-user.42.*"}, Now: t0})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.verifyGeneric(tok, t0); err != nil {
			b.Fatal(err)
		}
	}
}
