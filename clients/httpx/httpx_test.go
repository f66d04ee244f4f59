package httpx

import (
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nexus-onboard/nexus-onboard/clients/redact"
	"github.com/nexus-onboard/nexus-onboard/testkit"
)

// newServer starts a real TLS server; its certificate is only trusted by
// clients given its PEM.
func newServer(t testing.TB, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	// Refused handshakes are what some tests provoke: keep them out of the log.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

func certPEM(srv *httptest.Server) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
}

// fastOptions trusts srv and keeps backoffs tiny so the package runs fast.
func fastOptions(srv *httptest.Server) Options {
	return Options{
		CAPEM:       certPEM(srv),
		Timeout:     2 * time.Second,
		MaxAttempts: 4,
		BaseBackoff: time.Millisecond,
		MaxBackoff:  5 * time.Millisecond,
	}
}

func newClient(t testing.TB, o Options) *Client {
	t.Helper()
	c, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// recorded collects the exchanges of a context.
type recorded struct {
	mu      sync.Mutex
	exs     []Exchange
	pending []Exchange // announcements of attempts about to go out
}

func (r *recorded) ctx(parent context.Context) context.Context {
	return WithRecorder(parent, func(ex Exchange) {
		r.mu.Lock()
		defer r.mu.Unlock()
		if ex.Pending {
			r.pending = append(r.pending, ex)
			return
		}
		r.exs = append(r.exs, ex)
	})
}

func (r *recorded) all() []Exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Exchange(nil), r.exs...)
}

func TestTLSTrust(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":true}`)
	})
	host := strings.TrimPrefix(srv.URL, "https://")
	port := host[strings.LastIndex(host, ":")+1:]
	tests := []struct {
		name     string
		opts     Options
		url      string
		wantErr  string // substring; "" means success
		wantHint string
	}{
		{name: "trusted CA", opts: Options{CAPEM: certPEM(srv)}, url: srv.URL},
		{name: "untrusted refused", opts: Options{}, url: srv.URL,
			wantErr: host, wantHint: hintUntrusted},
		{name: "insecure accepted", opts: Options{InsecureSkipVerify: true}, url: srv.URL},
		{name: "wrong host name refused", opts: Options{CAPEM: certPEM(srv)}, url: "https://localhost:" + port,
			wantErr: "localhost:" + port, wantHint: "not valid for localhost"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.MaxAttempts, tt.opts.BaseBackoff, tt.opts.MaxBackoff = 3, time.Millisecond, time.Millisecond
			c := newClient(t, tt.opts)
			var rec recorded
			resp, err := c.Do(rec.ctx(context.Background()), Request{Method: http.MethodGet, URL: tt.url + "/x"})
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Do: %v", err)
				}
				if resp.Status != 200 || string(resp.Body) != `{"ok":true}` {
					t.Fatalf("got %d %q", resp.Status, resp.Body)
				}
				return
			}
			if err == nil {
				t.Fatal("certificate accepted, want refusal")
			}
			if !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), tt.wantHint) {
				t.Fatalf("error %q lacks %q or hint %q", err, tt.wantErr, tt.wantHint)
			}
			if IsTransient(err) {
				t.Fatalf("certificate error must not be transient: %v", err)
			}
			// Only an unknown CA is repaired by a CA file: a decision on
			// the error's type, never its text.
			if got, want := IsUntrusted(err), tt.wantHint == hintUntrusted; got != want {
				t.Fatalf("IsUntrusted = %v, want %v (%v)", got, want, err)
			}
			if n := len(rec.all()); n != 1 {
				t.Fatalf("certificate error retried: %d attempts", n)
			}
		})
	}
}

func TestCAFile(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {})
	dir := t.TempDir()
	good := filepath.Join(dir, "ca.pem")
	bad := filepath.Join(dir, "bad.pem")
	if err := os.WriteFile(good, certPEM(srv), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, file, wantErr string
	}{
		{"PEM file trusted", good, ""},
		{"missing file", filepath.Join(dir, "none.pem"), "check the path"},
		{"not PEM", bad, "holds no PEM certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(Options{CAFile: tt.file})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("New error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Do(context.Background(), Request{URL: srv.URL}); err != nil {
				t.Fatalf("Do with ca_file: %v", err)
			}
		})
	}
}

