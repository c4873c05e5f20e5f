package metrics

import (
	"strconv"
	"sync/atomic"

	vm "github.com/VictoriaMetrics/metrics"
)

// maxCloseCode bounds the close-code label: RFC 6455 codes are below 5000.
// Anything outside [1000, maxCloseCode) is counted as code="other".
const maxCloseCode = 5000

// closeCodes holds one lazily created counter per close code in a fixed
// array, so lookups take no lock and never allocate.
type closeCodes struct {
	set   *vm.Set
	codes [maxCloseCode]atomic.Pointer[vm.Counter]
}

func (c *closeCodes) get(code int) *vm.Counter {
	label := "other"
	if code >= 1000 && code < maxCloseCode {
		if p := c.codes[code].Load(); p != nil {
			return p
		}
		label = strconv.Itoa(code)
	} else {
		code = 0
		if p := c.codes[0].Load(); p != nil {
			return p
		}
	}
	// GetOrCreateCounter is idempotent, so racing creators agree.
	p := c.set.GetOrCreateCounter(labelled("fanout_connections_closed_total", "code", label))
	c.codes[code].Store(p)
	return p
}
