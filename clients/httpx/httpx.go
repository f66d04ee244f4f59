// Package httpx is the one HTTP layer under every remote call nexus-onboard
// makes (Auth Services, Environment API, Digital Channels).
//
// It owns what every call needs and no call should redo: TLS with verified
// certificates (plus an extra CA for private clusters), proxies from the
// environment, keep-alive connection reuse, a per-attempt timeout, a response
// size cap, retries of transient failures that never repeat a write the server
// may already have processed, errors that name the host and say what to do, and
// a redacted record of every attempt for the transcript.
package httpx

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nexus-onboard/nexus-onboard/clients/redact"
)

// Defaults applied by New to zero Options fields.
const (
	DefaultTimeout     = 15 * time.Second
	DefaultMaxAttempts = 4
	DefaultBaseBackoff = 200 * time.Millisecond
	DefaultMaxBackoff  = 5 * time.Second
	DefaultMaxBody     = 4 << 20
	DefaultUserAgent   = "nexus-onboard"
)

// MaxRetryAfter caps how long a server's Retry-After can make us wait: a
// wizard that sleeps for an hour looks hung.
const MaxRetryAfter = 30 * time.Second

// Options configures a Client. Zero values take the defaults above.
type Options struct {
	// CAFile names a PEM file of extra CA certificates, appended to the
	// system pool (private clusters often use their own CA).
	CAFile string
	// CAPEM holds extra PEM CA certificates in memory (tests, sandbox).
	CAPEM []byte
	// InsecureSkipVerify turns certificate checks off. Only ever an explicit
	// user choice; the caller warns about it.
	InsecureSkipVerify bool
	// Timeout bounds one attempt, from dial to the last byte of the body.
	// A deadline on the context of Do (a caller's budget for the whole
	// call, retries and backoff included) ends attempts and waits earlier.
	Timeout time.Duration
	// MaxAttempts bounds the attempts of one Do, the first one included.
	MaxAttempts int
	// BaseBackoff and MaxBackoff shape the exponential backoff (full jitter).
	BaseBackoff, MaxBackoff time.Duration
	// MaxBody caps the size of a response body; larger answers fail with
	// ErrBodyTooLarge.
	MaxBody int64
	// Redactor masks secrets in errors and recorded exchanges. When nil, New
	// makes one. Do registers each request's basic password and bearer token
	// with it, so they are masked wherever they show up later.
	Redactor *redact.Redactor
	// UserAgent is sent with every request.
	UserAgent string
	// Transport, when set, is used instead of a transport of the client's
	// own: clients sharing one (a batch of tenants) reuse its connections.
	// CAFile, CAPEM and InsecureSkipVerify are then the transport's
	// (NewTransport), not these.
	Transport *Transport
	// MaxConnsPerHost bounds the connections NewTransport's transport
	// opens to one host (0: no bound).
	MaxConnsPerHost int
}

// Client sends requests over one shared transport. Safe for concurrent use.
type Client struct {
	hc  *http.Client
	opt Options
	red *redact.Redactor
}

