package webhook

import (
	"context"
	"encoding/json"
	"time"
)

// runDurable is the Sender's goroutine with a Store: it moves what Send
// queued into the store, batch by batch, while a second goroutine
// (consume) posts what this node claims from it. On Close it stores what
// is still queued, lets the consumer finish the batch in hand and
// returns; entries left in the store are posted by another node, or by
// this one after a restart.
func (s *Sender) runDurable() {
	defer close(s.done)
	defer s.cancel()
	consumed := make(chan struct{})
	go func() { defer close(consumed); s.consume() }()
	batch := make([]Event, 0, s.o.BatchMax)
	for {
		var stopping bool
		select {
		case e := <-s.queue:
			batch = s.takeQueued(append(batch[:0], e))
		case <-s.stop:
			stopping = true
			batch = s.takeQueued(batch[:0])
		}
		if len(batch) > 0 {
			s.store(batch)
		}
		if stopping && len(batch) == 0 {
			break
		}
	}
	<-consumed
}

// store appends a batch to the stream. Events the stream has no room
// for are dropped and counted; when the store fails the batch is posted
// from memory instead, as without a store.
func (s *Sender) store(batch []Event) {
	enc := make([]string, 0, len(batch))
	for _, e := range batch {
		b, err := json.Marshal(e)
		if err != nil {
			s.drop()
			continue
		}
		enc = append(enc, string(b))
	}
	dropped, err := s.o.Store.WebhookAppend(s.ctx, s.o.Stream, enc, s.o.MaxQueue)
	if err != nil {
		s.deliver(batch)
		return
	}
	for range dropped {
		s.drop()
	}
}

// consume claims batches from the stream and posts them until Close.
// A batch is acknowledged once delivered or given up (then counted as
// dropped); one whose post Close's context cut short stays in the store.
// On the way out it gives the stream's lease back.
func (s *Sender) consume() {
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = s.o.Store.WebhookRelease(ctx, s.o.Stream)
	}()
	for attempt := 0; ; {
		select {
		case <-s.stop:
			return
		default:
		}
		ids, raw, err := s.o.Store.WebhookClaim(s.ctx, s.o.Stream, s.o.BatchMax, s.o.BatchWait)
		if err != nil {
			if s.ctx.Err() != nil || !s.sleep(backoff(s.o.Backoff, attempt)) {
				return
			}
			attempt++
			continue
		}
		attempt = 0
		if len(ids) == 0 {
			continue
		}
		batch := make([]Event, 0, len(raw))
		for _, r := range raw {
			var e Event
			if json.Unmarshal([]byte(r), &e) != nil {
				s.drop() // not ours to read: counted, and acknowledged below
				continue
			}
			batch = append(batch, e)
		}
		ok := len(batch) == 0 || s.post(batch, func() { _ = s.o.Store.WebhookTouch(s.ctx, s.o.Stream) })
		if !ok && s.ctx.Err() != nil {
			return // cut short: another node, or the next start, posts it
		}
		if s.o.OnResult != nil && len(batch) > 0 {
			s.o.OnResult(ok)
		}
		if !ok {
			for range batch {
				s.drop()
			}
		}
		_ = s.o.Store.WebhookAck(s.ctx, s.o.Stream, ids)
	}
}
