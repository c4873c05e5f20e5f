package auth

import (
	"testing"
	"time"
)

// An algorithm list narrows within a family: HS256 allowed, HS512 not.
func TestAlgorithmsNarrowWithinAFamily(t *testing.T) {
	v, err := NewVerifier(JWTOptions{HMACSecret: "s3cret", Algorithms: []string{"HS256"}})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	ok, _ := Mint("s3cret", MintOptions{Algorithm: "HS256", Subject: "u", Now: now})
	bad, _ := Mint("s3cret", MintOptions{Algorithm: "HS512", Subject: "u", Now: now})
	if _, err := v.Verify(ok, now); err != nil {
		t.Fatalf("HS256 refused: %v", err)
	}
	if _, err := v.Verify(bad, now); err == nil {
		t.Fatal("HS512 accepted although only HS256 is listed")
	}
	if _, err := NewVerifier(JWTOptions{HMACSecret: "s", Algorithms: []string{"none"}}); err == nil {
		t.Fatal("unknown algorithm name accepted")
	}
}