func TestRetryByStatus(t *testing.T) {
	tests := []struct {
		method        string
		status        int
		retryAfter    string
		wantAttempts  int
		wantTransient bool
	}{
		{http.MethodGet, 503, "", 4, true},
		{http.MethodGet, 502, "", 4, true},
		{http.MethodGet, 504, "", 4, true},
		{http.MethodGet, 429, "0", 4, true},
		{http.MethodPut, 502, "", 4, true},
		{http.MethodDelete, 504, "", 4, true},
		{http.MethodPost, 503, "", 4, true},
		{http.MethodPost, 429, "0", 4, true},
		{http.MethodPost, 502, "", 1, true},
		{http.MethodPost, 504, "", 1, true},
		{http.MethodGet, 400, "", 1, false},
		{http.MethodGet, 401, "", 1, false},
		{http.MethodGet, 404, "", 1, false},
		{http.MethodGet, 500, "", 1, false},
		{http.MethodPost, 500, "", 1, false},
		{http.MethodPost, 409, "", 1, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s %d", tt.method, tt.status), func(t *testing.T) {
			var hits atomic.Int32
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				if tt.retryAfter != "" {
					w.Header().Set("Retry-After", tt.retryAfter)
				}
				w.WriteHeader(tt.status)
				io.WriteString(w, `{"status":{"code":1,"message":"nope"}}`)
			})
			c := newClient(t, fastOptions(srv))
			resp, err := c.Do(context.Background(), Request{Method: tt.method, URL: srv.URL + "/p", Body: []byte(`{}`)})
			var se *StatusError
			if !errors.As(err, &se) || se.Status != tt.status {
				t.Fatalf("error = %v, want StatusError %d", err, tt.status)
			}
			if resp == nil || resp.Status != tt.status {
				t.Fatalf("response = %+v, want the answer alongside the error", resp)
			}
			if got := int(hits.Load()); got != tt.wantAttempts {
				t.Fatalf("server saw %d attempts, want %d", got, tt.wantAttempts)
			}
			if se.Attempts != tt.wantAttempts {
				t.Fatalf("error says %d attempts, want %d", se.Attempts, tt.wantAttempts)
			}
			if IsTransient(err) != tt.wantTransient {
				t.Fatalf("IsTransient = %v, want %v", !tt.wantTransient, tt.wantTransient)
			}
			if !strings.Contains(err.Error(), "nope") || !strings.Contains(err.Error(), se.Host) {
				t.Fatalf("error %q lacks the server message or host", err)
			}
		})
	}
}

func TestRetryThenSuccess(t *testing.T) {
	var hits atomic.Int32
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) < 3 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "done")
	})
	c := newClient(t, fastOptions(srv))
	var rec recorded
	resp, err := c.Do(rec.ctx(context.Background()), Request{URL: srv.URL})
	if err != nil || string(resp.Body) != "done" {
		t.Fatalf("Do = %v, %v", resp, err)
	}
	exs := rec.all()
	if len(exs) != 3 {
		t.Fatalf("recorded %d attempts, want 3", len(exs))
	}
	for i, ex := range exs {
		want := []int{503, 503, 200}[i]
		if ex.Attempt != i+1 || ex.Status != want {
			t.Fatalf("exchange %d: attempt %d status %d, want %d %d", i, ex.Attempt, ex.Status, i+1, want)
		}
	}
	if exs[0].Error == "" || exs[2].Error != "" {
		t.Fatalf("errors recorded wrongly: %q / %q", exs[0].Error, exs[2].Error)
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	var hits atomic.Int32
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		io.WriteString(w, "ok")
	})
	c := newClient(t, fastOptions(srv)) // MaxBackoff 5ms: only Retry-After can make it wait 1s
	start := time.Now()
	if _, err := c.Do(context.Background(), Request{Method: http.MethodPost, URL: srv.URL}); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el < 900*time.Millisecond {
		t.Fatalf("retried after %v, want Retry-After's 1s", el)
	}
	if hits.Load() != 2 {
		t.Fatalf("attempts = %d, want 2", hits.Load())
	}
}