// New builds a Client whose transport keeps connections alive, attempts
// HTTP/2, honours HTTPS_PROXY/NO_PROXY and verifies certificates (TLS 1.2+).
func New(o Options) (*Client, error) {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.BaseBackoff <= 0 {
		o.BaseBackoff = DefaultBaseBackoff
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = DefaultMaxBackoff
	}
	if o.MaxBody <= 0 {
		o.MaxBody = DefaultMaxBody
	}
	if o.UserAgent == "" {
		o.UserAgent = DefaultUserAgent
	}
	if o.Redactor == nil {
		o.Redactor = redact.New()
	}
	tr := o.Transport
	if tr == nil {
		var err error
		if tr, err = NewTransport(o); err != nil {
			return nil, err
		}
	}
	hc := &http.Client{
		Transport: tr,
		// Redirects are answered, not followed: a redirect here almost always
		// means a wrong URL (http→https, a login page), and following one
		// would turn a POST into a GET or drop the credentials silently.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return &Client{hc: hc, opt: o, red: o.Redactor}, nil
}

// NewTransport is the transport New gives a client: keep-alive, HTTP/2
// attempted, HTTPS_PROXY/NO_PROXY honoured, certificates verified (TLS
// 1.2+) against the system pool plus o's CAs, at most o.MaxConnsPerHost
// connections per host. Share it through Options.Transport.
func NewTransport(o Options) (*Transport, error) {
	pems, err := extraCAs(o.CAFile, o.CAPEM)
	if err != nil {
		return nil, err
	}
	if pems == nil {
		return &Transport{first: newHTTPTransport(o, nil)}, nil // nil RootCAs: the system pool
	}
	extra := x509.NewCertPool()
	for _, p := range pems {
		extra.AppendCertsFromPEM(p)
	}
	t := &Transport{first: newHTTPTransport(o, extra)}
	if !o.InsecureSkipVerify {
		t.wide = sync.OnceValue(func() *http.Transport {
			t.wideBuilt.Store(true)
			return newHTTPTransport(o, systemPlus(pems))
		})
	}
	return t, nil
}

func newHTTPTransport(o Options, roots *x509.CertPool) *http.Transport {
	// Connecting is part of a request: the attempt's deadline (the request
	// timeout) bounds the dial and the TLS handshake, and names itself
	// when it strikes. These limits only back it up, a second later, so
	// --request-timeout means what it says and is never cut shorter.
	connect := o.Timeout
	if connect <= 0 {
		connect = DefaultTimeout
	}
	connect += time.Second
	return &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: (&net.Dialer{
			Timeout:   connect,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          32,
		MaxIdleConnsPerHost:   8,
		MaxConnsPerHost:       o.MaxConnsPerHost,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   connect,
		ExpectContinueTimeout: time.Second,
		TLSClientConfig: &tls.Config{
			MinVersion:         tls.VersionTLS12,
			RootCAs:            roots,
			InsecureSkipVerify: o.InsecureSkipVerify, //nolint:gosec // explicit user choice, warned about by the caller
		},
	}
}

// Transport is the http.RoundTripper of a Client. It trusts the system
// pool plus the extra CAs (ca_file, CA data), exactly as one pool would,
// but reads the system pool only when a server needs it: parsing it costs
// more than the rest of a short run's start (≈150 certificates), and a
// private-edition cluster's servers are usually signed by the ca_file
// alone.
//
// How: every host is first verified against the extra CAs only. A host
// whose certificate that refuses is verified again, on a second transport,
// against the system pool plus the extra CAs, and stays on it. A
// certificate the extra CAs accept is accepted by the union too, so what is
// trusted is the union, no more and no less; the refused handshake sent
// nothing of the request, so trying again is safe for any method. An error
// from the second attempt is the one the caller sees, the same error a
// single union pool gives.
type Transport struct {
	first *http.Transport
	// wide builds the union's transport on first need; nil when there are
	// no extra CAs (first then trusts the system pool itself) or when
	// verification is off.
	wide func() *http.Transport
	// wideHosts holds the hosts ("host:port") that first refused.
	wideHosts sync.Map
	wideBuilt atomic.Bool
}

// RoundTrip sends req on the transport its host verifies with.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.wide == nil || req.URL.Scheme != "https" {
		return t.first.RoundTrip(req)
	}
	host := canonicalHost(req.URL)
	if _, ok := t.wideHosts.Load(host); ok {
		return t.wide().RoundTrip(req)
	}
	resp, err := t.first.RoundTrip(req)
	var ve *tls.CertificateVerificationError
	if err == nil || !errors.As(err, &ve) {
		return resp, err
	}
	again := req
	if req.Body != nil && req.Body != http.NoBody {
		if req.GetBody == nil {
			return nil, err // cannot happen for this package's requests: they carry bytes
		}
		body, berr := req.GetBody()
		if berr != nil {
			return nil, err
		}
		again = req.Clone(req.Context())
		again.Body = body
	}
	t.wideHosts.Store(host, struct{}{})
	return t.wide().RoundTrip(again)
}

// CloseIdleConnections closes the idle connections of both transports.
func (t *Transport) CloseIdleConnections() {
	t.first.CloseIdleConnections()
	if t.wideBuilt.Load() {
		t.wide().CloseIdleConnections()
	}
}

// canonicalHost is "host:port" of u, the port made explicit.
func canonicalHost(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "443"
	}
	return net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// extraCAs reads the extra CAs, each source checked to hold a PEM
// certificate; nil when there are none.
func extraCAs(caFile string, caPEM []byte) ([][]byte, error) {
	var out [][]byte
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("read ca_file: %w: check the path", err)
		}
		if !x509.NewCertPool().AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ca_file %s holds no PEM certificate: give the CA certificate in PEM form (-----BEGIN CERTIFICATE-----)", caFile)
		}
		out = append(out, pem)
	}
	if len(caPEM) > 0 {
		if !x509.NewCertPool().AppendCertsFromPEM(caPEM) {
			return nil, errors.New("the CA data holds no PEM certificate: give the CA certificate in PEM form (-----BEGIN CERTIFICATE-----)")
		}
		out = append(out, caPEM)
	}
	return out, nil
}

// systemPlus is the system pool plus the extra CAs.
func systemPlus(pems [][]byte) *x509.CertPool {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	for _, p := range pems {
		pool.AppendCertsFromPEM(p)
	}
	return pool
}

