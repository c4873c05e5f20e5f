// Package sse holds the Server-Sent Events interop tests: the npm
// eventsource client (../sse.mjs) and EventSource in headless Chromium
// (../browser/sse.html) against an in-process node. The scripts run from
// test/interop, where the npm packages are installed.
//
// # Concurrency
//
// Tests only; each starts its own node and servers on free loopback ports.
package sse
