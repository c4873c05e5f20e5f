package redis_test

import (
	"encoding/json"
	"io"
	"net/http"

	"github.com/fanout/fanout/auth"
	"github.com/fanout/fanout/webhook"
)

// readHook decodes a webhook request for the tests' receivers. With a
// secret it also checks X-Pusher-Signature (Pusher's webhook HMAC). A
// request that fails either gets 400 and ok false.
func readHook(w http.ResponseWriter, r *http.Request, secret string) (p webhook.Payload, ok bool) {
	body, _ := io.ReadAll(r.Body)
	if (secret != "" && !auth.VerifyWebhook(secret, body, r.Header.Get("X-Pusher-Signature"))) || json.Unmarshal(body, &p) != nil {
		w.WriteHeader(http.StatusBadRequest)
		return p, false
	}
	return p, true
}
