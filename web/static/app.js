// cfkd's status page (REFERENCE §10.1). No build step, no dependency.
// The whole state comes from one server-sent events stream, /api/events:
// a snapshot when it opens, then the changes as cfkd makes them. Nothing
// here asks the server on a timer; the only timer redraws the uptimes.
// The page itself holds no data: every request for some carries the token
// when the page has one (Authorization: Bearer, the streams too: they are
// read with fetch, as EventSource cannot send a header), and a read
// refused asks for one.
"use strict";

const UP = new Set(["starting", "running", "stopping"]);
const STATES = ["running", "starting", "stopping", "backoff", "fail", "fatal", "stopped"];
const TOKEN_KEY = "cfkd-token";
const MAX_RECENT = 30, MAX_LOG_LINES = 500;

const $ = (id) => document.getElementById(id);
const el = (tag, cls, text) => {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
};

const page = {
  config: { token: false, logs: false },
  services: new Map(), // name → inspect record (REFERENCE §1.6)
  rows: new Map(),     // name → <tr>
  proxies: new Map(),  // name → {up, pid}
  token: "",           // the tab's (sessionStorage), sent in a header only
  authed: false,       // the token acts (operate or admin)
  open: null,          // {name, detail row, log stream}
  live: null,          // the event stream
  gen: 0,              // the current start (a start begun since wins)
  flashing: new Set(), // rows whose flash restarts at the next frame
  flashFrame: 0,       // its requestAnimationFrame, 0 when none
};

// ---- rendering ------------------------------------------------------------

function fmtDuration(secs) {
  secs = Math.max(0, Math.floor(secs));
  const d = Math.floor(secs / 86400), h = Math.floor(secs / 3600) % 24, m = Math.floor(secs / 60) % 60, s = secs % 60;
  if (d) return `${d}d ${h}h`;
  if (h) return `${h}h ${m}m`;
  if (m) return `${m}m ${s}s`;
  return `${s}s`;
}

function uptime(svc) {
  if (!UP.has(svc.state) || !svc.start_time) return "";
  return fmtDuration((Date.now() - Date.parse(svc.start_time)) / 1000);
}

function proxyText(svc) {
  if (!svc.proxy) return "";
  return svc.proxy_up ? svc.proxy : svc.proxy + "!";
}

function makeRow(name) {
  const tr = el("tr", "svc");
  tr.dataset.name = name;
  for (const cls of ["state", "name", "pid num", "uptime num", "restarts num", "tags", "proxy", "actions"]) {
    tr.appendChild(el("td", cls));
  }
  tr.addEventListener("click", (ev) => {
    const t = ev.target;
    if (t.dataset.action) return act(name, t.dataset.action, t);
    if (t.classList.contains("tag")) return setFilter("@" + t.textContent);
    toggleDetail(name);
  });
  return tr;
}

function fillRow(tr, svc) {
  const c = tr.cells;
  const badge = el("span", "badge " + svc.state, svc.state);
  c[0].replaceChildren(badge);
  c[0].dataset.state = svc.state;
  const name = [el("span", "", svc.name)];
  if (svc.state === "fail" && svc.fail_reason) name.push(el("span", "reason", svc.fail_reason));
  else if (svc.state === "backoff" && svc.next_start) name.push(el("span", "reason", (svc.last_error ? svc.last_error + "; " : "") + "retry at " + new Date(svc.next_start).toLocaleTimeString()));
  else if (svc.state === "fatal" && svc.last_error) name.push(el("span", "reason", svc.last_error));
  c[1].replaceChildren(...name);
  c[2].textContent = svc.pid || "";
  c[3].textContent = uptime(svc);
  c[4].textContent = svc.restarts || 0;
  c[5].replaceChildren(...(svc.tags || []).map((t) => el("span", "tag", t)));
  c[6].textContent = proxyText(svc);
  c[6].className = "proxy" + (svc.proxy && !svc.proxy_up ? " proxy-down" : "");
  // the buttons exist only with a token cfkd accepted (REFERENCE §10.1)
  if (!page.authed) c[7].replaceChildren();
  else if (!c[7].firstChild) {
    for (const verb of ["start", "stop", "restart"]) {
      const b = el("button", "", verb);
      b.type = "button";
      b.dataset.action = verb;
      c[7].appendChild(b);
    }
  }
  const up = UP.has(svc.state);
  for (const b of c[7].querySelectorAll("button")) {
    b.disabled = (b.dataset.action === "start" && up) || (b.dataset.action === "stop" && !up && svc.state !== "backoff");
  }
  tr.hidden = !matches(svc);
}