func TestRetryAfterParse(t *testing.T) {
	now := time.Date(2025, 7, 25, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in     string
		want   time.Duration
		wantOK bool
	}{
		{"", 0, false},
		{"0", 0, true},
		{"7", 7 * time.Second, true},
		{"3600", MaxRetryAfter, true},
		{"99999999999999", MaxRetryAfter, true},
		{"-1", 0, false},
		{"soon", 0, false},
		{now.Add(10 * time.Second).Format(http.TimeFormat), 10 * time.Second, true},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0, true},
		{now.Add(time.Hour).Format(http.TimeFormat), MaxRetryAfter, true},
	}
	for _, tt := range tests {
		got, ok := retryAfter(tt.in, now)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("retryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestBackoffBounds(t *testing.T) {
	c := newClient(t, Options{BaseBackoff: 100 * time.Millisecond, MaxBackoff: time.Second})
	for n := 1; n <= 70; n++ {
		ceil := min(100*time.Millisecond<<min(n-1, 20), time.Second)
		for range 50 {
			if d := c.backoff(n); d < 0 || d > ceil {
				t.Fatalf("backoff(%d) = %v, want within [0, %v]", n, d, ceil)
			}
		}
	}
}

// closingServer reads each request, then drops the connection without
// answering: the request reached the server, the answer never came.
func closingServer(t *testing.T, hits *atomic.Int32) *httptest.Server {
	return newServer(t, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		io.Copy(io.Discard, r.Body)
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		conn.Close()
	})
}

func TestRetryTransportFailures(t *testing.T) {
	// A port with nothing listening: the connection is refused.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refusedURL := "https://" + l.Addr().String() + "/x"
	l.Close()

	tests := []struct {
		name         string
		method       string
		server       func(*testing.T, *atomic.Int32) *httptest.Server // nil: refused
		timeout      time.Duration
		wantAttempts int
		wantText     string
	}{
		{"refused GET retried", http.MethodGet, nil, 0, 4, "nothing listens there"},
		{"refused POST retried (never sent)", http.MethodPost, nil, 0, 4, "nothing listens there"},
		{"lost GET retried", http.MethodGet, closingServer, 0, 4, "closed before a complete answer"},
		{"lost POST not retried", http.MethodPost, closingServer, 0, 1, "closed before a complete answer"},
		{"timeout GET retried once", http.MethodGet, slowServer, 50 * time.Millisecond, 2, "no answer within 50ms"},
		{"timeout POST not retried", http.MethodPost, slowServer, 50 * time.Millisecond, 1, "no answer within 50ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var hits atomic.Int32
			o := Options{MaxAttempts: 4, BaseBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond, Timeout: tt.timeout}
			u := refusedURL
			if tt.server != nil {
				srv := tt.server(t, &hits)
				o.CAPEM = certPEM(srv)
				u = srv.URL + "/x"
			}
			c := newClient(t, o)
			var rec recorded
			_, err := c.Do(rec.ctx(context.Background()), Request{Method: tt.method, URL: u, Body: []byte(`{"a":1}`)})
			if err == nil {
				t.Fatal("want an error")
			}
			if !IsTransient(err) {
				t.Fatalf("IsTransient(%v) = false", err)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Fatalf("error %q lacks %q", err, tt.wantText)
			}
			exs := rec.all()
			if len(exs) != tt.wantAttempts {
				t.Fatalf("%d attempts, want %d", len(exs), tt.wantAttempts)
			}
			// A timed-out attempt may end before the request reaches the
			// handler (the handshake alone can take the whole budget on a
			// loaded machine): for those, the client-side count above is the
			// assertion, and the server must merely not see more.
			switch n := int(hits.Load()); {
			case tt.server == nil:
			case tt.timeout == 0 && n != tt.wantAttempts:
				t.Fatalf("server saw %d requests, want %d", n, tt.wantAttempts)
			case tt.timeout > 0 && (n > tt.wantAttempts || n == 0):
				t.Fatalf("server saw %d requests, want 1..%d", n, tt.wantAttempts)
			}
			for _, ex := range exs {
				if ex.Status != 0 || ex.Error == "" {
					t.Fatalf("exchange without answer recorded as status %d error %q", ex.Status, ex.Error)
				}
			}
		})
	}
}

func slowServer(t *testing.T, hits *atomic.Int32) *httptest.Server {
	return newServer(t, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		// The server notices a gone client only once the body is read.
		io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
			// Never answer a gone client: returning would send an implicit
			// 200 that a racing client could still read as a success.
			panic(http.ErrAbortHandler)
		case <-time.After(2 * time.Second):
		}
	})
}

