package webhook_test

import (
	"fmt"

	"github.com/fanout/fanout/webhook"
)

func ExampleSign() {
	body := []byte(`{"time_ms":1,"events":[{"name":"channel_occupied","channel":"a"}]}`)
	fmt.Println(webhook.Sign("secret", body) == webhook.Sign("secret", body))
	fmt.Println(len(webhook.Sign("secret", body)))
	// Output:
	// true
	// 64
}
