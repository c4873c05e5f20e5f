package nouring

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// DropSubmissions points each entry of the submission index array of
// every io_uring of the process past the end of its submission queue,
// for rings set up for entries submissions with IORING_SETUP_CLAMP and
// mapped whole in one piece (both queues' rings, as IORING_FEAT_SINGLE_MMAP
// allows); a mapping of another length is left alone. The kernel then takes the next submission of each ring without doing it:
// it counts it as dropped, posts no completion and submits nothing more
// in that call. It returns how many rings it changed. The rings are
// found by their mappings (proc(5): "anon_inode:[io_uring]" at offset 0
// in /proc/self/maps) and written through /proc/self/mem.
func DropSubmissions(entries int) (int, error) {
	array, n, length, err := layout(entries)
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
		from, to, _ := strings.Cut(f[0], "-")
		start, err := strconv.ParseUint(from, 16, 64)
		end, err2 := strconv.ParseUint(to, 16, 64)
		if err != nil || err2 != nil {
			return rings, fmt.Errorf("nouring: /proc/self/maps: %q: %w", sc.Text(), errors.Join(err, err2))
		}
		if end-start != length {
			continue
		}
		if _, err := mem.WriteAt(past, int64(start)+int64(array)); err != nil {
			return rings, fmt.Errorf("nouring: write the index array of the ring at %#x: %w", start, err)
		}
		rings++
	}
	return rings, nil
}

// layout sets up a ring of entries submissions and returns where its
// submission index array starts in the ring's mapping, how many entries
// it holds, and the length of a mapping of both queues' rings, rounded
// up to whole pages; rings of that size have the same layout.
func layout(entries int) (array uint32, n int, length uint64, err error) {
	// struct io_uring_params as 32-bit words: sq_entries is word 0,
	// cq_entries word 1, flags word 2; sq_off (struct io_sqring_offsets)
	// starts at word 10 with array its seventh field, cq_off (struct
	// io_cqring_offsets) at word 20 with cqes its sixth.
	var p [30]uint32
	const setupClamp = 1 << 4 // IORING_SETUP_CLAMP
	p[2] = setupClamp
	fd, _, errno := unix.Syscall(unix.SYS_IO_URING_SETUP, uintptr(entries), uintptr(unsafe.Pointer(&p)), 0)
	if errno != 0 {
		return 0, 0, 0, fmt.Errorf("nouring: io_uring_setup: %w", errno)
	}
	unix.Close(int(fd))
	const cqeSize = 16 // struct io_uring_cqe
	size := uint64(max(p[10+6]+4*p[0], p[20+5]+cqeSize*p[1]))
	page := uint64(os.Getpagesize())
	return p[10+6], int(p[0]), (size + page - 1) / page * page, nil
}