function upsert(svc) {
  page.services.set(svc.name, svc);
  let tr = page.rows.get(svc.name);
  if (!tr) {
    tr = makeRow(svc.name);
    page.rows.set(svc.name, tr);
    insertSorted(tr, svc.name);
  }
  fillRow(tr, svc);
  if (page.open && page.open.name === svc.name) fillDetail(svc);
  return tr;
}

// flash restarts the flash animation of the rows of an update. Restarting
// an animation takes a layout (reading offsetWidth lays the table out
// again), so the rows of the updates that come before the next frame are
// flashed together then: one layout a frame, not one per row (which at
// 1,000 rows held the page for seconds after a "stop all") nor one per
// update (a burst of restarts of 1,000 services, thousands of small
// updates, held it for minutes, its rows stale, while each laid out the
// whole table).
function flash(rows) {
  for (const tr of rows) page.flashing.add(tr);
  if (page.flashing.size && !page.flashFrame) page.flashFrame = requestAnimationFrame(flashNow);
}

function flashNow() {
  const rows = [...page.flashing].filter((tr) => tr.isConnected);
  page.flashing.clear();
  page.flashFrame = 0;
  for (const tr of rows) tr.classList.remove("flash");
  if (rows.length) void $("rows").offsetWidth;
  for (const tr of rows) tr.classList.add("flash");
}

function insertSorted(tr, name) {
  const rows = $("rows");
  // a snapshot comes in name order: each row goes last
  const last = rows.lastElementChild;
  const lastName = last && (last.dataset.name ?? last.previousElementSibling?.dataset.name);
  if (!last || lastName < name) {
    rows.appendChild(tr);
    return;
  }
  for (const other of rows.querySelectorAll("tr.svc")) {
    if (other.dataset.name > name) {
      rows.insertBefore(tr, other);
      return;
    }
  }
  rows.appendChild(tr);
}

function remove(name) {
  if (page.open && page.open.name === name) closeDetail();
  page.services.delete(name);
  const tr = page.rows.get(name);
  if (tr) tr.remove();
  page.rows.delete(name);
}

function replaceAll(services, proxies) {
  const keep = new Set(services.map((s) => s.name));
  for (const name of [...page.rows.keys()]) if (!keep.has(name)) remove(name);
  page.proxies = new Map(proxies.map((p) => [p.name, p]));
  for (const svc of services) upsert(svc);
  summarize();
}

function summarize() {
  const counts = {};
  for (const svc of page.services.values()) counts[svc.state] = (counts[svc.state] || 0) + 1;
  $("summary").replaceChildren(...STATES.filter((s) => counts[s]).map((s) => {
    const chip = el("span", "chip", s);
    chip.appendChild(el("b", "", counts[s]));
    return chip;
  }));
  let shown = 0;
  for (const tr of page.rows.values()) if (!tr.hidden) shown++;
  $("shown").textContent = page.services.size ? `${shown} of ${page.services.size} services` : "";
  $("empty").hidden = page.services.size > 0;
}

function tickUptimes() {
  for (const [name, tr] of page.rows) {
    if (!tr.hidden) tr.cells[3].textContent = uptime(page.services.get(name));
  }
}

// ---- filter -----------------------------------------------------------------

function matches(svc) {
  const words = $("filter").value.trim().toLowerCase().split(/\s+/).filter(Boolean);
  return words.every((w) => w.startsWith("@")
    ? (svc.tags || []).some((t) => t.toLowerCase() === w.slice(1))
    : svc.name.toLowerCase().includes(w));
}

function applyFilter() {
  for (const [name, tr] of page.rows) tr.hidden = !matches(page.services.get(name));
  if (page.open && page.rows.get(page.open.name).hidden) closeDetail();
  history.replaceState(null, "", $("filter").value ? "#" + encodeURIComponent($("filter").value) : location.pathname);
  summarize();
}

function setFilter(text) {
  $("filter").value = text;
  applyFilter();
}

// ---- detail and log ---------------------------------------------------------

function toggleDetail(name) {
  const same = page.open && page.open.name === name;
  closeDetail();
  if (!same) openDetail(name);
}

function closeDetail() {
  if (!page.open) return;
  if (page.open.stream) page.open.stream.close();
  page.open.row.remove();
  page.rows.get(page.open.name)?.classList.remove("open");
  page.open = null;
}

