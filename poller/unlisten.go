package poller

import (
	"time"

	"golang.org/x/sys/unix"
)

// Closing a listening socket resets the connections the kernel holds for
// it: those in the accept queue (which the loop accepts first) and those
// whose handshake is half done, whose client may believe it is
// connected and send a request into a reset. So before the socket
// closes, new connection attempts are dropped (a classic BPF filter on
// the socket, see socket(7) SO_ATTACH_FILTER, discards TCP segments with
// SYN set and ACK clear; the client's SYN retransmission then meets the
// closed port and is refused), the handshakes in progress get synGrace
// to complete, and only then is the backlog accepted and the socket
// closed.

// synGrace is how long handshakes already under way may take to
// complete once new ones are dropped: many round trips on loopback or a
// data centre network.
const synGrace = 50 * time.Millisecond

// dropSYN is the filter: the program sees the TCP header (RFC 9293
// section 3.1), whose byte 13 holds the flags (ACK 0x10, SYN 0x02).
var dropSYN = []unix.SockFilter{
	{Code: unix.BPF_LD | unix.BPF_B | unix.BPF_ABS, K: 13},
	{Code: unix.BPF_ALU | unix.BPF_AND | unix.BPF_K, K: 0x12},
	{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, K: 0x02, Jt: 0, Jf: 1},
	{Code: unix.BPF_RET | unix.BPF_K, K: 0},          // a new connection attempt: dropped
	{Code: unix.BPF_RET | unix.BPF_K, K: 0xffffffff}, // anything else: kept whole
}

// refuseNew drops new connection attempts on every loop's listening
// socket and waits synGrace; false when the filter could not be
// attached (the sockets then close at once, as before).
func (p *Poller) refuseNew() bool {
	prog := unix.SockFprog{Len: uint16(len(dropSYN)), Filter: &dropSYN[0]}
	for _, l := range p.loops {
		if err := unix.SetsockoptSockFprog(l.listenFD, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &prog); err != nil {
			return false
		}
	}
	time.Sleep(synGrace)
	return true
}
