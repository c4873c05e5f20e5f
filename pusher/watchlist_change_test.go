package pusher

import (
	"testing"

	"github.com/fanout/fanout/protocol"
)

// A held change's kind is read back from the data publishWatch wrote.
func TestOnlineChangeReadsWatchlistData(t *testing.T) {
	for name, want := range map[string]bool{"online": true, "offline": false} {
		data := protocol.StringData(watchlistData(name, []string{"bob"}))
		if got := onlineChange(data); got != want {
			t.Errorf("%s: onlineChange = %v", name, got)
		}
	}
	if onlineChange(`not json`) {
		t.Error("malformed data read as online")
	}
}