function openDetail(name) {
  const tr = page.rows.get(name);
  const row = el("tr", "detail");
  const td = el("td");
  td.colSpan = tr.cells.length;
  row.appendChild(td);
  td.appendChild(el("dl"));
  tr.after(row);
  tr.classList.add("open");
  page.open = { name, row, stream: null };
  fillDetail(page.services.get(name));
  if (!page.config.logs) {
    td.appendChild(el("p", "nolog", "The log tail is not available in this cfkd."));
    return;
  }
  const pre = el("pre", "log");
  td.appendChild(pre);
  followLog(name, pre);
}

// followLog streams the open row's log into pre. When cfkd ends the
// stream (the page did not keep up, REFERENCE §10.3), it follows again a
// second later, its first batch (the last lines) replacing what pre shows.
// A stream that drops (the network, cfkd restarting) is followed again
// the same way, after the delay cfkd's retry field gives.
function followLog(name, pre) {
  const open = page.open;
  let first = true;
  const again = (ms) => setTimeout(() => {
    if (page.open === open && open.stream === stream) followLog(name, pre);
  }, ms);
  const stream = openSSE(`/api/services/${encodeURIComponent(name)}/log/follow?n=50`, {
    lines(data) {
      const stick = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
      if (first) pre.replaceChildren();
      first = false;
      for (const line of JSON.parse(data).lines) pre.appendChild(document.createTextNode(line + "\n"));
      while (pre.childNodes.length > MAX_LOG_LINES) pre.firstChild.remove();
      if (stick) pre.scrollTop = pre.scrollHeight;
    },
    end() {
      stream.close();
      again(1000);
    },
  }, {
    drop: () => again(stream.retry),
    refused(status, msg) {
      pre.replaceChildren(document.createTextNode(msg + "\n"));
      if (status === 401 || status === 403) readRefused(status, msg);
    },
  });
  open.stream = stream;
}

function fillDetail(svc) {
  const dl = page.open.row.querySelector("dl");
  const items = [
    ["command", svc.cmd], ["running", svc.running_cmd], ["description", svc.desc],
    ["started", svc.start_time && new Date(svc.start_time).toLocaleString()],
    ["stopped", svc.stop_time && new Date(svc.stop_time).toLocaleString()],
    ["fail reason", svc.fail_reason], ["last error", svc.last_error], ["last exit", svc.last_exit && `${svc.last_exit} at ${new Date(svc.last_exit_time).toLocaleString()}`],
    ["failed starts", svc.retries || ""], ["crashes in a row", svc.crashes || ""],
    ["next start", svc.next_start && new Date(svc.next_start).toLocaleTimeString()],
    ["requires", (svc.requires || []).join(", ")], ["notify status", svc.notify_status],
  ];
  dl.replaceChildren();
  for (const [k, v] of items) {
    if (!v) continue;
    dl.appendChild(el("dt", "", k));
    dl.appendChild(el("dd", "", String(v)));
  }
}

// ---- recent changes -----------------------------------------------------------

function addRecent(t) {
  const li = el("li");
  const time = el("time", "", new Date(t.time).toLocaleTimeString());
  time.dateTime = t.time;
  li.appendChild(time);
  const who = t.service || "proxy " + t.proxy;
  li.appendChild(document.createTextNode(`${who} ${t.from} → ${t.to}` + (t.reason ? ` (${t.reason})` : "")));
  const list = $("recent");
  list.prepend(li);
  while (list.children.length > MAX_RECENT) list.lastChild.remove();
}

// ---- requests and streams -------------------------------------------------------

// The token lives in the tab's sessionStorage (it goes with the tab) and
// goes to cfkd in an Authorization header only: never in a URL, never in
// the console.
function loadToken() {
  try {
    localStorage.removeItem(TOKEN_KEY); // where the pages before this one kept it
    return sessionStorage.getItem(TOKEN_KEY) || "";
  } catch {
    return "";
  }
}

function keepToken(token) {
  page.token = token;
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch { /* storage off: the token lasts as long as the page */ }
}

// api is fetch with the page's token, if it has one.
function api(url, opts = {}) {
  const headers = { ...(opts.headers || {}) };
  if (page.token) headers.Authorization = "Bearer " + page.token;
  return fetch(url, { ...opts, headers, cache: "no-store" });
}

async function errorOf(r) {
  const body = await r.json().catch(() => ({}));
  return body.error || `refused (${r.status})`;
}