// Redactor returns the redactor this client masks with, so that callers can
// register secrets they receive (tokens, API keys).
func (c *Client) Redactor() *redact.Redactor { return c.red }

// Request is one HTTP call to make.
type Request struct {
	Method, URL string
	// Header is sent as is; the caller sets Content-Type for a body.
	Header http.Header
	// Body is the JSON or form body, if any.
	Body []byte
	// BasicUser and BasicPass set HTTP basic auth when BasicUser is not "".
	BasicUser, BasicPass string
	// Bearer sets "Authorization: Bearer <Bearer>" when not "".
	Bearer string
}

// Response is a complete answer, its body read (within the size cap).
type Response struct {
	Status int
	Header http.Header
	Body   []byte
	// Proto is the protocol the answer came with ("HTTP/1.1", "HTTP/2.0").
	Proto string
}

// Exchange is the redacted record of one attempt, for the transcript.
type Exchange struct {
	Method         string      `json:"method"`
	URL            string      `json:"url"` // redacted
	RequestHeader  http.Header `json:"request_header,omitempty"`
	RequestBody    string      `json:"request_body,omitempty"` // redacted; JSON-aware, form fields masked by name
	Status         int         `json:"status"`                 // 0 when no answer came
	ResponseHeader http.Header `json:"response_header,omitempty"`
	ResponseBody   string      `json:"response_body,omitempty"` // redacted, cut to MaxRecordedBody with a note
	Attempt        int         `json:"attempt"`
	Started        time.Time   `json:"started"`
	// Duration is stored in nanoseconds in JSON.
	Duration time.Duration `json:"duration_ns"`
	Error    string        `json:"error,omitempty"` // redacted
	// Pending marks the announcement of an attempt about to be sent; the
	// recorder gets the finished Exchange of the same attempt later.
	Pending bool `json:"-"`
}

// MaxRecordedBody is how much of a response body an Exchange keeps.
const MaxRecordedBody = 64 << 10

type recorderKey struct{}

// WithRecorder returns a context under which every attempt of Do is passed to
// f once it has finished. f is called from Do's goroutine.
func WithRecorder(ctx context.Context, f func(Exchange)) context.Context {
	return context.WithValue(ctx, recorderKey{}, f)
}

func recorderFrom(ctx context.Context) func(Exchange) {
	f, _ := ctx.Value(recorderKey{}).(func(Exchange))
	return f
}

// Do sends req. It retries transient failures with backoff, but repeats a
// POST only when the server surely did not process it (no connection, 429,
// 503); a POST that may have landed fails with an error for which IsTransient
// is true, and the caller checks the state before trying again. A status of
// 300 or more returns the Response together with a *StatusError, so callers
// can both map the error and read the body. Each attempt is passed, redacted,
// to the recorder of ctx (WithRecorder).
func (c *Client) Do(ctx context.Context, req Request) (*Response, error) {
	if req.Method == "" {
		req.Method = http.MethodGet
	}
	u, err := url.Parse(req.URL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("%s %s: not an absolute http(s) URL: check the configured URL", req.Method, c.red.URL(req.URL))
	}
	// The credentials of the request are secrets of this run: register them
	// so that any echo of them (an error, a body) is masked too.
	c.red.Add(req.BasicPass, req.Bearer)

	var lastResp *Response
	var lastErr error
	limit := c.opt.MaxAttempts
	for attempt := 1; ; attempt++ {
		resp, err := c.attempt(ctx, req, u, attempt)
		lastResp, lastErr = resp, err
		if err == nil {
			return resp, nil
		}
		if ctx.Err() != nil {
			return nil, c.ctxError(req.Method, u, ctx.Err())
		}
		wait, retry := c.retryDecision(req.Method, resp, err, attempt)
		if timedOut(err) {
			// A server that stayed silent for a whole attempt will most
			// likely stay silent: one more try at most, not MaxAttempts
			// times the timeout.
			limit = min(limit, attempt+1)
		}
		if !retry || attempt >= limit || !fitsDeadline(ctx, wait) {
			setAttempts(lastErr, attempt)
			return lastResp, lastErr
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, c.ctxError(req.Method, u, ctx.Err())
		case <-t.C:
		}
	}
}

// fitsDeadline reports whether a wait ends before ctx's deadline: waiting
// into the deadline would only turn the last error into "stopped".
func fitsDeadline(ctx context.Context, wait time.Duration) bool {
	dl, ok := ctx.Deadline()
	return !ok || time.Until(dl) > wait
}

