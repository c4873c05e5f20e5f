// Package conformance holds fanout's own RFC 6455 conformance tests for the
// server role. They start an in-process node with the /echo endpoint and
// speak raw frames over a real TCP socket: the upgrade request is written by
// hand, frames are built and masked here and written whole, byte by byte or
// in odd chunks, so the server's decoder sees every split a network can
// produce.
//
// The cases follow the ground of the Autobahn|Testsuite groups 1 to 7, 9
// and 10 (framing, pings and pongs, reserved bits, opcodes, fragmentation,
// UTF-8, the close handshake, large messages, auto-fragmentation) and
// assert the exact close code or echoed payload of each. The Autobahn
// fuzzing client itself cannot be installed from the registries this
// project reaches (Go modules, Debian, npm: Debian's python3-autobahn is
// the library without the test suite, and npm has no port of it), so
// these tests are the conformance proof that `make test` runs.
//
// The package has no code of its own besides this comment.
//
// # Concurrency
//
// Each test owns its node and its sockets; subtests run one after another
// on one connection each.
package conformance
