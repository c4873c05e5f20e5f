package protocol_test

import (
	"fmt"

	"github.com/fanout/fanout/protocol"
)

func ExampleKindOf() {
	for _, name := range []string{"prices", "private-encrypted-cache-doc", "presence-room", "#server-to-user-42"} {
		k := protocol.KindOf(name)
		fmt.Printf("%s: %v, auth %v, client events %v, listed %v\n", name, k, k.NeedsAuth(), k.ClientEvents(), k.Listed())
	}
	// Output:
	// prices: public, auth false, client events false, listed true
	// private-encrypted-cache-doc: private-encrypted cache, auth true, client events false, listed true
	// presence-room: presence, auth true, client events true, listed true
	// #server-to-user-42: server-to-user, auth false, client events false, listed false
}

func ExampleAppendError() {
	fmt.Println(string(protocol.AppendError(nil, protocol.CodeNotAllowed, "client events are not enabled for this app")))
	fmt.Println(string(protocol.AppendError(nil, protocol.CodeNull, protocol.ExistingSubscription("presence-room"))))
	// Output:
	// {"event":"pusher:error","data":{"message":"client events are not enabled for this app","code":4303}}
	// {"event":"pusher:error","data":{"code":null,"message":"Existing subscription to channel presence-room"}}
}

func ExampleParseSocketID() {
	id, ok := protocol.ParseSocketID("7.42")
	fmt.Println(id>>32, id&0xffffffff, ok, string(protocol.AppendSocketID(nil, id)))
	// Output: 7 42 true 7.42
}
