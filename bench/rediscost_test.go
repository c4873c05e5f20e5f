package bench

import "testing"

func TestParseRedisCPU(t *testing.T) {
	info := "# CPU\r\nused_cpu_sys:1.250000\r\nused_cpu_user:0.750000\r\nused_cpu_sys_children:9.0\r\n"
	got, err := parseRedisCPU(info)
	if err != nil || got != 2.0 {
		t.Fatalf("parseRedisCPU = %v, %v; want 2", got, err)
	}
	if _, err := parseRedisCPU("# CPU\r\nused_cpu_user:1\r\n"); err == nil {
		t.Fatal("a reply without used_cpu_sys parsed")
	}
}

func TestRedisPerPublish(t *testing.T) {
	a := "# CPU\r\nused_cpu_sys:1.0\r\nused_cpu_user:1.0\r\n# Commandstats\r\n" +
		"cmdstat_evalsha:calls=10,usec=50,usec_per_call=5.00,rejected_calls=0,failed_calls=0\r\n" +
		"cmdstat_info:calls=3,usec=9\r\n"
	b := "# CPU\r\nused_cpu_sys:1.5\r\nused_cpu_user:1.5\r\n# Commandstats\r\n" +
		"cmdstat_evalsha:calls=110,usec=550,usec_per_call=5.00,rejected_calls=0,failed_calls=0\r\n" +
		"cmdstat_publish:calls=100,usec=200\r\ncmdstat_pubsub|numsub:calls=100,usec=80\r\n" +
		"cmdstat_info:calls=4,usec=12\r\n"
	sample := func(info string) redisSample {
		cpu, err := parseRedisCPU(info)
		if err != nil {
			t.Fatal(err)
		}
		return redisSample{cpu: cpu, calls: parseCommandStats(info)}
	}
	cpu, cmds, by := perPublish(sample(a), sample(b), 100)
	if cpu != 10000 || cmds != 3 || by["evalsha"] != 1 || by["pubsub|numsub"] != 1 || by["info"] != 0 {
		t.Fatalf("perPublish = %v µs, %v commands, %v; want 10000 µs, 3 (evalsha, publish, pubsub|numsub; not info)", cpu, cmds, by)
	}
}