func TestContextCancelStopsRetries(t *testing.T) {
	tests := []struct {
		name    string
		handler func(release <-chan struct{}) http.HandlerFunc
	}{
		{"during backoff", func(<-chan struct{}) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) }
		}},
		// The handler never answers while the test runs: leaving when its
		// own context ends could race a 200 back to the client.
		{"during a request", func(release <-chan struct{}) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				select {
				case <-release:
				case <-time.After(3 * time.Second):
				}
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var hits atomic.Int32
			release := make(chan struct{})
			h := tt.handler(release)
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) { hits.Add(1); h(w, r) })
			t.Cleanup(func() { close(release) }) // before the server closes
			o := fastOptions(srv)
			o.BaseBackoff, o.MaxBackoff, o.Timeout = 10*time.Second, 10*time.Second, 10*time.Second
			c := newClient(t, o)
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(100*time.Millisecond, cancel)
			start := time.Now()
			_, err := c.Do(ctx, Request{URL: srv.URL})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("error = %v, want context.Canceled", err)
			}
			if el := time.Since(start); el > 2*time.Second {
				t.Fatalf("Do returned %v after cancel", el)
			}
			if hits.Load() != 1 {
				t.Fatalf("%d attempts, want 1", hits.Load())
			}
			if IsTransient(err) {
				t.Fatal("a cancelled call is not transient")
			}
		})
	}
}

func TestBodyCap(t *testing.T) {
	const limit = 1024
	tests := []struct {
		size    int
		wantErr bool
	}{{limit, false}, {limit + 1, true}, {10 * limit, true}}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.size), func(t *testing.T) {
			var hits atomic.Int32
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				io.WriteString(w, strings.Repeat("a", tt.size))
			})
			o := fastOptions(srv)
			o.MaxBody = limit
			c := newClient(t, o)
			resp, err := c.Do(context.Background(), Request{URL: srv.URL})
			if !tt.wantErr {
				if err != nil || len(resp.Body) != tt.size {
					t.Fatalf("Do = %v; want %d bytes", err, tt.size)
				}
				return
			}
			if !errors.Is(err, ErrBodyTooLarge) {
				t.Fatalf("error = %v, want ErrBodyTooLarge", err)
			}
			if !strings.Contains(err.Error(), "larger than 1024 bytes") || IsTransient(err) || hits.Load() != 1 {
				t.Fatalf("error %q (transient %v, %d attempts)", err, IsTransient(err), hits.Load())
			}
		})
	}
}

func TestRecorderRedacts(t *testing.T) {
	const (
		basicPass   = "Basic-Pa55-word!"
		bearer      = "bearer-tok-9b7682b7"
		jsonSecret  = "json-client-secret-123"
		querySecret = "query-secret-456"
		formSecret  = "form-pass-789"
		respToken   = "answer-access-token-abc"
		cookie      = "session-cookie-value"
	)
	secrets := []string{basicPass, bearer, jsonSecret, querySecret, formSecret, respToken, cookie}
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Set-Cookie", "sid="+cookie)
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/fail" {
			// A careless server echoing the caller's password.
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprintf(w, `{"error":"invalid_client","error_description":"bad password %s"}`, basicPass)
			return
		}
		fmt.Fprintf(w, `{"access_token":%q,"token_type":"bearer"}`, respToken)
	})
	red := redact.New()
	o := fastOptions(srv)
	o.Redactor = red
	c := newClient(t, o)
	var rec recorded
	ctx := rec.ctx(context.Background())
	reqs := []Request{
		{Method: http.MethodPost, URL: srv.URL + "/json",
			Header: http.Header{"Content-Type": {"application/json"}},
			Body:   []byte(`{"data":{"client_id":"nexus_client","client_secret":"` + jsonSecret + `"}}`),
			Bearer: bearer},
		{Method: http.MethodPost, URL: srv.URL + "/q?grant_type=client_credentials&client_secret=" + querySecret,
			BasicUser: "nexus_client", BasicPass: basicPass},
		{Method: http.MethodPost, URL: srv.URL + "/form",
			Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Cookie": {"sid=" + cookie}},
			Body:   []byte("username=cc%5Cuser&grant_type=password&password=" + formSecret)},
		{Method: http.MethodPost, URL: srv.URL + "/fail?client_secret=" + querySecret, BasicUser: "ops", BasicPass: basicPass},
	}
	var errs []string
	for _, r := range reqs {
		if _, err := c.Do(ctx, r); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) != 1 || !strings.Contains(errs[0], "bad password "+redact.Mask) {
		t.Fatalf("errors = %q, want one 401 with the echoed password masked", errs)
	}
	exs := rec.all()
	if len(exs) != len(reqs) {
		t.Fatalf("%d exchanges, want %d", len(exs), len(reqs))
	}
	dump := fmt.Sprintf("%#v\n%s", exs, strings.Join(errs, "\n"))
	for _, s := range secrets {
		if strings.Contains(dump, s) {
			t.Errorf("secret %q leaked into exchanges or errors", s)
		}
	}
	// What is not secret stays readable: a transcript must still be useful.
	for _, want := range []string{"nexus_client", "grant_type=password", "username=cc%5Cuser", "Bearer " + redact.Mask, "Basic " + redact.Mask, "token_type"} {
		if !strings.Contains(dump, want) {
			t.Errorf("record lacks %q", want)
		}
	}
	if exs[0].Duration <= 0 || exs[0].Started.IsZero() || exs[0].Status != 200 || exs[3].Status != 401 {
		t.Errorf("timing/status not recorded: %+v", exs[0])
	}
}

