// Command nbiohub serves the nbio peer hub for the load-harness
// comparison: nbiohub -addr 127.0.0.1:6103.
package main

import (
	"flag"
	"log"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/fanout/fanout/bench/peers/nbiohub"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:6103", "listen address")
	profile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	flag.Parse()
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			log.Fatal(err)
		}
		pprof.StartCPUProfile(f)
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	e := nbiohub.New(nbiohub.Options{Addr: *addr})
	if err := e.Start(); err != nil {
		log.Fatal(err)
	}
	log.Printf("nbiohub listening on %s", *addr)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	e.Stop()
}
