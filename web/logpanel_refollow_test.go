package web

import "testing"

// REFERENCE §10.3: "an `end` event if cfkd ends the stream (a follower that
// does not keep up) ... A page that does not keep up holds at most 2,000
// lines or 1 MiB of cfkd's memory: its follow ends, and the page follows
// again." The page's handler of `end` only closed its stream: the log
// panel of a page that fell behind once stayed frozen, showing nothing
// new, until the row was closed and opened again. A follow that drops
// without an end (the network) is followed again too, and the first
// batch of the new follow replaces what the panel shows (no line twice).
func TestLogPanelFollowsAgainAfterEnd(t *testing.T) {
	out := runPage(t, `
h.route = (req) => req.url === "/api/config" ? h.json(200, { version: "t", token: false, logs: true, live: true }) : h.stream(req);
await h.settle();
const tr = document.createElement("tr");
for (let i = 0; i < 8; i++) tr.appendChild(document.createElement("td"));
page.rows.set("a", tr);
page.services.set("a", { name: "a", state: "running", tags: [] });
openDetail("a");
await h.settle();
const follows = () => h.streams.filter((s) => s.req.url.includes("/api/services/a/log/follow"));
const first = follows()[0];
if (!first) { h.out("NO_FOLLOW"); return; }
first.push('retry: 1000\n\nevent: lines\ndata: {"lines":["one"]}\n\n');
await h.settle();
first.push('event: end\ndata: {"reason":"too slow"}\n\n');
first.end();
await h.runTimers();
const open = follows().filter((s) => !s.closed);
h.out(open.length === 1 ? "FOLLOWS_AGAIN" : "FROZEN: " + follows().length + " follow stream(s), " + open.length + " open");
const pre = page.open.row.children[0].children[1];
open[0].push('event: lines\ndata: {"lines":["one","two"]}\n\n');
await h.settle();
h.out("panel: " + JSON.stringify(h.text(pre)));
open[0].end(); // dropped, no end event: followed again
await h.runTimers();
h.out("after a drop: " + follows().filter((s) => !s.closed).length + " open of " + follows().length);
`)
	wantLines(t, out, "FOLLOWS_AGAIN", `panel: "one\ntwo\n"`, "after a drop: 1 open of 3")
}