func TestRecordedBodyCut(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, strings.Repeat("x", MaxRecordedBody+100))
	})
	c := newClient(t, fastOptions(srv))
	var rec recorded
	resp, err := c.Do(rec.ctx(context.Background()), Request{URL: srv.URL})
	if err != nil || len(resp.Body) != MaxRecordedBody+100 {
		t.Fatalf("Do = %v", err)
	}
	got := rec.all()[0].ResponseBody
	if len(got) > MaxRecordedBody+100 || !strings.HasSuffix(got, fmt.Sprintf("(cut: %d bytes in all)", MaxRecordedBody+100)) {
		t.Fatalf("recorded body of %d bytes ends %q", len(got), got[len(got)-40:])
	}
}

func TestConnectionReuse(t *testing.T) {
	for _, h2 := range []bool{false, true} {
		t.Run(fmt.Sprintf("http2=%v", h2), func(t *testing.T) {
			var conns atomic.Int32
			var protos sync.Map
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				protos.Store(r.Proto, true)
				io.WriteString(w, `{"n":1}`)
			}))
			srv.EnableHTTP2 = h2
			srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
				if s == http.StateNew {
					conns.Add(1)
				}
			}
			srv.StartTLS()
			t.Cleanup(srv.Close)
			c := newClient(t, fastOptions(srv))
			for i := range 10 {
				resp, err := c.Do(context.Background(), Request{URL: fmt.Sprintf("%s/%d", srv.URL, i)})
				if err != nil || resp.Status != 200 {
					t.Fatalf("request %d: %v", i, err)
				}
			}
			if n := conns.Load(); n != 1 {
				t.Fatalf("10 requests opened %d connections, want 1", n)
			}
			wantProto := "HTTP/1.1"
			if h2 {
				wantProto = "HTTP/2.0"
			}
			if _, ok := protos.Load(wantProto); !ok {
				t.Fatalf("server saw no %s request", wantProto)
			}
		})
	}
}

func TestRequestShape(t *testing.T) {
	type seen struct {
		method, path, query, ua, accept, ctype, auth, custom, body string
		user, pass                                                 string
		basicOK                                                    bool
	}
	got := make(chan seen, 1)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		u, p, ok := r.BasicAuth()
		got <- seen{r.Method, r.URL.Path, r.URL.RawQuery, r.UserAgent(), r.Header.Get("Accept"), r.Header.Get("Content-Type"),
			r.Header.Get("Authorization"), r.Header.Get("X-Ccid"), string(b), u, p, ok}
	})
	tests := []struct {
		name string
		req  Request
		ua   string
		want seen
	}{
		{"basic + JSON", Request{Method: "POST", URL: srv.URL + "/a/b?x=1", Header: http.Header{"Content-Type": {"application/json"}, "X-Ccid": {"cc1"}},
			Body: []byte(`{"a":1}`), BasicUser: "ops", BasicPass: "pw"}, "",
			seen{method: "POST", path: "/a/b", query: "x=1", ua: DefaultUserAgent, accept: "application/json", ctype: "application/json",
				custom: "cc1", body: `{"a":1}`, user: "ops", pass: "pw", basicOK: true}},
		{"bearer, default method", Request{URL: srv.URL + "/t", Bearer: "tok"}, "custom-agent/1",
			seen{method: "GET", path: "/t", ua: "custom-agent/1", accept: "application/json", auth: "Bearer tok"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := fastOptions(srv)
			o.UserAgent = tt.ua
			c := newClient(t, o)
			if _, err := c.Do(context.Background(), tt.req); err != nil {
				t.Fatal(err)
			}
			s := <-got
			if tt.want.basicOK {
				tt.want.auth = s.auth // the encoded header is checked through BasicAuth
			}
			if s != tt.want {
				t.Fatalf("server saw %+v\nwant %+v", s, tt.want)
			}
		})
	}
}

