# fanout — make targets. `make run` starts the server on embedded defaults;
# `make test` runs vet, the race detector and every test, interop included.

GO        ?= go
BIN       := bin/fanout
NODE_DIR  := test/interop
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT    ?= $(shell git rev-parse --short HEAD 2>/dev/null)
LDFLAGS   := -X main.version=$(VERSION) -X main.commit=$(COMMIT)

.PHONY: all build run test vet unit interop deps deps-apt deps-node bench bench-compare fuzz clean

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

vet:
	$(GO) vet ./...

unit:
	$(GO) test -race -count=1 -short ./...

## deps: install what the tests need and a fresh machine lacks.
deps: deps-apt deps-node

deps-apt:
	@missing=""; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	/usr/bin/python3 -c 'import websockets' 2>/dev/null || missing="$$missing python3-websockets"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null || missing="$$missing nginx"; \
	[ -x /usr/sbin/haproxy ] || command -v haproxy >/dev/null || missing="$$missing haproxy"; \
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

clean:
	rm -rf bin out
