package poller

import (
	"errors"
	"fmt"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// An io_uring instance (io_uring(7), io_uring_setup(2), io_uring_enter(2))
// driven with raw system calls: one submission queue of SQEs and one
// completion queue of CQEs, both mapped from the kernel. SendBatch uses
// it to hand the kernel a fan-out's sends in one io_uring_enter(2).
//
// The layouts below are the kernel's UAPI (include/uapi/linux/io_uring.h)
// on 64-bit Linux.

const (
	iouringOffSQRing = 0
	iouringOffSQEs   = 0x10000000

	iouringFeatSingleMmap = 1 << 0
	iouringSetupClamp     = 1 << 4
	iouringSetupSubmitAll = 1 << 7

	iouringEnterGetEvents = 1 << 0

	iouringOpSend    = 26
	iouringOpSendmsg = 9
)

type iouringSQOffsets struct {
	Head, Tail, RingMask, RingEntries, Flags, Dropped, Array, Resv1 uint32
	UserAddr                                                        uint64
}

type iouringCQOffsets struct {
	Head, Tail, RingMask, RingEntries, Overflow, CQEs, Flags, Resv1 uint32
	UserAddr                                                        uint64
}

type iouringParams struct {
	SQEntries, CQEntries, Flags, SQThreadCPU, SQThreadIdle, Features, WQFd uint32
	Resv                                                                   [3]uint32
	SQOff                                                                  iouringSQOffsets
	CQOff                                                                  iouringCQOffsets
}

// iouringSQE is one submission (struct io_uring_sqe, 64 bytes).
type iouringSQE struct {
	Opcode      uint8
	Flags       uint8
	Ioprio      uint16
	Fd          int32
	Off         uint64
	Addr        uint64
	Len         uint32
	OpFlags     uint32 // msg_flags for send and sendmsg
	UserData    uint64
	BufIndex    uint16
	Personality uint16
	SpliceFdIn  int32
	Addr3       uint64
	Pad         uint64
}

// iouringCQE is one completion (struct io_uring_cqe, 16 bytes).
type iouringCQE struct {
	UserData uint64
	Res      int32
	Flags    uint32
}

// ring is one io_uring. It is not safe for concurrent use: each SendBatch
// owns one.
type ring struct {
	fd      int
	ringMem []byte
	sqeMem  []byte
	sqHead  *uint32
	sqTail  *uint32
	sqMask  uint32
	sqArray []uint32 // the index array: the identity, set once
	sqes    []iouringSQE
	cqHead  *uint32
	cqTail  *uint32
	cqMask  uint32
	cqes    []iouringCQE
	tail    uint32 // next SQ tail, published at submit
	entries int
	fault   *ringFault // nil but in tests

	// sqDropped is the kernel's count of the submissions it dropped;
	// dropped, its value when last read.
	sqDropped *uint32
	dropped   uint32
}

// ringFault makes a ring fail the way a kernel can but will not on demand
// (io_uring_enter(2) returning EBADF, EFAULT, ENXIO, ...). Only tests set
// ring.fault.
type ringFault struct {
	// errno is what the failing io_uring_enter returns.
	errno unix.Errno
	// With submit, submitAndWait fails after the kernel took the first
	// take SQEs (for real, without waiting for them). Without it,
	// submitAndWait succeeds, then wait fails and the completion queue
	// shows nothing: the completions of what the kernel took are lost.
	submit bool
	take   int
}

// ErrNoIOUring wraps why an io_uring could not be set up (ENOSYS on a
// kernel without it, EPERM when the sysctl kernel.io_uring_disabled
// forbids it, ENOMEM past RLIMIT_MEMLOCK on old kernels).
var ErrNoIOUring = errors.New("poller: io_uring unavailable")

// newRing sets up an io_uring of at least entries submissions (a power of
// two, clamped by the kernel) that shares one mapping for both queues.
func newRing(entries int) (*ring, error) {
	var p iouringParams
	p.Flags = iouringSetupClamp | iouringSetupSubmitAll
	fd, _, errno := unix.Syscall(unix.SYS_IO_URING_SETUP, uintptr(entries), uintptr(unsafe.Pointer(&p)), 0)
	if errno == unix.EINVAL { // a kernel before 5.18 knows no IORING_SETUP_SUBMIT_ALL
		p = iouringParams{Flags: iouringSetupClamp}
		fd, _, errno = unix.Syscall(unix.SYS_IO_URING_SETUP, uintptr(entries), uintptr(unsafe.Pointer(&p)), 0)
	}
	if errno != 0 {
		return nil, fmt.Errorf("%w: io_uring_setup: %w", ErrNoIOUring, errno)
	}
	r := &ring{fd: int(fd), entries: int(p.SQEntries)}
	if p.Features&iouringFeatSingleMmap == 0 { // before Linux 5.4
		r.close()
		return nil, fmt.Errorf("%w: kernel lacks IORING_FEAT_SINGLE_MMAP", ErrNoIOUring)
	}
	size := max(p.SQOff.Array+p.SQEntries*4, p.CQOff.CQEs+p.CQEntries*uint32(unsafe.Sizeof(iouringCQE{})))
	mem, err := unix.Mmap(r.fd, iouringOffSQRing, int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		r.close()
		return nil, fmt.Errorf("%w: mmap rings: %w", ErrNoIOUring, err)
	}
	r.ringMem = mem
	sqeSize := int(p.SQEntries) * int(unsafe.Sizeof(iouringSQE{}))
	sqeMem, err := unix.Mmap(r.fd, iouringOffSQEs, sqeSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		r.close()
		return nil, fmt.Errorf("%w: mmap SQEs: %w", ErrNoIOUring, err)
	}
	r.sqeMem = sqeMem
	at := func(off uint32) unsafe.Pointer { return unsafe.Pointer(&mem[off]) }
	r.sqHead = (*uint32)(at(p.SQOff.Head))
	r.sqTail = (*uint32)(at(p.SQOff.Tail))
	r.sqMask = *(*uint32)(at(p.SQOff.RingMask))
	r.sqDropped = (*uint32)(at(p.SQOff.Dropped))
	r.dropped = atomic.LoadUint32(r.sqDropped)
	r.cqHead = (*uint32)(at(p.CQOff.Head))
	r.cqTail = (*uint32)(at(p.CQOff.Tail))
	r.cqMask = *(*uint32)(at(p.CQOff.RingMask))
	r.sqes = unsafe.Slice((*iouringSQE)(unsafe.Pointer(&sqeMem[0])), p.SQEntries)
	r.cqes = unsafe.Slice((*iouringCQE)(at(p.CQOff.CQEs)), p.CQEntries)
	// SQE i always sits in slot i: the index array is the identity, set once.
	r.sqArray = unsafe.Slice((*uint32)(at(p.SQOff.Array)), p.SQEntries)
	for i := range r.sqArray {
		r.sqArray[i] = uint32(i)
	}
	r.tail = atomic.LoadUint32(r.sqTail)
	return r, nil
}

// next returns the next free SQE, zeroed, or nil when the queue is full
// (submit first).
func (r *ring) next() *iouringSQE {
	if int(r.tail-atomic.LoadUint32(r.sqHead)) >= r.entries {
		return nil
	}
	sqe := &r.sqes[r.tail&r.sqMask]
	*sqe = iouringSQE{}
	r.tail++
	return sqe
}

// pending is the number of SQEs filled but not yet taken by the kernel.
func (r *ring) pending() int { return int(r.tail - atomic.LoadUint32(r.sqHead)) }

// submitAndWait publishes the filled SQEs and enters the kernel once to
// submit them and wait for want completions (again after EINTR). It
// returns the number the kernel took in all, as its head of the
// submission queue shows; on an error the SQEs it did not take stay
// pending.
func (r *ring) submitAndWait(want int) (int, error) {
	atomic.StoreUint32(r.sqTail, r.tail)
	n := r.pending()
	if f := r.fault; f != nil && f.submit {
		_, _, _ = unix.Syscall6(unix.SYS_IO_URING_ENTER, uintptr(r.fd), uintptr(min(f.take, n)), 0, 0, 0, 0)
		return n - r.pending(), f.errno
	}
	for {
		_, _, errno := unix.Syscall6(unix.SYS_IO_URING_ENTER, uintptr(r.fd), uintptr(r.pending()), uintptr(want),
			iouringEnterGetEvents, 0, 0)
		if errno != unix.EINTR {
			// Counted from sqHead, not from the return value, which
			// covers only the last call when EINTR came before.
			if errno != 0 {
				return n - r.pending(), errno
			}
			return n - r.pending(), nil
		}
	}
}

// wait enters the kernel to wait for want completions, submitting
// nothing.
func (r *ring) wait(want int) error {
	if f := r.fault; f != nil && !f.submit {
		return f.errno
	}
	for {
		_, _, errno := unix.Syscall6(unix.SYS_IO_URING_ENTER, uintptr(r.fd), 0, uintptr(want), iouringEnterGetEvents, 0, 0)
		if errno != unix.EINTR {
			if errno != 0 {
				return errno
			}
			return nil
		}
	}
}

// reap calls f with each completion ready now and marks them seen.
func (r *ring) reap(f func(userData uint64, res int32)) int {
	if r.fault != nil && !r.fault.submit {
		return 0
	}
	head := atomic.LoadUint32(r.cqHead)
	tail := atomic.LoadUint32(r.cqTail)
	n := 0
	for ; head != tail; head++ {
		c := &r.cqes[head&r.cqMask]
		f(c.UserData, c.Res)
		n++
	}
	atomic.StoreUint32(r.cqHead, head)
	return n
}

// droppedMore reports whether the kernel dropped submissions since the
// last call: it took SQEs whose index array entry was out of range, ran
// none of them and will post no completion for them.
func (r *ring) droppedMore() bool {
	d := atomic.LoadUint32(r.sqDropped)
	if d == r.dropped {
		return false
	}
	r.dropped = d
	return true
}

// unsubmit takes back the SQEs the kernel did not take (after an error).
func (r *ring) unsubmit() {
	r.tail = atomic.LoadUint32(r.sqHead)
	atomic.StoreUint32(r.sqTail, r.tail)
}

// close unmaps the queues and closes the ring's descriptor, which makes
// the kernel cancel what it still holds; a second call does nothing.
func (r *ring) close() {
	if r.sqeMem != nil {
		_ = unix.Munmap(r.sqeMem)
	}
	if r.ringMem != nil {
		_ = unix.Munmap(r.ringMem)
	}
	if r.fd >= 0 {
		_ = unix.Close(r.fd)
	}
	r.sqeMem, r.ringMem, r.fd = nil, nil, -1
}
