# fanout — make targets. `make run` starts the server on embedded defaults;
# `make test` runs vet, the race detector and every test, interop included.

GO        ?= go
BIN       := bin/fanout
NODE_DIR  := test/interop
# The version scheme (tag vX.Y.Z, else VERSION-dev.N+gHASH) is in
# packaging/version.sh.
VERSION   ?= $(shell packaging/version.sh)
COMMIT    ?= $(shell git rev-parse --short=7 HEAD 2>/dev/null)
LDFLAGS   := -X main.version=$(VERSION) -X main.commit=$(COMMIT)

.PHONY: all build run test vet unit interop ktls-vm deps deps-apt deps-node bench bench-compare fuzz fuzz-long chaos soak clean release image

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/fanout

run: build
	./$(BIN) serve

## test: vet, then every Go test under the race detector (interop tests drive
## real pusher-js, the pusher SDK, ws, python websockets, Redis, Chromium,
## and nginx and HAProxy with the files of deploy/).
test: deps build vet
	$(GO) test -race -count=1 -timeout 30m ./...
	@# The memory budget is measured without the race detector, whose
	@# shadow memory would swamp the per-connection figure.
	$(GO) test -count=1 -run 'TestIdleConnectionMemory' -v ./pusher
	@# The TLS record layer's parsers, briefly; `make fuzz-long` runs them long.
	$(GO) test -run '^$$' -fuzz '^FuzzRecordOpen$$' -fuzztime 20s ./tlsconn
	$(GO) test -run '^$$' -fuzz '^FuzzRecordRoundTrip$$' -fuzztime 10s ./tlsconn
	@# Kernel TLS on a real kernel that has it, in qemu (about 25 s a boot).
	$(MAKE) ktls-vm

## ktls-vm: tlsconn's kernel TLS tests on Debian's cloud kernel booted in
## qemu (TCG, no KVM): once with a guest CPU that has AES-NI (crypto/tls
## negotiates AES-128-GCM) and once without (ChaCha20-Poly1305); every
## suite at the record-layer seam both times (test/ktls-vm/run.sh).
ktls-vm:
	timeout 900 test/ktls-vm/run.sh
	KTLS_VM_CPU=qemu64 timeout 900 test/ktls-vm/run.sh

vet:
	$(GO) vet ./...

## release: static linux/amd64 and linux/arm64 binaries, their .deb
## packages, the npm tarball of client/pusher-recovery and SHA256SUMS, in
## out/release (packaging/release.sh; the version scheme is in
## packaging/version.sh).
release:
	VERSION='$(VERSION)' COMMIT='$(COMMIT)' GO='$(GO)' packaging/release.sh out/release

## image: the container image (packaging/Containerfile) from the release
## binary for this machine's architecture; IMAGE_TOOL=docker to use docker.
image: release
	packaging/image.sh out/release

unit:
	$(GO) test -race -count=1 -short ./...

## deps: install what the tests need and a fresh machine lacks.
deps: deps-apt deps-node

deps-apt:
	@missing=""; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	command -v redis-sentinel >/dev/null || missing="$$missing redis-sentinel"; \
	/usr/bin/python3 -c 'import websockets' 2>/dev/null || missing="$$missing python3-websockets"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null || missing="$$missing nginx"; \
	[ -x /usr/sbin/haproxy ] || command -v haproxy >/dev/null || missing="$$missing haproxy"; \
	command -v curl >/dev/null || missing="$$missing curl"; \
	command -v openssl >/dev/null || missing="$$missing openssl"; \
	command -v prlimit >/dev/null || missing="$$missing util-linux"; \
	command -v systemd-analyze >/dev/null || missing="$$missing systemd"; \
	command -v podman >/dev/null || missing="$$missing podman"; \
	command -v promtool >/dev/null || missing="$$missing prometheus"; \
	[ -f /etc/ssl/certs/ca-certificates.crt ] || missing="$$missing ca-certificates"; \
	command -v qemu-system-x86_64 >/dev/null || missing="$$missing qemu-system-x86"; \
	dpkg-query -W -f='$${Status}' busybox-static 2>/dev/null | grep -q 'ok installed' || missing="$$missing busybox-static"; \
	command -v depmod >/dev/null || missing="$$missing kmod"; \
	command -v perf >/dev/null || missing="$$missing linux-perf"; \
	command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

deps-node:
	@if [ ! -d $(NODE_DIR)/node_modules ] || [ $(NODE_DIR)/package.json -nt $(NODE_DIR)/node_modules ]; then \
	  cd $(NODE_DIR) && npm install --no-audit --no-fund --loglevel=error && touch node_modules; \
	fi

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./frame ./pusher ./shard ./auth

bench-compare: build
	bash bench/compare.sh

fuzz:
	$(GO) test -run '^$$' -fuzz FuzzDecoder -fuzztime 30s ./frame

## fuzz-long: every fuzz target of the module for FUZZTIME each (default
## 10m). A finding is written to the package's testdata/fuzz/FuzzX/, where
## plain `go test` replays it from then on: commit it with the fix.
FUZZTIME ?= 10m
fuzz-long:
	@set -e; for f in $$(grep -rl --include='*_test.go' '^func Fuzz' . | sort); do \
	  for fn in $$(grep -o '^func Fuzz[A-Za-z0-9_]*' $$f | cut -d' ' -f2); do \
	    echo "== $$(dirname $$f) $$fn for $(FUZZTIME)"; \
	    $(GO) test -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZTIME) ./$$(dirname $$f); \
	  done; \
	done

## chaos: the fault-injection scenarios in full (internal/chaos; see
## RELIABILITY.md): their long variants (Redis Sentinel failover among
## them), Redis Cluster failover and the 15,000-client reconnect storm.
## `make test` runs the short ones.
chaos: deps
	FANOUT_CHAOS=1 $(GO) test -count=1 -timeout 60m -v ./internal/chaos

## soak: steady churn against one node for SOAK_DURATION (default 30m),
## sampling RSS, goroutines and descriptors every SOAK_SAMPLE (default 1m).
SOAK_DURATION ?= 30m
SOAK_SAMPLE   ?= 1m
soak:
	FANOUT_SOAK=1 FANOUT_SOAK_DURATION=$(SOAK_DURATION) FANOUT_SOAK_SAMPLE=$(SOAK_SAMPLE) \
	  $(GO) test -count=1 -timeout 0 -v -run TestSoak ./internal/chaos

clean:
	rm -rf bin out
