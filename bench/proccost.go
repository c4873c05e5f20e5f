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
	// ring: the process holds an io_uring. Its sends are submitted
	// with io_uring_enter(2), which syscw does not count (nor send(2)
	// and sendmsg(2)), so its writes figure would read near 0.
	ring bool
}

func (a procCost) sub(b procCost) procCost {
	return procCost{cpuTicks: a.cpuTicks - b.cpuTicks, writes: a.writes - b.writes, ring: a.ring || b.ring}
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
			c.ring = holdsIOUring(pid)
			return c, nil
		}
	}
	return c, fmt.Errorf("bench: /proc/%d/io: no syscw line", pid)
}

// holdsIOUring reports whether pid has an io_uring open: a descriptor
// that links to "anon_inode:[io_uring]" in /proc/PID/fd (proc(5)). It
// stops at the first one; a process it cannot read counts as without.
func holdsIOUring(pid int) bool {
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	f, err := os.Open(dir)
	if err != nil {
		return false
	}
	defer f.Close()
	for {
		names, err := f.Readdirnames(512)
		for _, n := range names {
			if l, _ := os.Readlink(dir + "/" + n); l == "anon_inode:[io_uring]" {
				return true
			}
		}
		if err != nil {
			return false
		}
	}
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
		sum.ring = sum.ring || c.ring
	}
	return sum, len(pids) > 0
}

// setCost fills the server's cost from its cost delta d over a window
// of secs seconds.
func (r *Result) setCost(d procCost, secs float64) {
	r.ServerCPUMeasured = true
	r.ServerCPUSeconds = float64(d.cpuTicks) / clockTicks
	if secs > 0 {
		r.ServerCores = r.ServerCPUSeconds / secs
	}
	r.ServerWrites = d.writes
	r.ServerIOUring = d.ring
	if r.Delivered > 0 {
		r.CPUPerDeliveryUs = r.ServerCPUSeconds * 1e6 / float64(r.Delivered)
		if !d.ring {
			r.WritesPerDelivery = float64(d.writes) / float64(r.Delivered)
		}
	}
}
