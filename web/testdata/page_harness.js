// Runs the status page's script (argv[2]) in node with a minimal DOM, a
// fake fetch whose streams the scenario (argv[3], the body of an async
// function) feeds, storages, and timers the scenario runs. The scenario
// prints what the Go test checks with out(...).
"use strict";
const vm = require("vm"), fs = require("fs");

const mk = (tag) => {
  const e = {
    tag, children: [], childNodes: [], cells: [], dataset: {}, hidden: false, textContent: "", value: "", className: "",
    scrollTop: 0, clientHeight: 0, scrollHeight: 0, offsetWidth: 0, listeners: {}, classes: new Set(),
    get lastElementChild() { return this.children[this.children.length - 1] || null; },
    get firstChild() { return this.childNodes[0] || null; },
    appendChild(c) {
      this.childNodes.push(c);
      if (c.tag) this.children.push(c);
      if (c.tag === "td") this.cells.push(c);
      c.parent = this;
      return c;
    },
    insertBefore(c) { return this.appendChild(c); },
    prepend(c) { this.appendChild(c); }, after() {},
    remove() {
      const p = this.parent;
      if (!p) return;
      p.children = p.children.filter((x) => x !== this);
      p.childNodes = p.childNodes.filter((x) => x !== this);
    },
    replaceChildren(...c) { this.children = []; this.childNodes = []; for (const x of c) this.appendChild(x); },
    addEventListener(n, f) { (this.listeners[n] ||= []).push(f); },
    fire(n, ev) { for (const f of this.listeners[n] || []) f(ev || {}); },
    querySelector() { return mk("x"); },
    querySelectorAll(sel) { return sel === "tr.svc" ? this.children.filter((c) => c.classes.has("svc")) : []; },
    focus() {},
  };
  e.classList = {
    add: (c) => e.classes.add(c), remove: (c) => e.classes.delete(c), contains: (c) => e.classes.has(c),
    toggle: (c, on) => (on ? e.classes.add(c) : e.classes.delete(c)),
  };
  return e;
};
const byId = new Map();
const $ = (id) => { if (!byId.has(id)) byId.set(id, mk("div")); return byId.get(id); };
const text = (e) => (e.t !== undefined ? e.t : e.textContent + e.childNodes.map(text).join(""));

// storages, recording every write
const writes = [];
const storage = (name) => {
  const m = new Map();
  return {
    getItem: (k) => (m.has(k) ? m.get(k) : null),
    setItem: (k, v) => { writes.push(`${name}.set ${k}`); m.set(k, String(v)); },
    removeItem: (k) => { writes.push(`${name}.remove ${k}`); m.delete(k); },
  };
};

// fetch: every request is recorded; route(req) answers it (the scenario
// sets it); stream() makes an answer whose body the scenario feeds.
const requests = [];
const enc = new TextEncoder();
const json = (status, obj) => ({
  status, ok: status >= 200 && status < 300,
  headers: { get: (h) => (h.toLowerCase() === "content-type" ? "application/json" : null) },
  json: async () => obj,
});
function stream(req) {
  let ctl;
  const s = {
    req, closed: false, aborted: false,
    push(t) { ctl.enqueue(enc.encode(t)); },
    end() { if (!s.closed) { s.closed = true; ctl.close(); } },
  };
  const body = new ReadableStream({ start(c) { ctl = c; } });
  if (req.signal) req.signal.addEventListener("abort", () => {
    s.aborted = true;
    if (!s.closed) { s.closed = true; ctl.error(new Error("aborted")); }
  });
  s.res = {
    status: 200, ok: true, body,
    headers: { get: (h) => (h.toLowerCase() === "content-type" ? "text/event-stream" : null) },
    json: async () => { throw new Error("a stream"); },
  };
  return s;
}
const streams = [];
let route = () => json(404, { ok: false, error: "not found" });
async function fetch(url, opts = {}) {
  const req = { url, method: opts.method || "GET", headers: { ...(opts.headers || {}) }, signal: opts.signal };
  requests.push(req);
  await new Promise((r) => setImmediate(r)); // the scenario sets its route first
  const a = route(req);
  if (a && a.push) { streams.push(a); return a.res; }
  return a;
}

const timers = [];
const sandbox = {
  console: { log() {}, error() {}, warn() {} }, // the page logs nothing the test reads
  URLSearchParams, Map, Set, JSON, Promise, Date, Math, encodeURIComponent, decodeURIComponent,
  TextDecoder, AbortController, ReadableStream,
  document: { getElementById: $, createElement: (t) => mk(t), createTextNode: (t) => ({ t }), body: mk("body") },
  localStorage: storage("localStorage"), sessionStorage: storage("sessionStorage"),
  location: { hash: process.env.CFK_PAGE_HASH || "", pathname: "/" }, history: { replaceState() {} },
  fetch, setInterval() { return 1; }, clearTimeout() {},
  setTimeout(f, ms) { timers.push({ f, ms }); return timers.length; },
  requestAnimationFrame(f) { setImmediate(f); return 1; }, // a frame: once the scenario settles
};
sandbox.window = sandbox;
const ctx = vm.createContext(sandbox);
vm.runInContext(fs.readFileSync(process.argv[2], "utf8"), ctx);

// what the scenario may use
const settle = async () => { for (let i = 0; i < 30; i++) await new Promise((r) => setImmediate(r)); };
const runTimers = async () => {
  await settle();
  const due = timers.splice(0);
  for (const t of due) t.f();
  await settle();
};
Object.assign(sandbox, {
  h: { $, text, requests, streams, writes, json, stream, settle, runTimers, timers,
    setRoute: (f) => { route = f; }, out: (...a) => process.stdout.write(a.join(" ") + "\n") },
});
// the page's first requests are answered by the default route: the
// scenario sets its own before they run (main() awaits)
route = (req) => sandbox.h.route ? sandbox.h.route(req) : json(404, {});
vm.runInContext(`(async () => {\n${fs.readFileSync(process.argv[3], "utf8")}\n})().catch((e) => h.out("ERROR", e.stack))`, ctx);