func TestStatusErrors(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		body     string
		header   map[string]string
		wantMsg  string
		wantText []string
	}{
		{"auth envelope", 400, `{"status":{"code":9,"message":"client exists"}}`, nil, "client exists", []string{"400 Bad Request: client exists"}},
		{"oauth", 401, `{"error":"invalid_client","error_description":"Bad client credentials"}`, nil,
			"invalid_client: Bad client credentials", []string{"401 Unauthorized", "check the credentials"}},
		{"oauth error only", 400, `{"error":"invalid_grant"}`, nil, "invalid_grant", nil},
		{"message", 403, `{"message":"denied"}`, nil, "denied", []string{"the account lacks permission"}},
		{"html page", 404, "<html><body>Not Found</body></html>", nil, "", []string{"check the URL/path (is this the right host?)"}},
		{"plain text", 500, "boom\nstack trace", nil, "boom", []string{"500 Internal Server Error: boom"}},
		{"long text cut", 500, strings.Repeat("é", 300), nil, strings.Repeat("é", 100) + "…", nil},
		{"redirect", 302, "", map[string]string{"Location": "https://login.example.com/ui?token=abcdef123"},
			"", []string{"redirects to https://login.example.com/ui?token=****"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			})
			c := newClient(t, fastOptions(srv))
			_, err := c.Do(context.Background(), Request{Method: "POST", URL: srv.URL + "/auth/v3/ops/clients?client_secret=zz"})
			var se *StatusError
			if !errors.As(err, &se) {
				t.Fatalf("error = %v, want *StatusError", err)
			}
			if se.Message != tt.wantMsg {
				t.Fatalf("Message = %q, want %q", se.Message, tt.wantMsg)
			}
			host := strings.TrimPrefix(srv.URL, "https://")
			for _, w := range append(tt.wantText, "POST "+host+"/auth/v3/ops/clients:") {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "client_secret") {
				t.Errorf("error %q shows the query", err)
			}
		})
	}
}

func TestBadURL(t *testing.T) {
	c := newClient(t, Options{})
	for _, u := range []string{"", "nexus.example.com/x", "ftp://h/x", "https://h/%zz"} {
		if _, err := c.Do(context.Background(), Request{URL: u}); err == nil || !strings.Contains(err.Error(), "check the configured URL") {
			t.Errorf("Do(%q) error = %v", u, err)
		}
	}
}

func TestPretty(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"a":{"b":1}}`, "{\n  \"a\": {\n    \"b\": 1\n  }\n}"},
		{"  [1,2] \n", "[\n  1,\n  2\n]"},
		{"not json", "not json"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := Pretty(tt.in); got != tt.want {
			t.Errorf("Pretty(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestIsTransientForeignErrors(t *testing.T) {
	for _, err := range []error{nil, errors.New("x"), context.Canceled, fmt.Errorf("wrapped: %w", &StatusError{Status: 503})} {
		want := err != nil && strings.HasPrefix(err.Error(), "wrapped")
		if IsTransient(err) != want {
			t.Errorf("IsTransient(%v) = %v", err, !want)
		}
	}
}

func BenchmarkDo(b *testing.B) {
	srv := newServer(b, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"status":{"code":0},"data":{"contactCenters":[{"id":"578ec98e","auth":"configServer"}]}}`)
	})
	c := newClient(b, fastOptions(srv))
	ctx := context.Background()
	req := Request{URL: srv.URL + "/environment/v3/contact-centers", BasicUser: "ops", BasicPass: "ops-password"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Do(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

// Every attempt is announced before it is sent (so a UI can show a request
// in flight), with its request half already redacted, and finished later.
func TestAttemptsAnnouncedBeforeSending(t *testing.T) {
	var calls int
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		calls++
		if calls == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, `{}`)
	})
	c := newClient(t, fastOptions(srv))
	var rec recorded
	if _, err := c.Do(rec.ctx(context.Background()), Request{URL: srv.URL, BasicUser: "ops", BasicPass: "announce-secret"}); err != nil {
		t.Fatal(err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.pending) != 2 || len(rec.exs) != 2 {
		t.Fatalf("%d announced, %d finished; want 2 and 2", len(rec.pending), len(rec.exs))
	}
	for i, p := range rec.pending {
		if p.Attempt != i+1 || p.Status != 0 || p.RequestHeader.Get("Authorization") != "Basic ****" {
			t.Errorf("announcement %d: %+v", i, p)
		}
	}
}

