package delivery

// Gatherer is an optional extension of Sink, found with a type assertion:
// each delivery worker and fan-out helper asks it once for a Gather, and
// its writes to one part of a fan-out (up to 1,024 subscribers) then go
// through that Gather together instead of one Sink.Write each. Gather may
// return nil: the worker then calls Sink.Write.
type Gatherer[S comparable] interface {
	Gather() Gather[S]
}

// Gather holds the writes of one part of a fan-out and makes them at
// Flush (fanout's server: one io_uring_enter(2) for the part). It is used
// by one goroutine, which closes it when it stops.
type Gather[S comparable] interface {
	// Add holds frames (size bytes in all) for s. frames is reused once
	// Add returns; the bytes it points to stay valid until Flush returns.
	Add(s S, frames [][]byte, size int)
	// Flush writes what Add held, as Sink.Write would have one by one,
	// and returns the frames and bytes that subscribers took.
	Flush() (frames, size int)
	// Close releases what the Gather holds (a ring).
	Close()
}

// gather returns the Sink's Gather for one worker or helper, or nil.
func (e *Engine[S, E]) gather() Gather[S] {
	if g, ok := e.sink.(Gatherer[S]); ok {
		return g.Gather()
	}
	return nil
}

// closeGather closes g if there is one.
func closeGather[S comparable](g Gather[S]) {
	if g != nil {
		g.Close()
	}
}
