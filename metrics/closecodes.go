package metrics

import (
	"strconv"

	vm "github.com/VictoriaMetrics/metrics"
)

// KnownCloseCodes are the values the code label of
// fanout_connections_closed_total takes besides "other": the close codes
// of RFC 6455 section 7.4.1 and the IANA WebSocket close code registry
// (1000-1003, 1005-1014), and the codes of the Pusher Channels protocol
// (https://pusher.com/docs/channels/library_auth_reference/pusher-websockets-protocol/#error-codes:
// 4000-4009, 4100, 4200-4202, 4300-4301). Any other code, such as one a
// client picks from 3000-4999 for its own close, counts as "other", so a
// client cannot create series.
func KnownCloseCodes() []int {
	return []int{
		1000, 1001, 1002, 1003, 1005, 1006, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014,
		4000, 4001, 4002, 4003, 4004, 4005, 4006, 4007, 4008, 4009,
		4100, 4200, 4201, 4202, 4300, 4301,
	}
}

// closeCodes holds one counter per known close code plus "other", all
// created up front, so a lookup takes no lock and never allocates.
type closeCodes struct {
	byCode map[int]*vm.Counter // read-only after newCloseCodes
	other  *vm.Counter
}

func newCloseCodes(s *vm.Set) closeCodes {
	c := closeCodes{byCode: map[int]*vm.Counter{}}
	for _, code := range KnownCloseCodes() {
		c.byCode[code] = s.NewCounter(labelled("fanout_connections_closed_total", "code", strconv.Itoa(code)))
	}
	c.other = s.NewCounter(labelled("fanout_connections_closed_total", "code", "other"))
	return c
}

func (c *closeCodes) get(code int) *vm.Counter {
	if p := c.byCode[code]; p != nil {
		return p
	}
	return c.other
}