func (c *Client) ctxError(method string, u *url.URL, err error) error {
	return fmt.Errorf("%s %s%s: stopped: %w", method, u.Host, u.Path, err)
}

// attempt makes one try. On a status >= 300 it returns the response and a
// *StatusError; on a transport failure a *RequestError.
func (c *Client) attempt(ctx context.Context, req Request, u *url.URL, n int) (*Response, error) {
	actx, cancel := context.WithTimeout(ctx, c.opt.Timeout)
	defer cancel()

	hreq, err := http.NewRequestWithContext(actx, req.Method, u.String(), bytes.NewReader(req.Body))
	if err != nil {
		return nil, &RequestError{Method: req.Method, Host: u.Host, Path: u.Path, Err: err}
	}
	for k, vs := range req.Header {
		hreq.Header[k] = append([]string(nil), vs...)
	}
	if hreq.Header.Get("Accept") == "" {
		hreq.Header.Set("Accept", "application/json")
	}
	hreq.Header.Set("User-Agent", c.opt.UserAgent)
	if req.BasicUser != "" {
		hreq.SetBasicAuth(req.BasicUser, req.BasicPass)
	}
	if req.Bearer != "" {
		hreq.Header.Set("Authorization", "Bearer "+req.Bearer)
	}

	rec := recorderFrom(ctx)
	ex := Exchange{Method: req.Method, URL: c.red.URL(req.URL), Attempt: n, Started: time.Now()}
	if rec != nil {
		ex.RequestHeader = c.red.Header(hreq.Header)
		ex.RequestBody = c.redactBody(hreq.Header.Get("Content-Type"), req.Body)
		// Announce the attempt before it goes out, so a slow answer shows
		// as waiting rather than as nothing.
		pending := ex
		pending.Pending = true
		rec(pending)
	}

	resp, body, err := c.send(actx, hreq)
	ex.Duration = time.Since(ex.Started)
	if err != nil {
		// The *url.Error around the cause repeats the full URL, query
		// included, where a secret may travel: keep the cause only.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		if actx.Err() == context.DeadlineExceeded && ctx.Err() == nil {
			err = &timeoutError{d: c.opt.Timeout, err: err}
		}
		rerr := c.requestError(req.Method, u, err)
		if rec != nil {
			if resp != nil {
				ex.Status = resp.StatusCode
				ex.ResponseHeader = c.red.Header(resp.Header)
			}
			ex.Error = rerr.Error()
			rec(ex)
		}
		return nil, rerr
	}

	out := &Response{Status: resp.StatusCode, Header: resp.Header, Body: body, Proto: resp.Proto}
	var serr error
	if resp.StatusCode >= 300 {
		serr = c.statusError(req.Method, u, resp, body)
	}
	if rec != nil {
		ex.Status = resp.StatusCode
		ex.ResponseHeader = c.red.Header(resp.Header)
		ex.ResponseBody = c.recordBody(body)
		if serr != nil {
			ex.Error = serr.Error()
		}
		rec(ex)
	}
	return out, serr
}

// send performs the round trip and reads the body within the cap.
func (c *Client) send(ctx context.Context, hreq *http.Request) (*http.Response, []byte, error) {
	resp, err := c.hc.Do(hreq)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.opt.MaxBody+1))
	if err != nil {
		return resp, nil, err
	}
	if int64(len(body)) > c.opt.MaxBody {
		return resp, nil, &bodyTooLargeError{limit: c.opt.MaxBody}
	}
	return resp, body, nil
}

// redactBody masks a request body for the record: form fields by name, JSON
// fields by name, and every known secret.
func (c *Client) redactBody(contentType string, body []byte) string {
	if len(body) == 0 {
		return ""
	}
	if strings.HasPrefix(strings.ToLower(contentType), "application/x-www-form-urlencoded") {
		return c.red.Form(string(body))
	}
	return string(c.red.JSON(body))
}

func (c *Client) recordBody(body []byte) string {
	if len(body) > MaxRecordedBody {
		// Redact the whole body before cutting, so a secret that straddles
		// the cut is still recognised.
		red := c.red.JSON(body)
		if len(red) > MaxRecordedBody {
			return string(red[:MaxRecordedBody]) + fmt.Sprintf("\n… (cut: %d bytes in all)", len(body))
		}
		return string(red)
	}
	return string(c.red.JSON(body))
}

// Pretty indents body when it is JSON and returns it unchanged otherwise;
// for previews and transcripts.
func Pretty(body string) string {
	var out bytes.Buffer
	// Only JSON's own white space: "0\f" is not JSON and stays as it is.
	if err := json.Indent(&out, []byte(strings.Trim(body, " \t\r\n")), "", "  "); err != nil {
		return body
	}
	return out.String()
}
