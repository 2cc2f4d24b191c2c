# cfk — see README.md. Every target works on a fresh machine with Go.
GO       ?= go
PKGS     := ./...
BIN      := bin
# Fuzzing budgets are counts of inputs, not durations: with a duration,
# go test fails a target ("context deadline exceeded") when its workers,
# slowed by a loaded machine, have not finished their warm-up in time.
FUZZTIME ?= 200000x

.PHONY: all build test bench bench-go reliability reliability-short lint fuzz-short fuzz-corpus run clean

all: build

build:
	$(GO) build -o $(BIN)/ ./cmd/...

# The whole suite, race detector on. Leaves no process behind (TestMain
# checks it in the packages that start processes). The fleet's in-process
# tests run several protoactor remotes in one process, which race on
# gRPC's process-wide logger: they run again without -race (integration/e2e
# runs fleets of real cfkd, one process each, under it).
test:
	$(GO) test -race -count=1 -timeout 10m $(PKGS)
	$(GO) test -count=1 -timeout 5m ./fleet/

# The side-by-side table (integration/benchtable): cfkd against a bare
# fork/exec baseline measured in the same run (and supervisord, when it is
# installed), for N = 200 and 1,000 services: start, stop, memory, fds,
# idle CPU, status round trips, log throughput, restart storm. The table
# goes to stdout and to bench-results.md; docs/BENCHMARKS.md keeps the
# latest figures. BENCHFLAGS=-quick is a smoke run.
BENCHFLAGS ?=
bench: build
	$(GO) run ./integration/benchtable -cfkd $(BIN)/cfkd -cfkctl $(BIN)/cfkctl -out bench-results.md $(BENCHFLAGS)

# The in-process go test benchmarks, each against a baseline of the same run:
#  BenchmarkStart         N services started through the actor tree vs a bare
#                         fork/exec loop and the bare launcher (CFK_BENCH_N);
#  BenchmarkLogThroughput a service's lines through the tree and the log
#                         router to a file vs the same program writing to a file;
#  BenchmarkDaemon        the real cfkd with N running services: status round
#                         trip vs a plain socket server, RSS, PSS, fds, idle CPU.
bench-go:
	$(GO) test -run '^$$' -bench 'BenchmarkStart|BenchmarkLogThroughput' -benchtime 3x -timeout 20m ./integration/
	$(GO) test -run '^$$' -bench BenchmarkDaemon -benchtime 1x -timeout 20m ./integration/e2e/

# The reliability suite at full size: churn (1,000 start/stop cycles,
# 10,000 short-lived processes), 200 concurrent admin clients for 30 s,
# every fault case, all with the race detector; the churn again without it
# (its RSS bound is only checked there: the race detector's memory only
# grows); then every fuzz target for RELFUZZTIME inputs. make test runs the same
# tests at bounded sizes, and CI adds reliability-short.
RELFUZZTIME ?= 3000000x
reliability:
	@CFK_RELIABILITY=full $(GO) test -race -count=1 -timeout 30m -v -run 'TestChurn|TestAdminLoad|TestFault' ./integration/e2e/ > reliability-results.txt 2>&1; st=$$?; \
	  CFK_RELIABILITY=full $(GO) test -count=1 -timeout 30m -v -run 'TestChurn' ./integration/e2e/ >> reliability-results.txt 2>&1 || st=1; \
	  grep -E '^(--- |    reliability_|ok|FAIL|PASS)' reliability-results.txt; echo "(whole log: reliability-results.txt)"; exit $$st
	$(MAKE) fuzz-short FUZZTIME=$(RELFUZZTIME)

# The churn tests at bounded sizes without the race detector, where their
# RSS bound is checked (CI runs it after make test).
reliability-short:
	$(GO) test -count=1 -timeout 10m -run 'TestChurn' ./integration/e2e/

# gofmt, go vet, and the citations: every `REFERENCE §N.M` in the code
# and the docs names a section of docs/REFERENCE.md (.ci/check-refs).
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	@.ci/check-refs
	$(GO) vet $(PKGS)

# Every parser's fuzz target, PACKAGE:TARGET. The corpus each one grew is
# kept in the repo (PACKAGE/testdata/fuzz/TARGET, run by every go test):
# `make fuzz-corpus` adds what the last fuzzing runs found.
FUZZ := ./messages:FuzzParse \
	./protocol:FuzzReadRequest ./protocol:FuzzReadReply \
	./proxywire:FuzzCommandLine ./proxywire:FuzzCommandRoundTrip \
	./proxywire:FuzzParseStatus ./proxywire:FuzzStatusRoundTrip ./proxywire:FuzzParseLogLine \
	./logconf:FuzzParse ./ctl:FuzzReplyLines ./osproc:FuzzPump

# The reply-line codecs (messages/line*.go): ParseX(x.Format()) == x.
FUZZ += ./messages:FuzzStatusLineRoundTrip ./messages:FuzzDescLineRoundTrip \
	./messages:FuzzPidsLineRoundTrip ./messages:FuzzSocketLineRoundTrip ./messages:FuzzServiceInfoRoundTrip \
	./messages:FuzzChangeRoundTrip ./messages:FuzzEventRoundTrip

# Every fuzz target for FUZZTIME inputs (CI runs this).
fuzz-short:
	@set -e; for t in $(FUZZ); do pkg=$${t%%:*}; fn=$${t##*:}; \
	  echo "fuzz $$pkg $$fn ($(FUZZTIME))"; \
	  $(GO) test -run '^$$' -fuzz "^$$fn\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 2s $$pkg; done

# Copies the inputs the fuzzing runs found interesting (Go's fuzz cache)
# into each target's corpus in the repo.
fuzz-corpus:
	@set -e; cache=$$($(GO) env GOCACHE)/fuzz/github.com/cfk/cfk; \
	for t in $(FUZZ); do pkg=$${t%%:*}; fn=$${t##*:}; src=$$cache/$${pkg#./}/$$fn; \
	  [ -d $$src ] || continue; mkdir -p $$pkg/testdata/fuzz/$$fn; cp -n $$src/* $$pkg/testdata/fuzz/$$fn/; \
	  echo "$$pkg/testdata/fuzz/$$fn: $$(ls $$pkg/testdata/fuzz/$$fn | wc -l) inputs"; done

# cfkd in the foreground on the demo config, in a throwaway home.
run: build
	@home=$$(mktemp -d /tmp/cfk-demo.XXXXXX); \
	echo "cfkd home: $$home (Ctrl-C stops cfkd and every service)"; \
	echo "in another terminal:  export CFKCTL_ADDRESS=unix:$$home/sock; $(CURDIR)/$(BIN)/cfkctl status"; \
	exec $(BIN)/cfkd --home "$$home" -l examples/demo-log.config -c examples/demo.conf

clean:
	rm -rf $(BIN) run
