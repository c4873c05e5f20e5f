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
