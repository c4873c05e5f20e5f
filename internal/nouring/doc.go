// Package nouring makes io_uring fail for a test the ways a kernel can,
// so that the fall-backs of code that uses it run against real failures:
//
//   - Thread and Process make io_uring_setup(2) fail with ENOSYS, through
//     a seccomp filter (seccomp(2), as container runtimes' default
//     profiles do): the ring cannot be set up;
//   - DropSubmissions and DenyWaits break rings that worked: the kernel
//     consumes each submission without completing it, as it does with a
//     submission queue whose index array holds what it does not expect
//     (io_uring_setup(2): the dropped count), and a wait for the
//     completions fails, so the sends a ring held are in doubt.
//
// # Concurrency
//
// Thread installs its filter on the calling thread alone: lock it with
// runtime.LockOSThread and never unlock it, so that Go ends the thread
// with its goroutine. Process and DenyWaits install theirs on every
// thread of the process for the rest of its life: call them in a child
// process. DropSubmissions writes into the rings' shared memory: call it
// while no submission is in flight, from any goroutine.
package nouring
