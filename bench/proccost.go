package bench

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat:
// 100 on every Linux architecture Go supports (proc(5), sysconf(_SC_CLK_TCK)).
const clockTicks = 100

// procCost is a process's cumulative CPU time and write syscalls.
type procCost struct {
	cpuTicks uint64 // utime + stime, in clockTicks
	writes   uint64 // syscw: write-family system calls
}

func (a procCost) sub(b procCost) procCost {
	return procCost{cpuTicks: a.cpuTicks - b.cpuTicks, writes: a.writes - b.writes}
}

// readProcCost reads utime+stime (fields 14 and 15 of /proc/PID/stat)
// and syscw (/proc/PID/io) of pid, as proc(5) describes them. Reading
// another user's /proc/PID/io needs that user or root.
func readProcCost(pid int) (procCost, error) {
	var c procCost
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return c, fmt.Errorf("bench: %w", err)
	}
	// The command name (field 2) is in parentheses and may hold spaces:
	// count fields after the last ')'. There field 3 (state) is [0].
	i := bytes.LastIndexByte(stat, ')')
	f := bytes.Fields(stat[i+1:])
	if i < 0 || len(f) < 13 {
		return c, fmt.Errorf("bench: /proc/%d/stat: unexpected format", pid)
	}
	ut, err1 := strconv.ParseUint(string(f[11]), 10, 64)
	st, err2 := strconv.ParseUint(string(f[12]), 10, 64)
	if err1 != nil || err2 != nil {
		return c, fmt.Errorf("bench: /proc/%d/stat: unexpected format", pid)
	}
	c.cpuTicks = ut + st
	io, err := os.ReadFile(fmt.Sprintf("/proc/%d/io", pid))
	if err != nil {
		return c, fmt.Errorf("bench: %w", err)
	}
	for _, line := range bytes.Split(io, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte("syscw:")); ok {
			c.writes, err = strconv.ParseUint(string(bytes.TrimSpace(v)), 10, 64)
			if err != nil {
				return c, fmt.Errorf("bench: /proc/%d/io: %w", pid, err)
			}
			return c, nil
		}
	}
	return c, fmt.Errorf("bench: /proc/%d/io: no syscw line", pid)
}

// serverCost sums readProcCost over pids; ok is false when pids is
// empty or any read fails.
func serverCost(pids []int) (procCost, bool) {
	var sum procCost
	for _, pid := range pids {
		c, err := readProcCost(pid)
		if err != nil {
			return procCost{}, false
		}
		sum.cpuTicks += c.cpuTicks
		sum.writes += c.writes
	}
	return sum, len(pids) > 0
}

// setCost fills the per-delivery server cost from a cost delta.
func (r *Result) setCost(d procCost) {
	r.ServerCPUSeconds = float64(d.cpuTicks) / clockTicks
	r.ServerWrites = d.writes
	if r.Delivered > 0 {
		r.CPUPerDeliveryUs = r.ServerCPUSeconds * 1e6 / float64(r.Delivered)
		r.WritesPerDelivery = float64(d.writes) / float64(r.Delivered)
	}
}
