package web

import "testing"

// REFERENCE §10.1: "the filter is kept in the URL's fragment". A fragment
// typed or pasted by hand that is not valid percent-encoding ("#web%",
// "#%zz") made decodeURIComponent throw in the page's main(): the page
// stayed blank, "connecting…", and asked cfkd nothing. It is now taken
// as it is, and the page reads and filters as with any other.
func TestPageMalformedFragment(t *testing.T) {
	for _, c := range []struct{ hash, filter, shown string }{
		{"#web%", "web%", ""}, // no name holds "web%"
		{"#%zz", "%zz", ""},
		{"#%40front", "@front", "web"}, // as the page writes it
		{"#d", "d", "db"},
	} {
		out := runPageAt(t, c.hash, `
h.route = (req) => req.url === "/api/config" ? h.json(200, { version: "t", token: false, logs: true, live: true }) : h.stream(req);
await h.settle();
h.out("filter: " + h.$("filter").value);
const es = h.streams.find((s) => s.req.url === "/api/events");
h.out("events opened: " + !!es);
if (!es) return;
es.push('retry: 1000\n\nevent: snapshot\ndata: ' + JSON.stringify({ services: [
  { name: "web", state: "running", pid: 7, tags: ["front"] },
  { name: "db", state: "running", pid: 8, tags: [] },
], proxies: [] }) + '\n\n');
await h.settle();
h.out("shown: [" + [...page.rows].filter(([, tr]) => !tr.hidden).map(([n]) => n).join(",") + "]");
`)
		wantLines(t, out, "filter: "+c.filter, "events opened: true", "shown: ["+c.shown+"]")
	}
}
