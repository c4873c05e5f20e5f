package auth

import (
	"net/url"
	"testing"
	"time"
)

func TestCanonicalQuery(t *testing.T) {
	q := url.Values{
		"b":              {"2"},
		"A":              {"1"},
		"auth_signature": {"x"},
		"info":           {"user_count,subscription_count"},
		"multi":          {"y", "x"},
		"filter":         {"a b&c=d"},
	}
	want := "a=1&b=2&filter=a b&c=d&info=user_count,subscription_count&multi=y&multi=x"
	if got := canonicalQuery(q); got != want {
		t.Fatalf("canonicalQuery = %q\nwant %q", got, want)
	}
}

func TestSignRequestRoundTripThroughURL(t *testing.T) {
	q := url.Values{"filter_by_prefix": {"presence-"}, "info": {"user_count"}, "odd": {"a b&c=d/é"}}
	signed := SignRequest("GET", "/apps/1/channels", q, nil, "k", "s", t0)
	if q.Get("auth_key") != "" {
		t.Fatal("SignRequest changed its input")
	}
	// What an HTTP server sees after the query travelled in a URL.
	u, err := url.Parse("http://127.0.0.1/apps/1/channels?" + signed.Encode())
	if err != nil {
		t.Fatal(err)
	}
	c := RequestCheck{Method: "GET", Path: u.Path, Query: u.Query(), Now: t0.Add(time.Minute)}
	if err := VerifyRequest(c, "s"); err != nil {
		t.Fatalf("VerifyRequest: %v", err)
	}
	if _, ok := signed["body_md5"]; ok {
		t.Error("body_md5 set for an empty body")
	}
}

func TestVerifyRequestZeroNowUsesClock(t *testing.T) {
	q := SignRequest("GET", "/apps/1/channels", nil, nil, "k", "s", time.Now())
	if err := VerifyRequest(RequestCheck{Method: "GET", Path: "/apps/1/channels", Query: q}, "s"); err != nil {
		t.Fatalf("fresh request with zero Now: %v", err)
	}
	old := SignRequest("GET", "/apps/1/channels", nil, nil, "k", "s", time.Now().Add(-2*DefaultMaxSkew))
	if err := VerifyRequest(RequestCheck{Method: "GET", Path: "/apps/1/channels", Query: old}, "s"); reasonOf(err) != ReasonStaleTimestamp {
		t.Fatalf("old request with zero Now: %v", err)
	}
}

func TestRequestErrorIsAValue(t *testing.T) {
	err := VerifyRequest(RequestCheck{}, "s")
	if err != (RequestError{Reason: ReasonMissingKey}) {
		t.Fatalf("err = %#v", err)
	}
	if err.Error() != "auth: request refused: missing auth_key" {
		t.Fatalf("Error() = %q", err.Error())
	}
}