// openSSE reads a server-sent events stream with fetch (EventSource sends
// no Authorization header). It calls events[NAME](data) for each event,
// on.open() once the stream is answered, and when it stops, either
// on.refused(status, message) (an answer that is not a stream: 401, 403,
// 404, 503) or on.drop() (the stream ended, or the network failed: the
// caller follows again after stream.retry ms, which cfkd's retry field
// sets, as EventSource would). Nothing is called after close().
function openSSE(url, events, on) {
  const ctl = new AbortController();
  const stream = { retry: 1000, closed: false, close() { this.closed = true; ctl.abort(); } };
  const call = (f, ...args) => { if (!stream.closed && f) f(...args); };
  (async () => {
    let r;
    try {
      r = await api(url, { signal: ctl.signal, headers: { Accept: "text/event-stream" } });
    } catch {
      return call(on.drop);
    }
    if (!r.ok || !(r.headers.get("Content-Type") || "").startsWith("text/event-stream")) {
      const msg = await errorOf(r);
      return call(on.refused, r.status, msg);
    }
    call(on.open);
    const reader = r.body.getReader(), dec = new TextDecoder();
    let name = "", data = [];
    const line = (l) => {
      if (l === "") { // the end of an event
        if (data.length) call(events[name || "message"], data.join("\n"));
        name = "";
        data = [];
        return;
      }
      if (l[0] === ":") return; // a comment
      const k = l.indexOf(":");
      const field = k < 0 ? l : l.slice(0, k);
      let value = k < 0 ? "" : l.slice(k + 1);
      if (value[0] === " ") value = value.slice(1);
      if (field === "event") name = value;
      else if (field === "data") data.push(value);
      else if (field === "retry" && /^[0-9]+$/.test(value)) stream.retry = +value;
    };
    // lines end with CRLF, LF or CR (a CR at the end of a chunk may be
    // half a CRLF); a line comes in pieces, joined once it ends (a
    // snapshot of thousands of services is one line of megabytes)
    let pieces = [], skipLF = false;
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        const t = dec.decode(value, { stream: true });
        let pos = 0;
        for (let k = 0; k < t.length && !stream.closed; k++) {
          const c = t.charCodeAt(k);
          if (skipLF) {
            skipLF = false;
            if (c === 10) { pos = k + 1; continue; }
          }
          if (c !== 10 && c !== 13) continue;
          pieces.push(t.slice(pos, k));
          line(pieces.join(""));
          pieces = [];
          skipLF = c === 13;
          pos = k + 1;
        }
        if (pos < t.length) pieces.push(t.slice(pos));
      }
    } catch { /* the network, or close() */ }
    call(on.drop);
  })();
  return stream;
}

// ---- live stream --------------------------------------------------------------

// retryAfter is the pause before a new stream after an answer that was
// not one (503: too many streams open), doubled each time up to 30 s.
let retryAfter = 1000;

function connect() {
  const live = $("live");
  const down = (text) => { live.dataset.state = "down"; live.textContent = text; };
  if (page.live) page.live.close();
  const again = (ms) => setTimeout(() => { if (page.live === es) connect(); }, ms);
  const es = openSSE("/api/events", {
    snapshot(data) {
      const d = JSON.parse(data);
      replaceAll(d.services, d.proxies);
    },
    update(data) {
      const d = JSON.parse(data);
      flash(d.services.map(upsert));
      for (const name of d.removed || []) remove(name);
      summarize();
    },
    transition: (data) => addRecent(JSON.parse(data)),
    cutoff: () => down("resyncing…"),
  }, {
    open() { retryAfter = 1000; live.dataset.state = "live"; live.textContent = "live"; },
    drop() { down("reconnecting…"); again(es.retry); },
    refused(status, msg) {
      if (status === 401 || status === 403) return readRefused(status, msg);
      down("reconnecting…");
      again(retryAfter);
      retryAfter = Math.min(retryAfter * 2, 30000);
    },
  });
  page.live = es;
}

// ---- who reads --------------------------------------------------------------------

// start reads cfkd's config and opens the stream; a read refused asks for
// a token (readRefused), and start runs again once one is given.
async function start() {
  const gen = ++page.gen;
  let r = null;
  try {
    r = await api("/api/config");
  } catch (err) {
    toast("cannot reach cfkd: " + err, true);
  }
  if (gen !== page.gen) return;
  if (r && (r.status === 401 || r.status === 403)) return readRefused(r.status, await errorOf(r));
  if (r && r.ok) page.config = await r.json();
  if (gen !== page.gen) return;
  document.body.classList.remove("locked");
  $("login").hidden = true;
  $("version").textContent = page.config.version || "";
  $("auth").hidden = !page.config.token;
  setAuthed(page.token !== "" && page.config.acts === true);
  connect();
}

