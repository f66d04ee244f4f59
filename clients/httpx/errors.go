package httpx

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"
)

// ErrBodyTooLarge is matched (errors.Is) by the error of an answer larger than
// Options.MaxBody.
var ErrBodyTooLarge = errors.New("response body too large")

// StatusError is an answer with a status of 300 or more.
type StatusError struct {
	Method, Host, Path string
	Status             int
	// Message is the server's own explanation (status.message,
	// error_description, error or message of a JSON body), redacted and short.
	Message string
	// Location is where a 3xx answer redirects to (redacted).
	Location string
	// Attempts is how many attempts were made in all.
	Attempts int
}

// Error names the call, the status, the server's message and what to do.
func (e *StatusError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s%s: %d %s", e.Method, e.Host, e.Path, e.Status, http.StatusText(e.Status))
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if h := e.Hint(); h != "" {
		b.WriteString(": " + h)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}
	return b.String()
}

// Hint says what the user can do about this status.
func (e *StatusError) Hint() string {
	switch s := e.Status; {
	case s >= 300 && s < 400:
		if e.Location != "" {
			return "the server redirects to " + e.Location + ": configure that URL instead"
		}
		return "the server redirects: check the URL (https, host and path)"
	case s == http.StatusUnauthorized:
		return "check the credentials"
	case s == http.StatusForbidden:
		return "the account lacks permission"
	case s == http.StatusNotFound, s == http.StatusMethodNotAllowed:
		return "check the URL/path (is this the right host?)"
	case s == http.StatusConflict:
		return "it already exists"
	case s == http.StatusTooManyRequests:
		return "the server is rate limiting: try again in a minute"
	case s == http.StatusBadGateway, s == http.StatusGatewayTimeout:
		return "the load balancer got no answer from the service behind it: check that the service is up, then retry"
	case s == http.StatusServiceUnavailable:
		return "the service is unavailable: try again later"
	case s >= 500:
		return "the server failed: check its logs, then retry"
	}
	return ""
}

// RequestError is a failure without a usable answer: no connection, TLS
// refused, timeout, connection lost, answer too large.
type RequestError struct {
	Method, Host, Path string
	// Err is the cause (never the *url.Error around it, whose text holds
	// the full URL and so possibly a secret in the query).
	Err error
	// Attempts is how many attempts were made in all.
	Attempts int

	msg       string // redacted text of Err
	hint      string
	kind      failKind
	transient bool
}

