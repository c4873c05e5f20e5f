package redis

// Crash stops the broker the way a killed process does: no retirement, so
// the node's directory entries stay until another node reaps them.
func (b *Broker) Crash() {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	b.stop()
	b.wg.Wait()
	b.client.Close()
}

// ShareKeptCalls lets at most n history script calls be in flight, so
// that concurrent publishes share calls; it returns the undo.
func ShareKeptCalls(n int) func() {
	old := maxKeptCalls
	maxKeptCalls = n
	return func() { maxKeptCalls = old }
}

// PatternSubscribers reports what the last heartbeat found: a client
// subscribed by pattern on a standalone Redis.
func (b *Broker) PatternSubscribers() bool { return b.patternSubs.Load() }

// PeerClockErr is the largest clock error (ms) a live node reported at
// the last heartbeat.
func (b *Broker) PeerClockErr() int64 { return b.peerClockErr.Load() }

// Reap removes node from the directory as the heartbeat's reaper does.
func (b *Broker) Reap(node, why string) { b.removeNode(node, why) }

// HoldUpReason looks up, as explaining a refusal does, why channel of
// app refuses publications.
func (b *Broker) HoldUpReason(app, channel string) string {
	return b.findHoldUps([]string{b.listenersOf(app, channel)})[0].reason(channel, b.crashGrace())
}
