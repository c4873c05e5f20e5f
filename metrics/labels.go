package metrics

import (
	"strings"
	"sync"

	vm "github.com/VictoriaMetrics/metrics"
)

// family caches one counter per label value of a single-label counter,
// so hot-path callers never format a metric name after the first call.
type family struct {
	set   *vm.Set
	name  string // metric name without labels
	label string // label name

	mu sync.RWMutex
	m  map[string]*vm.Counter
}

func newFamily(set *vm.Set, name, label string) *family {
	return &family{set: set, name: name, label: label, m: make(map[string]*vm.Counter)}
}

// get returns the counter for value v, creating it on first use.
func (f *family) get(v string) *vm.Counter {
	f.mu.RLock()
	c := f.m[v]
	f.mu.RUnlock()
	if c != nil {
		return c
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if c = f.m[v]; c == nil {
		c = f.set.GetOrCreateCounter(labelled(f.name, f.label, v))
		f.m[v] = c
	}
	return c
}

// labelled formats name{label="value"} with value escaped as the
// Prometheus text format requires.
func labelled(name, label, value string) string {
	var b strings.Builder
	b.Grow(len(name) + len(label) + len(value) + 5)
	b.WriteString(name)
	b.WriteByte('{')
	b.WriteString(label)
	b.WriteString(`="`)
	writeEscaped(&b, value)
	b.WriteString(`"}`)
	return b.String()
}

// labelled2 formats name{l1="v1",l2="v2"}.
func labelled2(name, l1, v1, l2, v2 string) string {
	var b strings.Builder
	b.WriteString(name)
	b.WriteByte('{')
	b.WriteString(l1)
	b.WriteString(`="`)
	writeEscaped(&b, v1)
	b.WriteString(`",`)
	b.WriteString(l2)
	b.WriteString(`="`)
	writeEscaped(&b, v2)
	b.WriteString(`"}`)
	return b.String()
}

func writeEscaped(b *strings.Builder, v string) {
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '\\':
			b.WriteString(`\\`)
		case '"':
			b.WriteString(`\"`)
		case '\n':
			b.WriteString(`\n`)
		default:
			b.WriteByte(c)
		}
	}
}
