package actors

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
)

// The http probe used http.DefaultClient: it went through cfkd's
// HTTP_PROXY for any address but loopback (a service on its LAN address
// was never ready on a host that sets a proxy for the outside), and it
// followed redirects, so a health URL redirected to a login page
// answering 200 was ready. REFERENCE §2.9: URL itself answers 2xx.
func TestHTTPProbeAsksTheServiceItself(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/login", http.StatusFound) })
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	if err := httpReady(context.Background(), srv.URL+"/login"); err != nil {
		t.Fatalf("a 200: %v", err)
	}
	if err := httpReady(context.Background(), srv.URL+"/health"); err == nil {
		t.Fatal("a redirect to a page answering 200 was taken as ready")
	}
	// the proxy of cfkd's environment is not used
	tr, ok := probeClient.Transport.(*http.Transport)
	if !ok || tr.Proxy != nil {
		t.Fatal("the probe's transport may go through HTTP_PROXY")
	}
	if !tr.DisableKeepAlives {
		t.Error("the probe keeps connections to the service idle between tries")
	}
}
