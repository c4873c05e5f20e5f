package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// serverRSS returns the resident set of the server in bytes: the sum
// over o.ServerPIDs, else process_resident_memory_bytes from
// o.MetricsURL; ok is false when neither is configured or readable.
func serverRSS(ctx context.Context, o *Options) (int64, bool) {
	if len(o.ServerPIDs) > 0 {
		var sum int64
		for _, pid := range o.ServerPIDs {
			v, err := pidRSS(pid)
			if err != nil {
				return 0, false
			}
			sum += v
		}
		return sum, true
	}
	if o.MetricsURL != "" {
		v, err := metricsRSS(ctx, o.MetricsURL)
		return v, err == nil
	}
	return 0, false
}

// pidRSS reads VmRSS from /proc/PID/status, falling back to the Rss line
// of /proc/PID/smaps_rollup.
func pidRSS(pid int) (int64, error) {
	for _, f := range []struct{ file, key string }{{"status", "VmRSS:"}, {"smaps_rollup", "Rss:"}} {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/%s", pid, f.file))
		if err != nil {
			continue
		}
		if v, ok := kbLine(b, f.key); ok {
			return v, nil
		}
	}
	return 0, fmt.Errorf("bench: no RSS for pid %d", pid)
}

// kbLine finds "key   123 kB" in b and returns bytes.
func kbLine(b []byte, key string) (int64, bool) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, key) {
			continue
		}
		f := strings.Fields(line[len(key):])
		if len(f) == 0 {
			return 0, false
		}
		v, err := strconv.ParseInt(f[0], 10, 64)
		return v * 1024, err == nil
	}
	return 0, false
}

func metricsRSS(ctx context.Context, u string) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return 0, err
	}
	return promValue(b, "process_resident_memory_bytes")
}

// promValue returns the value of an unlabelled sample in Prometheus text.
func promValue(b []byte, name string) (int64, error) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 && f[0] == name {
			v, err := strconv.ParseFloat(f[1], 64)
			return int64(v), err
		}
	}
	return 0, fmt.Errorf("bench: %s not found", name)
}
