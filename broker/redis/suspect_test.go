package redis

import (
	"testing"
	"time"

	"github.com/fanout/fanout/broker"
)

// A refusal by the listener check makes its channel suspect at once,
// before the pipeline gives up its in-flight place and before the
// refusal is explained: a publication sent meanwhile runs as the script
// (anyHeldUp), which refuses before it publishes, instead of a plain
// PUBLISH a listening node may miss again. The suspicion does not count
// as an explanation (explain still looks the channel up), gives way to
// the holdup found, and never replaces a fresh one.
func TestRefusalMakesChannelSuspectAtOnce(t *testing.T) {
	b := &Broker{}
	b.opts.Prefix, b.opts.Timeout = "fanout", time.Second
	p := &broker.Publication{App: "app", Channel: "news"}
	pp := []plainPub{{p: p, lkey: b.listenersOf(p.App, p.Channel)}}
	lkey := pp[0].lkey
	if b.anyHeldUp(pp) {
		t.Fatal("held up before any refusal")
	}
	var s settling
	_ = s.refuse(b, p)
	if !b.anyHeldUp(pp) {
		t.Fatal("not held up right after its refusal: the next publication would go out as a plain PUBLISH")
	}
	if _, ok := b.holdUps.get(lkey); ok {
		t.Fatal("a suspect channel counts as explained: explain would not look it up")
	}
	now := time.Now()
	b.holdUps.put(lkey, holdUp{kind: holdDisconnected, node: "n1", at: now, until: now.Add(time.Minute)})
	if h, ok := b.holdUps.get(lkey); !ok || h.node != "n1" {
		t.Fatalf("the holdup found did not replace the suspicion: %+v %v", h, ok)
	}
	_ = s.refuse(b, p) // refused again while the holdup is fresh
	if h, ok := b.holdUps.get(lkey); !ok || h.node != "n1" {
		t.Fatalf("a later refusal replaced a fresh holdup with a suspicion: %+v %v", h, ok)
	}
	if other := (&broker.Publication{App: "app", Channel: "sport"}); b.anyHeldUp([]plainPub{{p: other, lkey: b.listenersOf(other.App, other.Channel)}}) {
		t.Fatal("another channel turned suspect")
	}
}
