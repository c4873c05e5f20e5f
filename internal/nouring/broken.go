package nouring

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// DenyWaits makes io_uring_enter(2) fail with errno, on every thread of
// the process, whenever it submits nothing (to_submit is 0): a wait for
// completions. Submissions, and waits that come with them, go through.
func DenyWaits(errno unix.Errno) error {
	// seccomp_data: nr (4 bytes), arch (4), instruction pointer (8), then
	// six 64-bit arguments; to_submit is the second, a 32-bit value.
	toSubmit := uint32(16 + 8)
	if binary.NativeEndian.Uint16([]byte{0, 1}) == 1 { // big-endian: the low half comes second
		toSubmit += 4
	}
	return filter([]unix.SockFilter{
		{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: 0}, // seccomp_data.nr
		{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, K: unix.SYS_IO_URING_ENTER, Jt: 0, Jf: 3},
		{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: toSubmit},
		{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, K: 0, Jt: 0, Jf: 1},
		{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ERRNO | uint32(errno)},
		{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ALLOW},
	}, unix.SECCOMP_FILTER_FLAG_TSYNC)
}

// DropSubmissions points each entry of the submission index array of
// every io_uring of the process past the end of its submission queue,
// for rings set up for entries submissions with IORING_SETUP_CLAMP. The
// kernel then takes the next submission of each ring without doing it:
// it counts it as dropped, posts no completion and submits nothing more
// in that call. It returns how many rings it changed. The rings are
// found by their mappings (proc(5): "anon_inode:[io_uring]" at offset 0
// in /proc/self/maps) and written through /proc/self/mem.
func DropSubmissions(entries int) (int, error) {
	array, n, err := indexArray(entries)
	if err != nil {
		return 0, err
	}
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return 0, err
	}
	mem, err := os.OpenFile("/proc/self/mem", os.O_RDWR, 0)
	if err != nil {
		return 0, err
	}
	defer mem.Close()
	past := bytes.Repeat([]byte{0xff}, 4*n) // index 2^32-1: no submission queue is that long
	rings := 0
	for sc := bufio.NewScanner(bytes.NewReader(maps)); sc.Scan(); {
		// start-end perms offset dev inode path
		f := strings.Fields(sc.Text())
		if len(f) < 6 || f[5] != "anon_inode:[io_uring]" || f[2] != "00000000" {
			continue
		}
		start, err := strconv.ParseUint(f[0][:strings.IndexByte(f[0], '-')], 16, 64)
		if err != nil {
			return rings, fmt.Errorf("nouring: /proc/self/maps: %q: %w", sc.Text(), err)
		}
		if _, err := mem.WriteAt(past, int64(start)+int64(array)); err != nil {
			return rings, fmt.Errorf("nouring: write the index array of the ring at %#x: %w", start, err)
		}
		rings++
	}
	return rings, nil
}

// indexArray sets up a ring of entries submissions and returns where its
// submission index array starts in the ring's mapping and how many
// entries it holds; rings of that size have the same layout.
func indexArray(entries int) (offset uint32, n int, err error) {
	// struct io_uring_params as 32-bit words: sq_entries is word 0, flags
	// word 2, and sq_off (struct io_sqring_offsets) starts at word 10
	// with array its seventh field.
	var p [30]uint32
	const setupClamp = 1 << 4 // IORING_SETUP_CLAMP
	p[2] = setupClamp
	fd, _, errno := unix.Syscall(unix.SYS_IO_URING_SETUP, uintptr(entries), uintptr(unsafe.Pointer(&p)), 0)
	if errno != 0 {
		return 0, 0, fmt.Errorf("nouring: io_uring_setup: %w", errno)
	}
	unix.Close(int(fd))
	return p[10+6], int(p[0]), nil
}
