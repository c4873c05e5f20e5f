package redis

import (
	"errors"
	"strings"
	"testing"
)

// New refuses Sentinel settings that cannot work, before dialling, and
// reports sentinels that do not answer as a ConnectError (an outage, not
// a bad setting) naming the master and the sentinels.
func TestNewSentinelOptions(t *testing.T) {
	s := Sentinel{MasterName: "m", Addrs: []string{"127.0.0.1:1"}}
	for _, tc := range []struct {
		name string
		o    Options
		want string
	}{
		{"cluster", Options{Cluster: true, Sentinel: s}, errSentinelCluster.Error()},
		{"unix", Options{URL: "unix:///run/redis.sock", Sentinel: s}, "not unix://"},
		{"no sentinels", Options{Sentinel: Sentinel{MasterName: "m"}}, "at least one sentinel address"},
		{"two master names", Options{URL: "redis:///0?master_set=x", Sentinel: s}, "give one"},
		{"url form with cluster", Options{URL: "redis://127.0.0.1:1?master_set=x", Cluster: true}, errSentinelCluster.Error()},
	} {
		b, err := New(tc.o)
		var ce ConnectError
		if b != nil || err == nil || errors.As(err, &ce) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: New = %v, %v; want a plain error containing %q", tc.name, b, err, tc.want)
		}
	}
	b, err := New(Options{Sentinel: Sentinel{MasterName: "m", Addrs: []string{"127.0.0.1:1", "127.0.0.1:2"}, Password: "hidden"}})
	var ce ConnectError
	if b != nil || !errors.As(err, &ce) || ce.Addr != `sentinel master "m" via [127.0.0.1:1 127.0.0.1:2]` || strings.Contains(err.Error(), "hidden") {
		t.Fatalf("unreachable sentinels: New = %v, %v; want a ConnectError naming them", b, err)
	}
}
