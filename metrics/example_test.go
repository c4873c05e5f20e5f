package metrics_test

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"

	"github.com/fanout/fanout/metrics"
)

func ExampleMetrics() {
	m := metrics.New()
	m.ConnectionOpened("app-id")
	m.MessageIn(64)
	m.ConnectionClosed("app-id", 4200)

	var buf bytes.Buffer
	m.WritePrometheus(&buf)
	sc := bufio.NewScanner(&buf)
	for sc.Scan() {
		line := sc.Text()
		// Every known close code is served from the start; show the one used.
		if strings.HasPrefix(line, "fanout_connections_closed_total") && strings.HasSuffix(line, " 0") {
			continue
		}
		if strings.HasPrefix(line, "fanout_connections") || strings.HasPrefix(line, "fanout_bytes_in") {
			fmt.Println(line)
		}
	}
	// Output:
	// fanout_bytes_in_total 64
	// fanout_connections{app="app-id"} 0
	// fanout_connections_closed_total{code="4200"} 1
	// fanout_connections_opened_total{app="app-id"} 1
}
