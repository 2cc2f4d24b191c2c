package web

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// /metrics is gzipped when the scraper accepts it (REFERENCE §10.2), as
// RFC 9110, section 12.5.3, says who does: content codings have no case, a weight
// of 0 refuses the coding, and * takes it unless it is named. "gzip;q=0"
// was answered gzipped, "GZIP" and "*" were not.
func TestMetricsGzipOnlyWhenAccepted(t *testing.T) {
	r := newRig(t, Options{})
	r.ok("service a cmd=sleep 100")
	tr := &http.Transport{DisableCompression: true} // the header is the test's
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	for _, c := range []struct {
		accept string
		gzip   bool
	}{
		{"", false},
		{"gzip", true},
		{"deflate, gzip, br, zstd", true},
		{"GZIP", true},
		{"x-gzip", true},
		{"*", true},
		{"gzip;q=0.5", true},
		{"gzip;q=0", false},
		{"gzip; q=0.000", false},
		{"identity", false},
		{"br, *;q=0", false},
		{"*, gzip;q=0", false},
		{"gzip;q=0, *", false},
		{"br\ngzip", true}, // two header lines are one list
		{"br\n*;q=0", false},
	} {
		req, err := http.NewRequest("GET", r.http.URL+"/metrics", nil)
		if err != nil {
			t.Fatal(err)
		}
		if c.accept != "" {
			for _, line := range strings.Split(c.accept, "\n") {
				req.Header.Add("Accept-Encoding", line)
			}
		}
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if got := res.Header.Get("Content-Encoding") == "gzip"; got != c.gzip || res.StatusCode != http.StatusOK {
			t.Errorf("Accept-Encoding %q: %d, gzipped %v, want %v", c.accept, res.StatusCode, got, c.gzip)
		}
	}
}