// readRefused handles a read that cfkd refused (REFERENCE §10.1): a token
// it does not know (any more) is forgotten, and the page reads without it
// if its user may; else the page shows nothing and asks for a token (401;
// 403: cfkd has no token that reads, the message says so).
function readRefused(status, msg) {
  if (status === 401 && page.token) {
    keepToken("");
    setAuthed(false);
    page.tokenRefused = true;
    return start();
  }
  page.gen++;
  if (page.live) page.live.close();
  page.live = null;
  closeDetail();
  replaceAll([], []);
  $("recent").replaceChildren();
  $("version").textContent = "";
  $("auth").hidden = true;
  document.body.classList.add("locked");
  $("live").dataset.state = "down";
  $("live").textContent = status === 401 ? "token needed" : "no access";
  $("login").hidden = false;
  $("login-msg").textContent = page.tokenRefused ? "wrong token" : msg;
  $("login-form").hidden = status !== 401;
  page.tokenRefused = false;
}

function login() {
  const token = $("login-token").value.trim();
  $("login-token").value = "";
  if (!token) return;
  keepToken(token);
  $("login-msg").textContent = "checking…";
  start();
}

// ---- token and actions ------------------------------------------------------------

function setAuthed(ok) {
  page.authed = ok;
  document.body.classList.toggle("authed", ok);
  $("auth-form").hidden = ok;
  $("auth-ok").hidden = !ok;
  $("token-forget").hidden = !page.token;
  for (const [name, tr] of page.rows) fillRow(tr, page.services.get(name));
}

async function checkToken(token) {
  const r = await fetch("/api/auth", { headers: { Authorization: "Bearer " + token }, cache: "no-store" });
  return r.status;
}

// useToken takes a token for the actions: one that cfkd accepts for them
// replaces the page's (it reads too).
async function useToken() {
  const token = $("token").value.trim();
  if (!token) return;
  const status = await checkToken(token);
  $("token").value = "";
  if (status === 204) {
    keepToken(token);
    $("auth-msg").textContent = "";
    setAuthed(true);
  } else {
    $("auth-msg").textContent = status === 401 ? "wrong token" : status === 403 ? "this token does not act" : `refused (${status})`;
  }
}

// forgetToken drops the token; the page reads again as it can without.
function forgetToken() {
  keepToken("");
  setAuthed(false);
  start();
}

let toastTimer = 0;
function toast(text, error) {
  const t = $("toast");
  t.textContent = text;
  t.className = error ? "error" : "";
  t.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { t.hidden = true; }, error ? 6000 : 2500);
}

async function act(name, verb, button) {
  button.disabled = true;
  try {
    const r = await api(`/api/services/${encodeURIComponent(name)}/${verb}`, { method: "POST" });
    const body = await r.json().catch(() => ({}));
    if (r.status === 401) {
      toast(body.error || "wrong token", true);
      forgetToken();
    } else if (r.status === 403) {
      toast(body.error || `refused (${r.status})`, true);
      setAuthed(false);
    } else if (!r.ok) {
      toast(body.error || `${verb} ${name}: ${r.status}`, true);
    } else {
      toast(`${verb} ${name}: done`);
    }
  } catch (err) {
    toast(`${verb} ${name}: ${err}`, true);
  } finally {
    const svc = page.services.get(name);
    if (svc) fillRow(page.rows.get(name), svc);
  }
}

// ---- start ----------------------------------------------------------------------

// fragment is the filter the URL's fragment keeps (REFERENCE §10.1): as
// applyFilter writes it, percent-encoded; one typed or pasted by hand
// that is not valid percent-encoding ("#web%") is taken as it is, where
// decodeURIComponent throws and left the page blank, reading nothing.
function fragment() {
  const raw = location.hash.slice(1);
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

function main() {
  $("filter").value = fragment();
  $("filter").addEventListener("input", applyFilter);
  $("token-save").addEventListener("click", useToken);
  $("token").addEventListener("keydown", (e) => { if (e.key === "Enter") useToken(); });
  $("token-forget").addEventListener("click", forgetToken);
  $("login-save").addEventListener("click", login);
  $("login-token").addEventListener("keydown", (e) => { if (e.key === "Enter") login(); });
  keepToken(loadToken());
  start();
  setInterval(tickUptimes, 5000);
}

main();
