// Package interop runs real third-party clients against fanout: pusher-js
// and the pusher Node SDK, Node's ws package and Debian's python3-websockets.
// The clients are scripts in this folder (*.mjs run with `node --test`,
// echo_client.py run with /usr/bin/python3); the Go tests start a node, in
// process or as the real `fanout serve` binary, run a script with the
// node's address in its environment and assert its exit code, printing its
// output when it fails. A missing runtime or package fails the test with
// what to install (`make deps` installs all of them).
//
// TestProxies puts Debian's nginx and HAProxy, running the files of
// deploy/ with only addresses, ports and certificate paths substituted, in
// front of two `fanout serve` processes on one redis-server, with TLS from
// a CA made in the test. It skips, naming the package, when nginx or
// haproxy is not installed.
//
// recovery.mjs runs pusher-js with the repository's own recovery helper
// (client/pusher-recovery) behind a TCP proxy that the Go test cuts on
// the script's request, over one node and over two nodes sharing a
// redis-server the test starts.
//
// sse.mjs runs the npm eventsource client against a node's Server-Sent
// Events endpoint (events the pusher SDK publishes, refusals, resume by
// Last-Event-ID), browser/sse.html runs EventSource in headless
// Chromium with a token cookie from an allowed and a disallowed origin,
// and browser/sse-resume.html has Chromium's EventSource resume a
// history channel by Last-Event-ID after the server ends its stream and
// after a drain (sse_resume_test.go).
//
// The package has no code of its own besides this comment.
//
// # Concurrency
//
// Each test owns the node and the client process it starts and stops both
// before it returns; tests run one after another.
package interop
