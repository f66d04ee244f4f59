package httpx

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// testCA is a CA of its own that signs server certificates for 127.0.0.1.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func newTestCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// server starts a TLS server (HTTP/2 on) whose certificate this CA signed
// for 127.0.0.1; it echoes the request body and counts handshakes begun.
func (ca *testCA) server(t *testing.T, handshakes *atomic.Int32) *httptest.Server {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, r.Method+" "+r.Proto+" "+string(body))
	}))
	srv.EnableHTTP2 = true
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are expected
	srv.TLS = &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}},
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			handshakes.Add(1)
			return nil, nil
		},
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// TestTrustIsTheUnionOfSystemAndExtraCAs runs in a child process whose
// system pool is a file of the test's own (SSL_CERT_FILE is read once per
// process, so the parent's pool cannot be swapped).
func TestTrustIsTheUnionOfSystemAndExtraCAs(t *testing.T) {
	dir := os.Getenv("HTTPX_TRUST_DIR")
	if dir == "" {
		dir = t.TempDir()
		extra, system := newTestCA(t, "extra CA"), newTestCA(t, "system CA")
		for name, b := range map[string][]byte{"extra.pem": extra.pem, "system.pem": system.pem} {
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		for _, name := range []string{"extra", "system"} {
			key, _ := x509.MarshalECPrivateKey(map[string]*testCA{"extra": extra, "system": system}[name].key)
			if err := os.WriteFile(filepath.Join(dir, name+".key"), key, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestTrustIsTheUnionOfSystemAndExtraCAs$", "-test.v", "-test.count=1")
		cmd.Env = append(os.Environ(), "HTTPX_TRUST_DIR="+dir, "SSL_CERT_FILE="+filepath.Join(dir, "system.pem"), "SSL_CERT_DIR="+dir+"/none")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS: TestTrustIsTheUnionOfSystemAndExtraCAs") {
			t.Fatalf("child: %v\n%s", err, out)
		}
		return
	}

	extra, system, stranger := loadCA(t, dir, "extra"), loadCA(t, dir, "system"), newTestCA(t, "stranger CA")
	var hsExtra, hsSystem, hsStranger atomic.Int32
	byExtra, bySystem, byStranger := extra.server(t, &hsExtra), system.server(t, &hsSystem), stranger.server(t, &hsStranger)

	tr, err := NewTransport(Options{CAFile: filepath.Join(dir, "extra.pem")})
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, Options{Transport: tr, MaxAttempts: 2, BaseBackoff: time.Millisecond, MaxBackoff: time.Millisecond})
	post := func(url, body string) (string, error) {
		resp, err := c.Do(context.Background(), Request{Method: http.MethodPost, URL: url, Body: []byte(body),
			Header: http.Header{"Content-Type": {"text/plain"}}})
		if err != nil {
			return "", err
		}
		return string(resp.Body), nil
	}

	// A server the ca_file signs: verified without the system pool.
	for i := range 3 {
		got, err := post(byExtra.URL, "a")
		if err != nil || got != "POST HTTP/2.0 a" {
			t.Fatalf("ca_file server, request %d: %q, %v", i, got, err)
		}
	}
	if tr.wideBuilt.Load() {
		t.Fatal("the system pool was read for a server the ca_file signs")
	}
	if n := hsExtra.Load(); n != 1 {
		t.Fatalf("ca_file server: %d handshakes for 3 requests, want 1 (one connection reused)", n)
	}

	// A server the system pool signs: trusted, its POST body delivered
	// whole after the refused first handshake; later requests go straight
	// to the wide transport over one connection.
	for i := range 3 {
		got, err := post(bySystem.URL, "body-"+string(rune('a'+i)))
		if err != nil || got != "POST HTTP/2.0 body-"+string(rune('a'+i)) {
			t.Fatalf("system-signed server, request %d: %q, %v", i, got, err)
		}
	}
	if !tr.wideBuilt.Load() {
		t.Fatal("system-signed server reached without the system pool")
	}
	if n := hsSystem.Load(); n != 2 {
		t.Fatalf("system-signed server: %d handshakes, want 2 (one refused, one kept)", n)
	}
	// The ca_file server stays on its own connection.
	if _, err := post(byExtra.URL, "b"); err != nil || hsExtra.Load() != 1 {
		t.Fatalf("ca_file server after the fallback: %v, %d handshakes", err, hsExtra.Load())
	}

	// A server neither signs: refused as untrusted, as with one pool.
	_, err = post(byStranger.URL, "secret-body")
	if err == nil || !IsUntrusted(err) {
		t.Fatalf("stranger-signed server: %v, want an untrusted-certificate error", err)
	}
	if IsTransient(err) {
		t.Fatalf("certificate refusal counted transient: %v", err)
	}

	// The host name is still checked: the ca_file's server under another
	// name is refused, not handed to the system pool and accepted.
	port := byExtra.URL[strings.LastIndex(byExtra.URL, ":")+1:]
	if _, err := post("https://localhost:"+port, "x"); err == nil || !strings.Contains(err.Error(), "not valid for localhost") {
		t.Fatalf("wrong host name: %v, want a name mismatch", err)
	}

	tr.CloseIdleConnections()
}

func loadCA(t *testing.T, dir, name string) *testCA {
	t.Helper()
	pemBytes, err := os.ReadFile(filepath.Join(dir, name+".pem"))
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(pemBytes)
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := os.ReadFile(filepath.Join(dir, name+".key"))
	if err != nil {
		t.Fatal(err)
	}
	key, err := x509.ParseECPrivateKey(keyDER)
	if err != nil {
		t.Fatal(err)
	}
	return &testCA{cert: cert, key: key, pem: pemBytes}
}

// BenchmarkNewTransportWithCAFile is the start-up cost of a client given a
// ca_file: the system pool is no longer read here.
func BenchmarkNewTransportWithCAFile(b *testing.B) {
	dir := b.TempDir()
	file := filepath.Join(dir, "ca.pem")
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	defer srv.Close()
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := NewTransport(Options{CAFile: file}); err != nil {
			b.Fatal(err)
		}
	}
}

// The request timeout bounds connecting: a dial or TLS handshake to a
// server that accepts and never answers is not cut at a fixed 10 s before
// a longer --request-timeout, and the transport's own limits only back the
// attempt's deadline up (a second later), so that deadline, which names
// the timeout, strikes first.
func TestRequestTimeoutBoundsTheHandshake(t *testing.T) {
	for _, d := range []time.Duration{40 * time.Millisecond, 2 * time.Second, 30 * time.Second} {
		tr, err := NewTransport(Options{Timeout: d})
		if err != nil {
			t.Fatal(err)
		}
		if got := tr.first.TLSHandshakeTimeout; got != d+time.Second {
			t.Errorf("request timeout %v: TLS handshake timeout %v, want %v", d, got, d+time.Second)
		}
	}
	if tr, _ := NewTransport(Options{}); tr.first.TLSHandshakeTimeout != DefaultTimeout+time.Second {
		t.Errorf("default: TLS handshake timeout %v, want %v", tr.first.TLSHandshakeTimeout, DefaultTimeout+time.Second)
	}
}
