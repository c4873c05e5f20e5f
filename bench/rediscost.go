package bench

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/rueidis"
)

// redisSample is what Redis says of its own work at one moment: its CPU
// time (used_cpu_sys + used_cpu_user, seconds) and the calls of each
// command since it started (INFO commandstats; commands a Lua script
// runs count too), from one INFO reply
// (redis.io/docs/latest/commands/info).
type redisSample struct {
	cpu   float64
	calls map[string]uint64 // "publish", "evalsha", "pubsub|numsub", ...
}

// redisStats reads a redisSample from the Redis at addr (host:port).
func redisStats(ctx context.Context, addr string) (redisSample, error) {
	c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{addr}, DisableCache: true,
		ForceSingleClient: true})
	if err != nil {
		return redisSample{}, fmt.Errorf("bench: redis %s: %w", addr, err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	info, err := c.Do(ctx, c.B().Info().Section("cpu", "commandstats").Build()).ToString()
	if err != nil {
		return redisSample{}, fmt.Errorf("bench: redis %s: INFO: %w", addr, err)
	}
	cpu, err := parseRedisCPU(info)
	if err != nil {
		return redisSample{}, err
	}
	return redisSample{cpu: cpu, calls: parseCommandStats(info)}, nil
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

// parseCommandStats reads the calls of each command from the
// "cmdstat_<name>:calls=N,usec=..." lines of an INFO reply.
func parseCommandStats(info string) map[string]uint64 {
	calls := map[string]uint64{}
	for _, line := range strings.Split(info, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		name, isCmd := strings.CutPrefix(k, "cmdstat_")
		if !ok || !isCmd {
			continue
		}
		for _, f := range strings.Split(v, ",") {
			if n, ok := strings.CutPrefix(f, "calls="); ok {
				if c, err := strconv.ParseUint(n, 10, 64); err == nil {
					calls[name] = c
				}
			}
		}
	}
	return calls
}

// perPublish is what Redis did between samples a and b for each of n
// publishes: CPU in µs, and the calls of each command (INFO itself, the
// harness's own, left out) and their sum.
func perPublish(a, b redisSample, n uint64) (cpuUs, cmds float64, byCmd map[string]float64) {
	byCmd = map[string]float64{}
	for name, c := range b.calls {
		if c > a.calls[name] && name != "info" {
			byCmd[name] = float64(c-a.calls[name]) / float64(n)
			cmds += byCmd[name]
		}
	}
	return (b.cpu - a.cpu) * 1e6 / float64(n), cmds, byCmd
}

var errNoRedis = fmt.Errorf("bench: no --redis-addr")
