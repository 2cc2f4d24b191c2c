package actors

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"
)

// selfSignedTLS serves h over TLS on loopback with a self-signed
// certificate made here (a service's own, as checked on loopback): its
// address, closed at the test's end.
func selfSignedTLS(t *testing.T, h http.Handler) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "service.test"},
		DNSNames:     []string{"service.test"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}},
	})
	if err != nil {
		t.Fatal(err)
	}
	// its complaints of the probe's tries are not the test's output
	srv := &http.Server{Handler: h, ErrorLog: log.New(io.Discard, "", 0)}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return l.Addr().String()
}

// health answers /health 200, anything else 404.
var health = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/health" {
		w.WriteHeader(http.StatusNotFound)
	}
})

// ready=http:https://... verified the service's certificate: a service
// serving TLS on loopback with a self-signed one (the usual case) failed
// every try, `x509: certificate signed by unknown authority`, until
// ready_timeout_secs ended it. REFERENCE §2.9: the certificate is not
// verified, as a Kubernetes httpGet probe of scheme HTTPS does not.
func TestHTTPSProbeTakesASelfSignedService(t *testing.T) {
	t.Parallel()
	addr := selfSignedTLS(t, health)
	if err := httpReady(context.Background(), "https://"+addr+"/health"); err != nil {
		t.Fatalf("a self-signed service answering 200: %v", err)
	}
	// the status is still the answer
	if err := httpReady(context.Background(), "https://"+addr+"/other"); err == nil || !strings.HasSuffix(err.Error(), ": 404 Not Found") {
		t.Fatalf("a 404: %v", err)
	}
	// and the service checked so becomes running
	r := newRig(t)
	r.setAutoTerm()
	r.ok("service s cmd=sleep 100", "service s ready=http:https://"+addr+"/health",
		"service s startwait_secs=0.05", "service s ready_timeout_secs=5", "service s respawn_on_fail=0")
	r.okDone("command start service s", 1)
	r.expectSeq("s", starting, running)
}

// A try of an https check that fails says why in words (REFERENCE §2.9):
// a plain HTTP server on the port, and a port that accepts and says
// nothing, whose TLS handshake is bounded by the try's 2 s and said so,
// not `context deadline exceeded`.
func TestHTTPSProbeFailureSaysWhy(t *testing.T) {
	t.Parallel()
	plain, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	psrv := &http.Server{Handler: health, ErrorLog: log.New(io.Discard, "", 0)}
	go psrv.Serve(plain)
	defer psrv.Close()
	mute, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer mute.Close()
	held := make(chan net.Conn, 8)
	go func() {
		for {
			c, err := mute.Accept()
			if err != nil {
				return
			}
			held <- c // kept open, silent
		}
	}()
	defer func() {
		for len(held) > 0 {
			(<-held).Close()
		}
	}()

	url := "https://" + plain.Addr().String() + "/health"
	err = httpReady(context.Background(), url)
	if want := `Get "` + url + `": TLS handshake: the server answered in plain HTTP, not TLS (ready=http:http://... checks it so)`; err == nil || err.Error() != want {
		t.Errorf("plain HTTP on the port: %v, want %s", err, want)
	}

	url = "https://" + mute.Addr().String() + "/health"
	start := time.Now()
	err = httpReady(context.Background(), url)
	took := time.Since(start)
	if want := url + ": TLS handshake not done within 2s: does the server speak TLS on that port?"; err == nil || err.Error() != want {
		t.Errorf("a silent port: %v, want %s", err, want)
	}
	if took > 6*time.Second { // 4 s of slack for a loaded CI
		t.Errorf("a silent port's try took %v, bounded by 2s", took)
	}

	// the handshake done, the service does not answer
	stuck := make(chan struct{})
	defer close(stuck)
	addr := selfSignedTLS(t, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-stuck }))
	url = "https://" + addr + "/health"
	if err, want := httpReady(context.Background(), url), url+": no answer within 2s"; err == nil || err.Error() != want {
		t.Errorf("no answer: %v, want %s", err, want)
	}

	// the same said when the run is not ready in time
	logger := logrus.New()
	logger.SetOutput(io.Discard)
	hook := logtest.NewLocal(logger)
	r := newRig(t, func(o *Options) { o.Log = logger })
	r.setAutoTerm()
	url = "https://" + plain.Addr().String() + "/health"
	r.ok("service s cmd=sleep 100", "service s ready=http:"+url, "service s respawn_on_fail=0",
		"service s startwait_secs=0.05", "service s ready_timeout_secs=0.4")
	r.okDone("command start service s", 1)
	if got := r.expectSeq("s", starting, stopping, fail); got[2].Reason != "Not ready after 400ms" {
		t.Fatalf("reason %q, want Not ready after 400ms", got[2].Reason)
	}
	want := `s: its last readiness check failed: Get "` + url + `": TLS handshake: the server answered in plain HTTP, not TLS (ready=http:http://... checks it so)`
	waitFor(t, "the last check logged", func() bool {
		for _, e := range hook.AllEntries() {
			if e.Message == want && e.Level == logrus.WarnLevel {
				return true
			}
		}
		return false
	})
}
