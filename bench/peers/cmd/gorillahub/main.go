// Command gorillahub serves the gorilla/websocket peer hub for the
// load-harness comparison: gorillahub -addr 127.0.0.1:6102.
package main

import (
	"flag"
	"log"
	"net/http"

	"github.com/fanout/fanout/bench/peers/gorillahub"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:6102", "listen address")
	flag.Parse()
	log.Printf("gorillahub listening on %s", *addr)
	log.Fatal(http.ListenAndServe(*addr, gorillahub.New(gorillahub.Options{})))
}
