package web

import "testing"

// pageRoutes is a fake cfkd for the page in node: reads need the read
// token (or anything with allowAll), /api/auth accepts the operate one;
// streams are fed by the scenario.
const pageRoutes = `
const READ = "read-token-0123456789abcdef", OPERATE = "operate-token-0123456789ab";
let allowAll = false;
h.route = (req) => {
  const auth = req.headers.Authorization || "";
  const tok = auth.startsWith("Bearer ") ? auth.slice(7) : null;
  if (req.url === "/api/auth") return { status: tok === OPERATE ? 204 : tok === READ ? 403 : tok ? 401 : 403, ok: tok === OPERATE, headers: { get: () => null }, json: async () => ({}) };
  if (tok !== null && tok !== READ && tok !== OPERATE) return h.json(401, { ok: false, error: "wrong token" });
  if (tok === null && !allowAll) return h.json(401, { ok: false, error: "not authorized: uid 1001 may not read without a token; or send Authorization: Bearer TOKEN" });
  if (req.url === "/api/config") return h.json(200, { version: "cfk t", token: true, logs: true, live: true, acts: tok === OPERATE });
  return h.stream(req);
};
const events = () => h.streams.filter((s) => s.req.url === "/api/events");
const snapshot = (names) => 'retry: 1000\n\nevent: snapshot\ndata: ' + JSON.stringify({ services: names.map((n) => ({ name: n, state: "running", pid: 7, tags: [] })), proxies: [] }) + '\n\n';
const noTokenInURLs = () => h.requests.every((r) => !r.url.includes(READ) && !r.url.includes(OPERATE));
`

// A user the uid rule refuses (REFERENCE §10.1): the page shows the
// server's refusal and a token field, and opens no stream; given a read
// token, it sends it as Authorization: Bearer on every request, the event
// stream and the log follow included, keeps it in sessionStorage only
// (never in a URL), and shows the services live; a wrong token is told.
func TestPageAsksForATokenAndSendsIt(t *testing.T) {
	out := runPage(t, pageRoutes+`
await h.settle();
h.out("login shown: " + !h.$("login").hidden + ", form: " + !h.$("login-form").hidden);
h.out("message: " + h.$("login-msg").textContent);
h.out("streams before a token: " + events().length);

h.$("login-token").value = "wrong-token-0123456789abcdef";
h.$("login-save").fire("click");
await h.settle(); await h.settle();
h.out("after a wrong token: " + h.$("login-msg").textContent + ", kept: " + sessionStorage.getItem("cfkd-token"));

h.$("login-token").value = " " + READ + " ";
h.$("login-save").fire("click");
await h.settle();
h.out("login shown: " + !h.$("login").hidden);
const es = events()[0];
h.out("events with the token: " + (es && es.req.headers.Authorization === "Bearer " + READ));
// a snapshot cut anywhere, CRLF line ends
const snap = snapshot(["a", "b"]).replace(/\n/g, "\r\n");
for (let i = 0; i < snap.length; i += 7) es.push(snap.slice(i, i + 7));
await h.settle();
h.out("rows: " + [...page.rows.keys()].join(","));
h.out("live: " + h.$("live").textContent);
es.push('event: update\ndata: {"services":[{"name":"a","state":"fail","tags":[]}],"removed":["b"]}\n\n');
await h.settle();
h.out("after an update: " + [...page.rows.keys()].join(",") + " a is " + page.services.get("a").state);
h.out("buttons: " + page.authed);

const tr = page.rows.get("a");
toggleDetail("a");
await h.settle();
const follow = h.streams.find((s) => s.req.url.startsWith("/api/services/a/log/follow"));
h.out("follow with the token: " + (follow && follow.req.headers.Authorization === "Bearer " + READ));

// the stream ends (cfkd restarted): the page connects again, with the token
es.end();
await h.runTimers();
const again = events()[1];
h.out("reconnected with the token: " + (again && again.req.headers.Authorization === "Bearer " + READ) + ", live: " + h.$("live").textContent);

h.out("auth asked: " + h.requests.filter((r) => r.url === "/api/auth").length);
h.out("every request: " + h.requests.filter((r) => r.url !== "/api/auth").every((r) => r.headers.Authorization !== undefined || r.url === "/api/config"));
h.out("no token in a URL: " + noTokenInURLs());
h.out("localStorage writes: " + h.writes.filter((w) => w.startsWith("localStorage.set")).length);
h.out("sessionStorage: " + (sessionStorage.getItem("cfkd-token") === READ));

// forget token: the page shows nothing again, and asks
h.$("token-forget").fire("click");
await h.settle();
h.out("forgotten: login " + !h.$("login").hidden + ", rows " + page.rows.size + ", streams open " + h.streams.filter((s) => !s.closed).length + ", kept " + sessionStorage.getItem("cfkd-token"));
`)
	wantLines(t, out,
		"login shown: true, form: true",
		"message: not authorized: uid 1001 may not read without a token; or send Authorization: Bearer TOKEN",
		"streams before a token: 0",
		"after a wrong token: wrong token, kept: null",
		"login shown: false",
		"events with the token: true",
		"rows: a,b",
		"live: live",
		"after an update: a a is fail",
		"buttons: false",
		"follow with the token: true",
		"reconnected with the token: true, live: live",
		"auth asked: 0",
		"every request: true",
		"no token in a URL: true",
		"localStorage writes: 0",
		"sessionStorage: true",
		"forgotten: login true, rows 0, streams open 0, kept null",
	)
}

