// cfkd's status page (REFERENCE §10.1). No build step, no dependency.
// The whole state comes from one server-sent events stream, /api/events:
// a snapshot when it opens, then the changes as cfkd makes them. Nothing
// here asks the server on a timer; the only timer redraws the uptimes.
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
  token: localStorage.getItem(TOKEN_KEY) || "",
  authed: false,
  open: null,          // {name, detail row, log stream}
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

function upsert(svc, flash) {
  page.services.set(svc.name, svc);
  let tr = page.rows.get(svc.name);
  if (!tr) {
    tr = makeRow(svc.name);
    page.rows.set(svc.name, tr);
    insertSorted(tr, svc.name);
  }
  fillRow(tr, svc);
  if (flash) {
    tr.classList.remove("flash");
    void tr.offsetWidth; // restart the animation
    tr.classList.add("flash");
  }
  if (page.open && page.open.name === svc.name) fillDetail(svc);
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
  for (const svc of services) upsert(svc, false);
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
function followLog(name, pre) {
  const open = page.open;
  const stream = new EventSource(`/api/services/${encodeURIComponent(name)}/log/follow?n=50`);
  open.stream = stream;
  let first = true;
  stream.addEventListener("lines", (e) => {
    const stick = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
    if (first) pre.replaceChildren();
    first = false;
    for (const line of JSON.parse(e.data).lines) pre.appendChild(document.createTextNode(line + "\n"));
    while (pre.childNodes.length > MAX_LOG_LINES) pre.firstChild.remove();
    if (stick) pre.scrollTop = pre.scrollHeight;
  });
  stream.addEventListener("end", () => {
    stream.close();
    setTimeout(() => {
      if (page.open === open && open.stream === stream) followLog(name, pre);
    }, 1000);
  });
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

// ---- live stream --------------------------------------------------------------

// retryAfter is the pause before a new stream once the browser gave one
// up (it retries by itself only after a stream ended or a network error).
let retryAfter = 1000;

function connect() {
  const live = $("live");
  const es = new EventSource("/api/events");
  es.onopen = () => { retryAfter = 1000; live.dataset.state = "live"; live.textContent = "live"; };
  es.onerror = () => {
    live.dataset.state = "down";
    live.textContent = "reconnecting…";
    if (es.readyState === EventSource.CLOSED) {
      // an answer that is not a stream (503: too many streams open): the
      // browser will not try again, so the page does, later each time
      setTimeout(connect, retryAfter);
      retryAfter = Math.min(retryAfter * 2, 30000);
    }
  };
  es.addEventListener("snapshot", (e) => {
    const d = JSON.parse(e.data);
    replaceAll(d.services, d.proxies);
  });
  es.addEventListener("update", (e) => {
    const d = JSON.parse(e.data);
    for (const svc of d.services) upsert(svc, true);
    for (const name of d.removed || []) remove(name);
    summarize();
  });
  es.addEventListener("transition", (e) => addRecent(JSON.parse(e.data)));
  es.addEventListener("cutoff", () => { live.dataset.state = "down"; live.textContent = "resyncing…"; });
}

// ---- token and actions ------------------------------------------------------------

function setAuthed(ok) {
  page.authed = ok;
  document.body.classList.toggle("authed", ok);
  $("auth-form").hidden = ok;
  $("auth-ok").hidden = !ok;
  for (const [name, tr] of page.rows) fillRow(tr, page.services.get(name));
}

async function checkToken(token) {
  const r = await fetch("/api/auth", { headers: { Authorization: "Bearer " + token } });
  return r.status;
}

async function useToken() {
  const token = $("token").value.trim();
  if (!token) return;
  const status = await checkToken(token);
  if (status === 204) {
    page.token = token;
    localStorage.setItem(TOKEN_KEY, token);
    $("token").value = "";
    $("auth-msg").textContent = "";
    setAuthed(true);
  } else {
    $("token").value = "";
    $("auth-msg").textContent = status === 401 ? "wrong token" : `refused (${status})`;
  }
}

function forgetToken() {
  page.token = "";
  localStorage.removeItem(TOKEN_KEY);
  setAuthed(false);
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
    const r = await fetch(`/api/services/${encodeURIComponent(name)}/${verb}`, {
      method: "POST", headers: { Authorization: "Bearer " + page.token },
    });
    const body = await r.json().catch(() => ({}));
    if (r.status === 401 || r.status === 403) {
      forgetToken();
      toast(body.error || `refused (${r.status})`, true);
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

async function main() {
  $("filter").value = decodeURIComponent(location.hash.slice(1));
  $("filter").addEventListener("input", applyFilter);
  $("token-save").addEventListener("click", useToken);
  $("token").addEventListener("keydown", (e) => { if (e.key === "Enter") useToken(); });
  $("token-forget").addEventListener("click", forgetToken);
  try {
    page.config = await (await fetch("/api/config")).json();
  } catch (err) {
    toast("cannot reach cfkd: " + err, true);
  }
  $("version").textContent = page.config.version || "";
  if (page.config.token) {
    $("auth").hidden = false;
    setAuthed(page.token !== "" && (await checkToken(page.token)) === 204);
  }
  connect();
  setInterval(tickUptimes, 5000);
}

main();
