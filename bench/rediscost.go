package bench

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/rueidis"
)

// redisCPU reads Redis's own CPU time, used_cpu_sys + used_cpu_user in
// seconds, from INFO cpu (redis.io/docs/latest/commands/info), at addr
// (host:port).
func redisCPU(ctx context.Context, addr string) (float64, error) {
	c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{addr}, DisableCache: true,
		ForceSingleClient: true})
	if err != nil {
		return 0, fmt.Errorf("bench: redis %s: %w", addr, err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	info, err := c.Do(ctx, c.B().Info().Section("cpu").Build()).ToString()
	if err != nil {
		return 0, fmt.Errorf("bench: redis %s: INFO cpu: %w", addr, err)
	}
	return parseRedisCPU(info)
}

// parseRedisCPU sums used_cpu_sys and used_cpu_user of an INFO reply.
func parseRedisCPU(info string) (float64, error) {
	var sum float64
	found := 0
	for _, line := range strings.Split(info, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok || (k != "used_cpu_sys" && k != "used_cpu_user") {
			continue
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return 0, fmt.Errorf("bench: INFO cpu: %s: %w", k, err)
		}
		sum += f
		found++
	}
	if found != 2 {
		return 0, fmt.Errorf("bench: INFO cpu: no used_cpu_sys and used_cpu_user")
	}
	return sum, nil
}

var errNoRedis = fmt.Errorf("bench: no --redis-addr")
