// Package ledger is the loss ledger of the fault-injection tests: it
// proves that nothing a fanout node accepted went missing without a
// reason.
//
// Publishers number their events per channel ([Ledger.Next]) and record
// each answer: accepted (HTTP 200, [Ledger.Accepted]) or refused
// ([Ledger.Refused], e.g. 503 while the broker is away). Each client
// connection is a [Session]: it notes when a subscription succeeded, every
// event it received, and the close code it got. [Ledger.Check] then
// proves, per session and channel, that the session received every event
// accepted while it was subscribed, in order and once; events it lacks
// are excused only by a close code that says why (4100 slow consumer,
// 4200 drain, ...) and only after the last event it did receive. An
// event lacking without such a code is "silently missing", always a
// failure.
//
// A test that SIGKILLs a Redis master on purpose names the instant
// (Options.Killed): Redis answers a publish before it writes the message
// to the subscribers, so an event in flight at the kill may be answered
// 200 and lost with the process; such events are counted apart, and
// everything sent after the kill must still arrive.
//
// Timing rule: an event counts as "published while subscribed" when its
// request was sent after the subscription succeeded and its 200 came
// before the session ended (close or unsubscribe). Events straddling an
// edge may or may not arrive; if they arrive, order and uniqueness are
// still checked.
//
// # Concurrency
//
// Every method of Ledger and Session may be called from any goroutine.
package ledger
