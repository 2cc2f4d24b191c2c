// Package web is cfkd's HTTP server (`cfkd --http ADDR`, REFERENCE §10):
// a status page at /, its JSON and server-sent-events API under /api/,
// and /metrics in the Prometheus text format.
//
// Model:
//
//	HTTP handler goroutines ──Source──▶ controller   snapshots, start/stop/restart
//	actor EventStream ──Events──▶ hub ──▶ one bounded queue per page ──▶ /api/events
//	LogSource (nil: no log panel) ──▶ /api/services/NAME/log[/follow]
//
// Everything the server shows is read from the controller's records, the
// ones `status` and `inspect` answer (REFERENCE §1.6): a Source gives a
// snapshot of them (TreeSource: actors.SnapshotRequest, answered in the
// controller's Receive on a channel, no future) and runs the three verbs
// of the buttons (TreeSource: a few asker actors, each with one request
// at the controller at a time, as a console connection: the controller
// answers an actor, never a future). /metrics is one snapshot written as
// client_model families by expfmt, 256 services at a time (metrics.go),
// then the log destinations' lost and dropped records (Options.LogLosses:
// cfkd's logconf.Router.Losses, atomic counters read at the scrape, no
// actor asked), then the process and Go collectors of a
// prometheus.Registry.
//
// A page gets its whole state from one stream, GET /api/events: the hub
// joins it before the snapshot is taken (no change is lost in between),
// the snapshot goes first, then each batch of changes: the transitions in
// order, and the records of the services they concern, read afresh from
// the controller (restarts, uptime and pid come from there, not from the
// event). A destroyed service is a change of its own (the controller's
// ServiceForgotten, after its last transition), so a page that read the
// records between the two still sees it go. The page polls nothing.
//
// Events and LogSource are the seams where cfkd's event stream and log
// tail store (REFERENCE §10.4) plug in; until then Events reads the actor
// system's EventStream and cfkd gives no LogSource.
//
// Invariants:
//   - No actor ever waits for HTTP: the controller answers a snapshot by a
//     send that cannot block (a channel of one made for the request); the
//     hub's handler, run in the publishing actor's goroutine, only queues
//     an event per page without blocking, and cuts off a page whose queue
//     is full (the page's stream ends with a cutoff event; the browser
//     connects again and starts from a fresh snapshot). Each write to a
//     page has a deadline.
//   - Actions need the token: without --http-token every POST is 403; with
//     it, a request without `Authorization: Bearer TOKEN` is 403 and one
//     with a wrong token 401 (compared in constant time). A token is
//     taken from that header only: one in the URL's query (token,
//     access_token) is a 400 for everyone, on every path (tokenInURL).
//   - Reads need an identity: a GET (but the page's shell, / and its
//     files, which hold no data, and /api/auth) is answered only to a
//     request with a token of the file (any level), to one whose peer the
//     Reader lets in (cfkd's: a loopback user the UNIX console lets in,
//     found by peeruid, for a loopback Host only), or with OpenRead
//     (--insecure-http); others get 401 (403 without a token file) saying
//     how to get in. The Reader runs in the request's goroutine. The page
//     asks for a token on a 401, keeps it in the tab's sessionStorage and
//     sends it as Authorization: Bearer on every request, its streams
//     included (read with fetch: EventSource sends no header). A stream
//     read with a token that a reload withdraws ends before its next
//     batch (revoke.go), as the console's.
//   - No peer holds every place: at most ConnsPerPeer connections (half
//     of Conns) of one peer are open at once, a uid on loopback (peeruid,
//     asked in the accept loop), an IP address elsewhere; the next is
//     answered 503 from the accept loop with writes that never wait
//     (internal/nowait) and closed; and no peer holds every stream: at
//     most StreamsPerPeer (half of Streams) of one peer, the peer its
//     connection was counted under, given back when the stream ends.
//     Refused connections and streams are logged, one record a second at
//     most each (Server.connRefused, Server.streamRefused).
//     A request's head and body are read
//     within ReadTimeout: a trickle holds no place past it.
//     A stream's socket has a fixed send buffer (streamWriteBuffer): a
//     client that takes nothing holds little of the kernel's memory, and
//     is cut off WriteTimeout after it is full.
//   - Idle costs nothing: no ticker, no heartbeat; the EventStream is
//     subscribed to only while a page is connected. A read of many
//     services (BigRead) calls AfterBigRead, with which cfkd returns the
//     garbage to the OS a little later (daemon's trimmer).
//   - No build step, no CDN: static/ (HTML, CSS, JavaScript, the page's SVG icon) is embedded.
package web
