package pushersig_test

import (
	"fmt"
	"net/url"

	"github.com/fanout/fanout/bench/internal/pushersig"
)

// Sign a publish request, then check it as a server would.
func ExampleQuery() {
	body := []byte(`{"name":"e","channel":"c","data":"x"}`)
	raw := pushersig.Query("app-key", "app-secret", "POST", "/apps/app-id/events", body, 1700000000)
	q, _ := url.ParseQuery(raw)
	fmt.Println(q.Get("auth_version"), len(q.Get("auth_signature")))
	fmt.Println(pushersig.Verify("app-key", "app-secret", "POST", "/apps/app-id/events", q, body, 1700000100, 600))
	// Output:
	// 1.0 64
	// <nil>
}
