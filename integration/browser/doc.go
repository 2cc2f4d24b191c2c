// Package browser tests cfkd's status page in a real browser (REFERENCE
// §10): headless Chromium driven through the Chrome DevTools Protocol
// with chromedp, against a real cfkd built for the run and started with
// --http 127.0.0.1:0.
//
// Its tests carry the build tag `browser`, so that `make test` leaves
// them out; `make test-browser` runs them (CI too, after installing
// Debian's chromium). Without a Chromium (chromium, chromium-browser,
// google-chrome, or $CFK_CHROMIUM) they skip.
//
// Every test kills what it started: cfkd (SIGTERM, then SIGKILL) and any
// process with its CFKD_HOME, and the browser with every process that
// carries the test's marker variable in its environment.
package browser
