package webhook

import (
	"time"
)

// run is the Sender's goroutine: collect a batch, post it, repeat; on
// stop, drain the queue in batches and return.
func (s *Sender) run() {
	defer close(s.done)
	defer s.cancel()
	batch := make([]Event, 0, s.o.BatchMax)
	for {
		var stopping bool
		batch, stopping = s.collect(batch[:0])
		if len(batch) > 0 {
			s.deliver(batch)
		}
		if stopping {
			s.flush(batch[:0])
			return
		}
	}
}

// collect waits for a first event, then fills the batch until it is full,
// BatchWait has passed, or Close was called.
func (s *Sender) collect(batch []Event) ([]Event, bool) {
	select {
	case e := <-s.queue:
		batch = append(batch, e)
	case <-s.stop:
		return batch, true
	}
	t := time.NewTimer(s.o.BatchWait)
	defer t.Stop()
	for len(batch) < s.o.BatchMax {
		select {
		case e := <-s.queue:
			batch = append(batch, e)
		case <-t.C:
			return batch, false
		case <-s.stop:
			// Events already queued join this batch rather than wait for
			// one of their own.
			return s.takeQueued(batch), true
		}
	}
	return batch, false
}

// flush posts everything still queued, batch by batch, until the queue is
// empty or Close's context has ended; what remains is counted as dropped.
func (s *Sender) flush(batch []Event) {
	for {
		batch = s.takeQueued(batch[:0])
		if len(batch) == 0 {
			return
		}
		s.deliver(batch)
	}
}

// takeQueued appends queued events to batch, without waiting, until the
// batch is full or the queue is empty.
func (s *Sender) takeQueued(batch []Event) []Event {
	for len(batch) < s.o.BatchMax {
		select {
		case e := <-s.queue:
			batch = append(batch, e)
		default:
			return batch
		}
	}
	return batch
}
