package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
)

// procCost is a process's utime+stime (ticks of 1/100 s, proc(5)) and
// syscw (write-family system calls) from /proc.
type procCost struct{ cpuTicks, writes uint64 }

func readProcCost(pid int) (procCost, error) {
	var c procCost
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return c, err
	}
	f := bytes.Fields(stat[bytes.LastIndexByte(stat, ')')+1:])
	if len(f) < 13 {
		return c, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	ut, _ := strconv.ParseUint(string(f[11]), 10, 64)
	st, _ := strconv.ParseUint(string(f[12]), 10, 64)
	c.cpuTicks = ut + st
	io, err := os.ReadFile(fmt.Sprintf("/proc/%d/io", pid))
	if err != nil {
		return c, err
	}
	for _, line := range bytes.Split(io, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte("syscw:")); ok {
			c.writes, err = strconv.ParseUint(string(bytes.TrimSpace(v)), 10, 64)
			return c, err
		}
	}
	return c, fmt.Errorf("/proc/%d/io: no syscw", pid)
}

// usesIOUring: one of pid's descriptors is an io_uring (its
// /proc/PID/fd link reads "anon_inode:[io_uring]", proc(5)).
func usesIOUring(pid int) bool {
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range ents {
		if l, err := os.Readlink(dir + "/" + e.Name()); err == nil && l == "anon_inode:[io_uring]" {
			return true
		}
	}
	return false
}
