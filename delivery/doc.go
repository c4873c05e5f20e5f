// Package delivery is fanout's delivery engine: it takes published
// events for a channel, queues them in bounded per-channel queues, and
// writes them to the channel's local subscribers (found in a shard.Hub)
// from a small set of delivery workers, in batches, with one write per
// subscriber per batch.
//
// The engine knows nothing of protocols or sockets. Its user supplies a
// Sink that encodes a batch of events once into Messages shared by every
// recipient, picks each subscriber's bytes (Message.Frame), holds back
// what a subscriber must not get yet (Message.Hold, the hook of a
// recovery in progress), and writes a subscriber's frames in one call
// (Sink.Write, a writev(2) in fanout's server).
//
// Bounds. A channel holds at most LaneRoom(subscribers) queued events:
// 64, and fewer when the channel is big, so that at most 2^19 deliveries
// (events × subscribers) wait per channel and what is queued is written
// within a bounded time. All channels together hold at most 4,096
// events. An event that finds no room is refused with ErrFull, never
// queued without bound; Offer may wait for room until its context is
// done.
//
// Batches. A worker takes up to 64 events of one channel, at most 64 KiB
// of them by the sizes given to Offer (and at least one event), encodes
// them through the Sink, and writes to each subscriber all of the batch
// it is to get in one Sink.Write (or, when the Sink is a Gatherer, one
// Gather.Add each and one Gather.Flush per part). A channel of more than
// 1,024 subscribers is split in parts of 1,024: the worker hands parts to
// idle fan-out helpers and writes the rest itself.
//
// Fairness: channels with queued events wait in one round-robin line
// that every worker serves, and a channel is served by one worker at a
// time, which keeps its order. A flooded channel occupies at most one
// worker and, after each batch, goes to the back of the line: it delays
// each other channel in line by at most one batch's pass over its
// subscribers, and cannot starve them.
//
// # Concurrency
//
// Offer, Pending, Wait and Close are safe for concurrent use. Start runs
// the workers and helpers once; Close stops them after their current
// batch and waits for them, and after Close, Offer returns ErrClosed.
// Deliver (benchmarks) writes a batch on its caller's goroutine, beside
// the workers, so it keeps no order with the queues.
// The Sink's Encode runs on a delivery worker; Frame, Hold, Live and
// Write run on workers and helpers at once, for different subscribers of
// the same batch, so they must be safe for concurrent use.
//
// Who may wait for whom ("A ──▶ B": A may block until B acts). Nothing on
// the right waits for anything on its left, so the graph has no cycle:
//
//	Offer (caller)     ──▶ room in a queue (until its ctx is done, then ErrFull)
//	delivery worker    ──▶ fan-out helpers, connection write locks
//	fan-out helper     ──▶ connection write locks
//	connection write lock: held by Sink.Write across one non-blocking write
//
// Room in the queues is freed by the workers, which wait only for helpers
// and write locks, never for an Offer. A worker hands a part of a big
// channel to a helper only when one is idle (the hand-off channel is
// unbuffered), else writes it itself; a helper waits for nothing but
// write locks, so a worker waiting for its helpers always gets them back.
// The queues' lock is short and never held across a Sink call, a wait or
// a syscall. Sink.Write must not block beyond a connection's write lock:
// a subscriber that cannot take more is the Sink's to refuse (fanout's
// server closes it as a slow consumer).
package delivery
