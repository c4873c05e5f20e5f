package frame_test

import (
	"fmt"

	"github.com/fanout/fanout/frame"
)

// A server encodes a message once; a client's masked frame decodes in place.
func Example() {
	out := frame.AppendMessage(nil, frame.OpText, []byte("hello"))
	fmt.Printf("server frame: % x\n", out)

	// What a client sends: the same message, masked.
	mask := [4]byte{1, 2, 3, 4}
	in := frame.AppendHeader(nil, frame.Header{Fin: true, OpCode: frame.OpText, Masked: true, Mask: mask, Length: 5})
	in = append(in, "hello"...)
	frame.Cipher(in[len(in)-5:], mask, 0)

	var d frame.Decoder
	d.Init(frame.DecoderOptions{})
	defer d.Release()
	m, n, err := d.Decode(in)
	fmt.Println(m.Kind, m.OpCode, string(m.Payload), n == len(in), err)
	// Output:
	// server frame: 81 05 68 65 6c 6c 6f
	// data text hello true <nil>
}

func ExampleParseClosePayload() {
	code, reason, err := frame.ParseClosePayload([]byte{0x03, 0xe8, 'b', 'y', 'e'})
	fmt.Println(code, reason, err)

	_, _, err = frame.ParseClosePayload([]byte{0x03, 0xed}) // 1005 may not be sent
	fmt.Println(err)
	// Output:
	// 1000 bye <nil>
	// invalid close status code
}

func ExampleParseRequestHead() {
	req := "GET /app/app-key?protocol=7 HTTP/1.1\r\n" +
		"Host: 127.0.0.1:6001\r\n" +
		"Upgrade: websocket\r\n" +
		"Connection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
		"Sec-WebSocket-Version: 13\r\n\r\n"
	head, n, err := frame.ParseRequestHead([]byte(req), 0)
	fmt.Println(head.Method, head.Path, head.RawQuery, head.Upgrade, n == len(req), err)

	_, n, err = frame.ParseRequestHead([]byte(req[:20]), 0)
	fmt.Println("incomplete:", n, err)
	// Output:
	// GET /app/app-key protocol=7 true true <nil>
	// incomplete: 0 <nil>
}

func ExampleAppendClose() {
	fmt.Printf("% x\n", frame.AppendClose(nil, frame.StatusGoingAway, "bye"))
	// Output:
	// 88 05 03 e9 62 79 65
}
