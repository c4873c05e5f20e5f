package broker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

// Position is where one event sits in its channel's stream: Epoch names
// the stream's generation (a random id, new whenever the stream is created
// afresh, e.g. after its TTL passed), Offset counts the events of that
// generation from 1. The zero Position means "none" (a channel without
// history, or a stream that holds no event yet has Offset 0 and a set
// Epoch).
type Position struct {
	Epoch  string `json:"epoch"`
	Offset uint64 `json:"offset"`
}

// String is the text form "<epoch>:<offset>" (an SSE event id, the
// history endpoint's since).
func (p Position) String() string { return p.Epoch + ":" + strconv.FormatUint(p.Offset, 10) }

// ParsePosition reads the text form "<epoch>:<offset>". An epoch (hex,
// see NewEpoch) has no colon, so "a:5:6" is malformed, not epoch "a:5".
func ParsePosition(s string) (Position, bool) {
	i := strings.IndexByte(s, ':')
	if i <= 0 {
		return Position{}, false
	}
	off, err := strconv.ParseUint(s[i+1:], 10, 64)
	if err != nil {
		return Position{}, false
	}
	return Position{Epoch: s[:i], Offset: off}, true
}

// IsZero reports whether p is the zero Position (no history).
func (p Position) IsZero() bool { return p.Epoch == "" }

// HistorySpec is how much of a channel's stream is kept: the last Size
// events, for TTL after the last event.
type HistorySpec struct {
	Size int
	TTL  time.Duration
}

// HistoryPolicy says which channels keep history. A Broker learns it
// from its Handler at Start, with a type assertion; a Handler without it
// means no channel keeps history. HistoryFor runs on every publish and
// must be cheap and never block.
type HistoryPolicy interface {
	HistoryFor(app, channel string) (HistorySpec, bool)
}

// HistoryQuery selects part of a stream. With Since set and of the
// current epoch, forward reads start after Since.Offset and backward
// reads before it; Since of another epoch (or zero) reads from the oldest
// kept event forward, or from the newest backward. Limit caps the events
// returned (0 means the whole kept stream).
type HistoryQuery struct {
	Since    Position
	Limit    int
	Backward bool
}

// HistoryPage is the answer to a HistoryQuery: the selected events (each
// with its Position), in the order asked, and the stream's current
// Position (the newest event's, or offset 0 of a fresh epoch). Oldest is
// the offset of the oldest kept event (0 when none is kept), so a caller
// can tell whether a gap is complete.
type HistoryPage struct {
	Events   []Publication
	Position Position
	Oldest   uint64
}

// History is implemented by brokers that keep channel streams (Memory and
// Redis); callers find it with a type assertion. ReadHistory creates an
// empty stream (a fresh epoch, kept for spec.TTL) when none exists, so
// the Position it returns is always one that later events continue.
type History interface {
	ReadHistory(ctx context.Context, app, channel string, spec HistorySpec, q HistoryQuery) (HistoryPage, error)
}

// Recovered reports whether page proves that every event after since is
// in page.Events: the same epoch, since not ahead of the stream, and the
// event right after since still kept (or nothing published since). The
// page must come from a forward query with Since set and no Limit.
func Recovered(since Position, page HistoryPage) bool {
	cur := page.Position
	if since.IsZero() || since.Epoch != cur.Epoch || since.Offset > cur.Offset {
		return false
	}
	if since.Offset == cur.Offset {
		return true
	}
	return len(page.Events) > 0 && page.Events[0].Position.Offset == since.Offset+1
}

// NewEpoch returns a fresh random epoch id (16 hex digits).
func NewEpoch() string {
	var r [8]byte
	_, _ = rand.Read(r[:])
	return hex.EncodeToString(r[:])
}