// Error names the call, the cause and what to do.
func (e *RequestError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s%s: %s", e.Method, e.Host, e.Path, e.msg)
	if e.hint != "" {
		b.WriteString(": " + e.hint)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *RequestError) Unwrap() error { return e.Err }

// Hint says what the user can do about this failure.
func (e *RequestError) Hint() string { return e.hint }

// IsUntrusted reports whether err is a server certificate signed by a CA
// this machine does not trust: the fix is a CA file (ca_file).
func IsUntrusted(err error) bool {
	var re *RequestError
	return errors.As(err, &re) && re.kind == failTLS && re.hint == hintUntrusted
}

// IsTransient reports whether err is a failure that may pass on its own:
// connection errors, timeouts, 429, 502, 503 and 504. For a POST such an
// error may mean the server did process the request: check before retrying.
func IsTransient(err error) bool {
	var se *StatusError
	if errors.As(err, &se) {
		return transientStatus(se.Status)
	}
	var re *RequestError
	if errors.As(err, &re) {
		return re.transient
	}
	return false
}

func transientStatus(s int) bool {
	switch s {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// failKind sorts transport failures by what a retry may do.
type failKind int

const (
	failOther    failKind = iota // permanent
	failDial                     // nothing reached the server: safe to retry any method
	failTimeout                  // the server may have processed the request
	failLost                     // connection lost mid-exchange: same
	failTLS                      // certificate or TLS problem: permanent
	failDNS                      // no such host: permanent
	failTooLarge                 // answer over the cap: permanent
)

type timeoutError struct {
	d   time.Duration
	err error
}

func (e *timeoutError) Error() string { return fmt.Sprintf("no answer within %s", e.d) }
func (e *timeoutError) Unwrap() error { return e.err }

type bodyTooLargeError struct{ limit int64 }

func (e *bodyTooLargeError) Error() string {
	return fmt.Sprintf("the answer is larger than %s, the limit", size(e.limit))
}
func (e *bodyTooLargeError) Is(target error) bool { return target == ErrBodyTooLarge }

func size(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// requestError classifies a transport failure and words it for the user.
func (c *Client) requestError(method string, u *url.URL, err error) *RequestError {
	if ue, ok := err.(*url.Error); ok {
		err = ue.Err
	}
	kind, hint := classify(err, u.Hostname())
	return &RequestError{
		Method:    method,
		Host:      u.Host,
		Path:      u.Path,
		Err:       err,
		msg:       c.red.String(err.Error()),
		hint:      hint,
		kind:      kind,
		transient: kind == failDial || kind == failTimeout || kind == failLost,
	}
}

const hintUntrusted = "the server certificate is not trusted: set ca_file to the CA that signed it (or insecure_skip_verify for a lab)"

func classify(err error, host string) (failKind, string) {
	var (
		unknownCA   x509.UnknownAuthorityError
		hostErr     x509.HostnameError
		invalidCert x509.CertificateInvalidError
		verifyErr   *tls.CertificateVerificationError
		recordErr   tls.RecordHeaderError
		dnsErr      *net.DNSError
		opErr       *net.OpError
		tooLarge    *bodyTooLargeError
		timeout     *timeoutError
		h2Stream    h2StreamError
	)
	switch {
	case errors.As(err, &tooLarge):
		return failTooLarge, "is this the right URL?"
	case errors.As(err, &hostErr):
		return failTLS, "the server certificate is not valid for " + host + ": check the host name in the URL (or set insecure_skip_verify for a lab)"
	case errors.As(err, &invalidCert):
		return failTLS, "the server certificate is invalid (expired or not yet valid?): renew it (or set insecure_skip_verify for a lab)"
	case errors.As(err, &unknownCA), errors.As(err, &verifyErr):
		return failTLS, hintUntrusted
	case errors.As(err, &recordErr):
		return failTLS, "the server does not speak TLS on this port: check the URL's scheme (https) and port"
	case errors.As(err, &dnsErr) && !dnsErr.IsTemporary && !dnsErr.IsTimeout:
		return failDNS, "check the host name in the URL (and DNS or VPN)"
	case errors.As(err, &opErr) && opErr.Op == "proxyconnect":
		return failDial, "could not reach the proxy: check HTTPS_PROXY/NO_PROXY"
	case errors.As(err, &opErr) && opErr.Op == "dial":
		if errors.Is(err, syscall.ECONNREFUSED) {
			return failDial, "nothing listens there: check the URL's host and port, and that the service is up"
		}
		return failDial, "could not connect: check the URL, the network path (VPN, firewall) and HTTPS_PROXY/NO_PROXY"
	case errors.As(err, &timeout):
		return failTimeout, "the host may be unreachable from here (VPN, firewall, proxy?) or overloaded"
	case isTimeout(err):
		return failTimeout, "the host may be unreachable from here (VPN, firewall, proxy?) or overloaded"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, syscall.ECONNABORTED),
		// Over HTTP/2 a dropped answer is a reset stream (RST_STREAM) or a
		// lost connection, not an EOF: the request may have been processed.
		// net/http exports no type for the lost connection: its text is
		// the one thing to match.
		errors.As(err, &h2Stream), strings.Contains(err.Error(), "http2: client connection lost"):
		return failLost, "the connection was closed before a complete answer: check the load balancer and proxy"
	}
	// net/http has no type for this either (an unexported errors.New).
	if strings.Contains(err.Error(), "server gave HTTP response to HTTPS client") {
		return failOther, "the server speaks plain HTTP on this port: check the URL's scheme and port"
	}
	return failOther, ""
}

// h2StreamError has the shape of net/http's (unexported) HTTP/2 stream
// error, whose As method fills any struct of the same fields.
type h2StreamError struct {
	StreamID uint32
	Code     uint32
	Cause    error
}

func (e h2StreamError) Error() string {
	return fmt.Sprintf("stream error: stream ID %d; code %d", e.StreamID, e.Code)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// statusError builds the error of an answer with a status of 300 or more.
func (c *Client) statusError(method string, u *url.URL, resp *http.Response, body []byte) *StatusError {
	e := &StatusError{Method: method, Host: u.Host, Path: u.Path, Status: resp.StatusCode}
	// Redact the whole body before serverMessage keeps its first line and
	// short() cuts it and folds its whitespace, each of which would leave a
	// secret in a shape String misses; and the message again, for secrets
	// that only JSON decoding spelt out.
	e.Message = short(c.red.String(serverMessage(c.red.Bytes(body))))
	if loc := resp.Header.Get("Location"); loc != "" && resp.StatusCode < 400 {
		e.Location = c.red.URL(loc)
	}
	return e
}

// maxMessage bounds the server message kept in an error: a one-line reason,
// not a page.
const maxMessage = 200

// serverMessage finds the server's explanation in an error body, whole:
// the caller redacts it, then shortens it.
func serverMessage(body []byte) string {
	var v struct {
		Status *struct {
			Message string `json:"message"`
		} `json:"status"`
		Error            json.RawMessage `json:"error"`
		ErrorDescription string          `json:"error_description"`
		Message          string          `json:"message"`
	}
	trimmed := strings.TrimSpace(string(body))
	if trimmed == "" {
		return ""
	}
	if err := json.Unmarshal([]byte(trimmed), &v); err == nil {
		var errText string
		_ = json.Unmarshal(v.Error, &errText) // "error" is a string in OAuth, sometimes an object elsewhere
		switch {
		case v.Status != nil && v.Status.Message != "":
			return v.Status.Message
		case errText != "" && v.ErrorDescription != "":
			return errText + ": " + v.ErrorDescription
		case v.ErrorDescription != "":
			return v.ErrorDescription
		case errText != "":
			return errText
		case v.Message != "":
			return v.Message
		}
		return ""
	}
	if strings.HasPrefix(trimmed, "<") {
		return "" // an HTML error page says nothing a status line doesn't
	}
	line, _, _ := strings.Cut(trimmed, "\n")
	return line
}

func short(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= maxMessage {
		return s
	}
	cut := maxMessage
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// setAttempts records the number of attempts on the final error.
func setAttempts(err error, n int) {
	var se *StatusError
	if errors.As(err, &se) {
		se.Attempts = n
	}
	var re *RequestError
	if errors.As(err, &re) {
		re.Attempts = n
	}
}

// SaysExists reports whether a server message means "already exists". The
// exact status of a duplicate create is unverified for every service of the
// procedure, so the words decide (negations excluded).
func SaysExists(msg string) bool {
	m := strings.ToLower(msg)
	for _, no := range []string{"not exist", "n't exist", "no longer exist", "nonexist", "non-exist"} {
		if strings.Contains(m, no) {
			return false
		}
	}
	return strings.Contains(m, "exist") || strings.Contains(m, "duplicate")
}
