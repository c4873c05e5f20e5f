// Package nouring makes io_uring fail for a test the ways a kernel can,
// so that the fall-backs of code that uses it run against real failures:
//
//   - Thread and Process make io_uring_setup(2) fail with ENOSYS, through
//     a seccomp filter (seccomp(2), as container runtimes' default
//     profiles do): the ring cannot be set up;
//   - DropSubmissions breaks rings that worked: the kernel takes a
//     submission without doing it or completing it, as it does with a
//     submission queue whose index array holds what it does not expect
//     (io_uring_setup(2): the dropped count), so the send is in doubt.
//
// # Concurrency
//
// Thread installs its filter on the calling thread alone: lock it with
// runtime.LockOSThread and never unlock it, so that Go ends the thread
// with its goroutine. Process installs it on every thread of the
// process for the rest of its life: call it in a child process.
// DropSubmissions writes into the rings' shared memory: call it while no
// submission is in flight, from any goroutine.
package nouring
