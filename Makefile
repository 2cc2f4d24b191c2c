# cfk — see README.md. Every target works on a fresh machine with Go.
GO       ?= go
PKGS     := ./...
BIN      := bin
FUZZTIME ?= 8s

.PHONY: all build test bench lint fuzz-short run clean

all: build

build:
	$(GO) build -o $(BIN)/ ./cmd/...

# The whole suite, race detector on. Leaves no process behind (TestMain
# checks it in the packages that start processes).
test:
	$(GO) test -race -count=1 -timeout 10m $(PKGS)

# Benchmarks against plain baselines measured in the same run:
#  BenchmarkStart  N services started through the actor tree vs a bare
#                  fork/exec loop and the bare launcher (CFK_BENCH_N, 1000);
#  BenchmarkDaemon the real cfkd with N running services: status round
#                  trip p50/p99 vs a plain socket server, RSS, PSS, fds,
#                  idle CPU over CFK_IDLE_SECS (20).
bench:
	$(GO) test -run '^$$' -bench BenchmarkStart -benchtime 3x -timeout 20m ./integration/
	$(GO) test -run '^$$' -bench BenchmarkDaemon -benchtime 1x -timeout 20m ./integration/e2e/

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

# Every fuzz target for a bounded time (CI runs this).
fuzz-short:
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 2s ./messages/
	$(GO) test -run '^$$' -fuzz '^FuzzReadRequest$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 2s ./protocol/
	$(GO) test -run '^$$' -fuzz '^FuzzReadReply$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 2s ./protocol/
	$(GO) test -run '^$$' -fuzz '^FuzzParseProxyStatus$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 2s ./messages/
	$(GO) test -run '^$$' -fuzz '^FuzzParseProxyLog$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 2s ./messages/
	$(GO) test -run '^$$' -fuzz '^FuzzCommandLine$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 2s ./proxyproc/

# cfkd in the foreground on the demo config, in a throwaway home.
run: build
	@home=$$(mktemp -d /tmp/cfk-demo.XXXXXX); \
	echo "cfkd home: $$home (Ctrl-C stops cfkd and every service)"; \
	echo "in another terminal:  export CFKCTL_ADDRESS=unix:$$home/sock; $(CURDIR)/$(BIN)/cfkctl status"; \
	exec $(BIN)/cfkd --home "$$home" -l examples/demo-log.config -c examples/demo.conf

clean:
	rm -rf $(BIN) run
