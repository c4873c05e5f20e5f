// Package shard holds fanout's shared tables: channels and their
// subscribers, presence members, users and their connections, the cache
// of cache- channels, and the timer wheels that drive per-connection
// deadlines.
//
// The tables are a fixed array of shards, each with its own lock; a key is
// placed by a maphash of its name, computed without allocating. A
// connection's channel memberships live here, in the channel's subscriber
// set, not in a map on the connection.
//
// The package is generic over the subscriber type S (a pointer to the
// protocol's connection state): it never sees a socket or a frame.
//
// # Concurrency
//
// Every Hub and Wheel method is safe for concurrent use. Lock order is
// shard, then channel; no lock is held while a caller's function runs,
// except Channel.Each and Channel.EachMember, which hold the channel's read
// lock and must not call back into the Hub. Snapshot copies subscribers
// out so that slow work (writes to sockets) runs with no lock held.
//
// A Wheel's fire function runs on the goroutine that calls Advance, with
// no wheel lock held, so it may Add.
package shard
