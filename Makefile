# cfk — see README.md. Every target works on a fresh machine with Go.
GO       ?= go
PKGS     := ./...
BIN      := bin
# Fuzzing budgets are counts of inputs, not durations: with a duration,
# go test fails a target ("context deadline exceeded") when its workers,
# slowed by a loaded machine, have not finished their warm-up in time.
FUZZTIME ?= 200000x

.PHONY: all build test test-portable test-browser screenshot bench bench-go reliability reliability-short lint fuzz-short fuzz-corpus run clean

all: build

# cfkd's one C call (getpwnam_r for a user's login shell, osproc/shell_cgo.go)
# makes go build link with gcc (external linking), whose layout maps about
# 3 MiB more of the binary at run time: cfkd's RSS with 1,000 services ran
# 28.5 MiB linked so, 25.8 MiB linked by Go's own linker, which links that
# call as well (Linux; elsewhere the build has no C).
LINKFLAGS ?= $(if $(filter linux,$(shell $(GO) env GOOS)),-ldflags=-linkmode=internal)

build:
	$(GO) build $(LINKFLAGS) -o $(BIN)/ ./cmd/...

# The whole suite, race detector on. Leaves no process behind (TestMain
# checks it in the packages that start processes). The fleet's in-process
# tests run several protoactor remotes in one process, which race on
# gRPC's process-wide logger: they run again without -race (integration/e2e
# runs fleets of real cfkd, one process each, under it).
test:
	$(GO) test -race -count=1 -timeout 10m $(PKGS)
	$(GO) test -count=1 -timeout 5m ./fleet/

# The status page in a real browser (integration/browser, build tag
# browser, so that make test leaves it out): headless Chromium driven
# through the DevTools protocol against a real cfkd --http. Skips when no
# Chromium is installed (apt-get install chromium); prints the paths of
# its screenshots.
test-browser:
	$(GO) test -tags browser -count=1 -timeout 5m -v ./integration/browser/

# Makes docs/web-status.png, the README's picture of the page, again.
screenshot:
	CFK_DOCS_SCREENSHOT=$(CURDIR)/docs/web-status.png $(GO) test -tags browser -count=1 -run TestScreenshotForDocs -v ./integration/browser/

# The whole suite again on the portable path (REFERENCE §11): Linux built
# with -tags cfkportable runs what macOS and FreeBSD run instead of
# Linux's own calls (a poll(2) output poller, pipe+FD_CLOEXEC under the
# fork lock, the /dev/fd walk, no pidfds), and the binaries the tests
# build get the tag too. CI runs it after make test.
test-portable:
	$(GO) test -race -count=1 -timeout 10m -tags cfkportable $(PKGS)

# The side-by-side table (integration/benchtable): cfkd against a bare
# fork/exec baseline measured in the same run (and supervisord, when it is
# installed, up to N = 1,000), for N = 200, 1,000 and 9,000 services: start,
# stop, memory, fds, idle CPU, status round trips, pipelined declarations,
# log throughput, restart storm. N = 9,000 needs a hard limit of open files
# of 20,000; the whole run takes 5 to 6 minutes on 2 cores. CI never runs
# it. The table goes to stdout and to bench-results.md; docs/BENCHMARKS.md
# keeps the latest figures. BENCHFLAGS=-quick is a smoke run;
# BENCHFLAGS='-n 200,1000' leaves out 9,000; BENCHFLAGS='-perf DIR' adds
# perf profiles of cfkd (integration/benchtable/doc.go).
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
# go vet runs on Linux, on the portable path (-tags cfkportable), and for
# each of CROSS: the binaries build there and every package vets clean
# (REFERENCE §11), but integration/benchtable, a Linux-only benchmark
# tool (it reads /proc).
CROSS      := darwin/arm64 darwin/amd64 freebsd/amd64
CROSS_SKIP := /integration/benchtable$$
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	@.ci/check-refs
	$(GO) vet $(PKGS)
	$(GO) vet -tags cfkportable $(PKGS)
	@set -e; pkgs=$$($(GO) list $(PKGS) | grep -v '$(CROSS_SKIP)'); for p in $(CROSS); do \
	  echo "GOOS=$${p%/*} GOARCH=$${p#*/}: go build ./cmd/... && go vet"; \
	  GOOS=$${p%/*} GOARCH=$${p#*/} $(GO) build ./cmd/...; \
	  GOOS=$${p%/*} GOARCH=$${p#*/} $(GO) vet $$pkgs; done
	$(GO) vet -tags browser ./integration/browser/

# Every parser's fuzz target, PACKAGE:TARGET. The corpus each one grew is
# kept in the repo (PACKAGE/testdata/fuzz/TARGET, run by every go test):
# `make fuzz-corpus` adds what the last fuzzing runs found.
FUZZ := ./messages:FuzzParse \
	./protocol:FuzzReadRequest ./protocol:FuzzReadReply \
	./proxywire:FuzzCommandLine ./proxywire:FuzzCommandRoundTrip \
	./proxywire:FuzzParseStatus ./proxywire:FuzzStatusRoundTrip ./proxywire:FuzzParseLogLine \
	./logconf:FuzzParse ./ctl:FuzzReplyLines ./osproc:FuzzPump ./osproc:FuzzForkRequest ./upgrade:FuzzDecode

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

# cfkd in the foreground on the demo config, in a throwaway home. The
# files are copied there: a clone made under umask 002 has files that the
# owner's group may write, which cfkd refuses unless that group is its
# owner's alone, as a user private group is (REFERENCE §7.2).
run: build
	@home=$$(mktemp -d /tmp/cfk-demo.XXXXXX); \
	cp examples/demo.conf examples/demo-log.config "$$home"/ && chmod 600 "$$home"/demo*; \
	echo "cfkd home: $$home (Ctrl-C stops cfkd and every service)"; \
	echo "in another terminal:  export CFKCTL_ADDRESS=unix:$$home/sock; $(CURDIR)/$(BIN)/cfkctl status"; \
	exec $(BIN)/cfkd --home "$$home" -l "$$home/demo-log.config" -c "$$home/demo.conf"

clean:
	rm -rf $(BIN) run