// A silent server costs at most two timeouts, whatever MaxAttempts says: a
// timed-out attempt is retried at most once (never for a POST).
func TestTimeoutRetriedAtMostOnce(t *testing.T) {
	addr := testkit.SilentListener(t)
	for _, tt := range []struct {
		method string
		want   int
	}{{http.MethodGet, 2}, {http.MethodPut, 2}, {http.MethodPost, 1}} {
		t.Run(tt.method, func(t *testing.T) {
			c := newClient(t, Options{MaxAttempts: 10, Timeout: 40 * time.Millisecond, BaseBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond})
			var rec recorded
			start := time.Now()
			_, err := c.Do(rec.ctx(context.Background()), Request{Method: tt.method, URL: "https://" + addr + "/auth/v3/ops/clients"})
			if err == nil || !IsTransient(err) || !strings.Contains(err.Error(), "no answer within 40ms") {
				t.Fatalf("err = %v, want a transient timeout", err)
			}
			if n := len(rec.all()); n != tt.want {
				t.Fatalf("%d attempts, want %d", n, tt.want)
			}
			if el := time.Since(start); el > 2*time.Second {
				t.Fatalf("took %v", el)
			}
		})
	}
}

// Transient statuses keep their retries after a timeout; only the count of
// attempts after the timeout is bounded.
func TestTimeoutThenStatusRetries(t *testing.T) {
	var hits atomic.Int32
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch hits.Add(1) {
		case 1, 2, 3:
			w.WriteHeader(http.StatusServiceUnavailable)
		default:
			io.WriteString(w, `{}`)
		}
	})
	c := newClient(t, fastOptions(srv))
	resp, err := c.Do(context.Background(), Request{URL: srv.URL})
	if err != nil || resp.Status != 200 || hits.Load() != 4 {
		t.Fatalf("resp %v err %v hits %d, want 200 after 3×503", resp, err, hits.Load())
	}
}

// A deadline on the context bounds the whole Do: attempts against a silent
// server stop at it, and a backoff that would outlast it is not started.
func TestContextDeadlineBoundsDo(t *testing.T) {
	t.Run("silent server", func(t *testing.T) {
		addr := testkit.SilentListener(t)
		c := newClient(t, Options{Timeout: 10 * time.Second})
		ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := c.Do(ctx, Request{Method: http.MethodPost, URL: "https://" + addr + "/x"})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want the deadline", err)
		}
		if el := time.Since(start); el > 150*time.Millisecond+time.Second {
			t.Fatalf("Do returned after %v, past the 150ms deadline", el)
		}
	})
	t.Run("retry-after beyond the deadline", func(t *testing.T) {
		var hits atomic.Int32
		srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
			hits.Add(1)
			w.Header().Set("Retry-After", "5")
			w.WriteHeader(http.StatusServiceUnavailable)
		})
		c := newClient(t, fastOptions(srv))
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		start := time.Now()
		_, err := c.Do(ctx, Request{URL: srv.URL + "/x"})
		var se *StatusError
		if !errors.As(err, &se) || se.Status != 503 {
			t.Fatalf("err = %v, want the 503 itself, not a stop", err)
		}
		if el := time.Since(start); el > time.Second || hits.Load() != 1 {
			t.Fatalf("took %v with %d attempts: a wait past the deadline was started", el, hits.Load())
		}
	})
}
