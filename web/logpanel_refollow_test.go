package web

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// REFERENCE §10.3: "an `end` event if cfkd ends the stream (a follower that
// does not keep up) ... A page that does not keep up holds at most 2,000
// lines or 1 MiB of cfkd's memory: its follow ends, and the page follows
// again." The page's handler of `end` only closes its EventSource (app.js,
// openDetail): the log panel of a page that fell behind once stays frozen,
// showing nothing new, until the row is closed and opened again.
//
// The page's script is run in node with a minimal DOM, fetch and
// EventSource; the test skips without node.
func TestLogPanelFollowsAgainAfterEnd(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("no node in PATH")
	}
	app, err := filepath.Abs("static/app.js")
	if err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(t.TempDir(), "run.js")
	if err := os.WriteFile(script, []byte(`
const vm = require("vm"), fs = require("fs");
const mk = () => {
  const e = {
    children: [], childNodes: [], cells: [], dataset: {}, hidden: false, textContent: "", value: "",
    scrollTop: 0, clientHeight: 0, scrollHeight: 0,
    classList: { add() {}, remove() {}, contains() { return false; }, toggle() {} },
    appendChild(c) { this.childNodes.push(c); return c; }, prepend() {}, after() {}, remove() {},
    replaceChildren() {}, addEventListener() {}, querySelector() { return mk(); },
    querySelectorAll() { return []; },
  };
  return e;
};
const byId = new Map();
const sources = [];
class EventSource {
  constructor(url) { this.url = url; this.listeners = {}; this.closed = false; this.readyState = 1; sources.push(this); }
  addEventListener(n, f) { (this.listeners[n] ||= []).push(f); }
  close() { this.closed = true; this.readyState = 2; }
}
EventSource.CLOSED = 2;
const timers = [];
const sandbox = {
  console, EventSource, URLSearchParams, Map, Set, JSON, Promise, Date, Math, encodeURIComponent, decodeURIComponent,
  document: {
    getElementById(id) { if (!byId.has(id)) byId.set(id, mk()); return byId.get(id); },
    createElement() { return mk(); }, createTextNode(t) { return { t }; }, body: mk(),
  },
  localStorage: { getItem() { return null; }, setItem() {}, removeItem() {} },
  location: { hash: "" },
  fetch: async (url) => ({ status: 200, ok: true, json: async () => ({ version: "t", token: false, logs: true, live: true }) }),
  setInterval() { return 1; }, clearTimeout() {},
  setTimeout(f, ms) { timers.push(f); return timers.length; },
};
sandbox.window = sandbox;
const ctx = vm.createContext(sandbox);
vm.runInContext(fs.readFileSync(process.argv[2], "utf8"), ctx);
setImmediate(() => setImmediate(() => {
  vm.runInContext(`+"`"+`
    const tr = document.createElement("tr");
    tr.cells.length = 8;
    page.rows.set("a", tr);
    page.services.set("a", { name: "a", state: "running", tags: [] });
    openDetail("a");
  `+"`"+`, ctx);
  const follows = () => sources.filter((s) => s.url.includes("/api/services/a/log/follow"));
  const first = follows()[0];
  if (!first) { console.log("NO_FOLLOW"); return; }
  for (const f of first.listeners["end"] || []) f({ data: JSON.stringify({ reason: "the log source ended the stream" }) });
  // let the page do what it does after an end: its timers, then a moment
  for (let i = 0; i < 10 && timers.length; i++) timers.shift()();
  setTimeout(() => {}, 0);
  const open = follows().filter((s) => !s.closed).length;
  console.log(open > 0 ? "FOLLOWS_AGAIN" : "FROZEN: " + follows().length + " follow stream(s), all closed");
}));
`), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	out, err := exec.CommandContext(ctx, node, script, app).CombinedOutput()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, out)
	}
	got := strings.TrimSpace(string(out))
	if got != "FOLLOWS_AGAIN" {
		t.Errorf("after the log follow's end event the page does not follow again: %s", got)
	}
}