// Without a token file (403), no token would read: the page shows the
// refusal and no field.
func TestPageRefusedWithoutTokenFile(t *testing.T) {
	out := runPage(t, `
h.route = () => h.json(403, { ok: false, error: "not authorized: uid 1001 may not read without a token; and cfkd was started without --http-token, so no token reads either" });
await h.settle();
h.out("login " + !h.$("login").hidden + ", field " + !h.$("login-form").hidden + ", live " + h.$("live").textContent + ", streams " + h.streams.length);
h.out(h.$("login-msg").textContent);
`)
	wantLines(t, out, "login true, field false, live no access, streams 0",
		"not authorized: uid 1001 may not read without a token; and cfkd was started without --http-token, so no token reads either")
}

// A user the uid rule lets in reads with no token and sees no prompt:
// no Authorization header is sent; a token that acts, given in the
// actions' field, shows the buttons and goes with the POSTs; one that
// cfkd no longer knows is forgotten, and the page reads on without it.
func TestPageByUidNeedsNoToken(t *testing.T) {
	out := runPage(t, pageRoutes+`
allowAll = true;
await h.settle();
h.out("login shown: " + !h.$("login").hidden);
h.out("headers: " + h.requests.filter((r) => r.headers.Authorization).length);
events()[0].push(snapshot(["a"]));
await h.settle();
h.out("rows: " + [...page.rows.keys()].join(","));
h.out("actions field: " + !h.$("auth").hidden);

h.$("token").value = READ;
h.$("token-save").fire("click");
await h.settle();
h.out("a read token for actions: " + h.$("auth-msg").textContent + ", authed " + page.authed);
h.$("token").value = OPERATE;
h.$("token-save").fire("click");
await h.settle();
h.out("authed: " + page.authed);
let posted = null;
const prev = h.route;
h.route = (req) => { if (req.method === "POST") { posted = req; return h.json(200, { ok: true, lines: ["done 1"] }); } return prev(req); };
await act("a", "restart", { disabled: false });
h.out("POST with the token: " + (posted.headers.Authorization === "Bearer " + OPERATE));

// the token is withdrawn: the next read is 401; the page forgets it and reads without
h.route = (req) => req.headers.Authorization ? h.json(401, { ok: false, error: "wrong token" }) : prev(req);
events()[0].end();
await h.runTimers(); await h.settle();
const last = events()[events().length - 1];
h.out("after the token was withdrawn: login " + !h.$("login").hidden + ", token " + JSON.stringify(page.token) + ", stream without header " + (last.req.headers.Authorization === undefined && !last.closed));
`)
	wantLines(t, out,
		"login shown: false",
		"headers: 0",
		"rows: a",
		"actions field: true",
		"a read token for actions: this token does not act, authed false",
		"authed: true",
		"POST with the token: true",
		`after the token was withdrawn: login false, token "", stream without header true`,
	)
}

// A 503 (too many streams) is not a stream: the page tries again later,
// 1 s, then 2, as it did when EventSource gave up.
func TestPageRetriesARefusedStream(t *testing.T) {
	out := runPage(t, `
let busy = 2;
h.route = (req) => {
  if (req.url === "/api/config") return h.json(200, { version: "t", token: false, logs: false, live: true });
  if (busy > 0) { busy--; return h.json(503, { ok: false, error: "too many streams open (256)" }); }
  return h.stream(req);
};
await h.settle();
h.out("delays: " + h.timers.map((t) => t.ms).join(","));
await h.runTimers();
h.out("delays: " + h.timers.map((t) => t.ms).join(","));
await h.runTimers();
h.out("open: " + h.streams.length + " " + h.$("live").textContent);
`)
	wantLines(t, out, "delays: 1000", "delays: 2000", "open: 1 live")
}
