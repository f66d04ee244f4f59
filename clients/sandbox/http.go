package sandbox

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Non-zero codes in error envelopes. The real services' numbering is not
// public, so clients may rely only on "non-zero means failure", the message
// and the HTTP status; these values are the sandbox's own.
const (
	codeBadRequest   = 1
	codeUnauthorized = 2
	codeForbidden    = 3
	codeNotFound     = 4
	codeMethod       = 5
	codeConflict     = 6
	codeServer       = 7
)

func codeFor(httpStatus int) int {
	switch httpStatus {
	case http.StatusUnauthorized:
		return codeUnauthorized
	case http.StatusForbidden:
		return codeForbidden
	case http.StatusNotFound:
		return codeNotFound
	case http.StatusMethodNotAllowed:
		return codeMethod
	case http.StatusConflict:
		return codeConflict
	}
	if httpStatus >= 500 {
		return codeServer
	}
	return codeBadRequest
}

// envelopeStatus is the "status" object of Auth, Environment and Nexus answers.
type envelopeStatus struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		http.Error(w, "sandbox: encode answer: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// writeData answers 200 with {"status":{"code":0,"message":""},"data":data}.
func writeData(w http.ResponseWriter, data any) {
	writeJSON(w, http.StatusOK, map[string]any{"status": envelopeStatus{}, "data": data})
}

// writeError answers with a failure envelope; message must never hold a
// secret the client sent.
func writeError(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, map[string]any{"status": envelopeStatus{Code: codeFor(status), Message: message}})
}

func methodNotAllowed(w http.ResponseWriter, r *http.Request, allowed ...string) {
	w.Header().Set("Allow", strings.Join(allowed, ", "))
	writeError(w, http.StatusMethodNotAllowed, fmt.Sprintf("method %s not allowed on %s (allowed: %s)", r.Method, r.URL.Path, strings.Join(allowed, ", ")))
}

func notFound(w http.ResponseWriter, r *http.Request) {
	writeError(w, http.StatusNotFound, "no such resource: "+r.URL.Path)
}

const maxBody = 1 << 20

// readJSON decodes a JSON request body into v, answering 400 itself (and
// returning false) when the body is not JSON.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("Content-Type must be application/json, got %q", r.Header.Get("Content-Type")))
		return false
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, "request body is not valid JSON: "+jsonProblem(err))
		return false
	}
	if dec.More() {
		writeError(w, http.StatusBadRequest, "request body holds more than one JSON value")
		return false
	}
	return true
}

// jsonProblem describes a decode error without quoting the body, which may
// hold secrets.
func jsonProblem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("syntax error at byte %d", syn.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("field %q has the wrong type (%s)", typ.Field, typ.Value)
	case errors.As(err, &tooBig):
		return fmt.Sprintf("larger than %d bytes", tooBig.Limit)
	case err.Error() == "EOF":
		return "empty body"
	}
	return "cannot decode"
}

// secureEqual compares secrets in constant time.
func secureEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

func str(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return s
}

func isHTTPSURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme == "https" && u.Host != ""
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// randomHex returns n random bytes in lower-case hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%x", b)
}

// passwordChars mixes in characters that break careless URL, form and basic
// auth encoding, so the sandbox catches clients that do not encode.
const (
	passwordLetters = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	passwordSymbols = "%&+:=@#!~*"
)

// newPassword returns a printable random password with at least one symbol.
func newPassword() string {
	const n = 20
	all := passwordLetters + passwordSymbols
	b := make([]byte, n)
	for i := range b {
		b[i] = all[randIndex(len(all))]
	}
	b[randIndex(n)] = passwordSymbols[randIndex(len(passwordSymbols))]
	return string(b)
}

func randIndex(n int) int {
	var b [1]byte
	limit := 256 - 256%n
	for {
		_, _ = rand.Read(b[:])
		if int(b[0]) < limit {
			return int(b[0]) % n
		}
	}
}

// RequestLog is one request the sandbox answered. It holds no bodies or
// headers. It keeps the request URI as received, query included, so that a
// test can prove from the server's side that no URL carried a secret; its
// String and GoString never show the query.
type RequestLog struct {
	Time    time.Time
	Service string // "auth", "gws", "nexus" or "ucs"
	Host    string // the Host the request was sent to
	Method  string
	Path    string
	// URI is the raw request URI as received: path and raw query, as a
	// proxy's access log would keep it.
	URI string
	// SecretInURL is set when the query carried a credential (see
	// secretInQuery); the sandbox answered 400 without serving it.
	SecretInURL bool
	// Status is the HTTP status answered; 0 when the connection was dropped
	// (CloseConn fault) or the client went away first.
	Status   int
	Duration time.Duration
}

// String shows the log without the query, which may hold a secret.
func (l RequestLog) String() string {
	q := ""
	if _, raw, ok := strings.Cut(l.URI, "?"); ok {
		q = fmt.Sprintf("?<query hidden, %d bytes>", len(raw))
	}
	return fmt.Sprintf("{Time:%s Service:%s Host:%s Method:%s Path:%s%s SecretInURL:%t Status:%d Duration:%s}",
		l.Time.Format(time.RFC3339Nano), l.Service, l.Host, l.Method, l.Path, q, l.SecretInURL, l.Status, l.Duration)
}

// GoString keeps %#v from printing the query.
func (l RequestLog) GoString() string { return "sandbox.RequestLog" + l.String() }

// credentialParams are query parameters that always carry a credential.
var credentialParams = []string{"client_secret", "password", "access_token"}

// secretInQuery reports whether a raw query carries a credential: a
// parameter named client_secret, password or access_token, or a name or value
// equal to one of secrets; secrets of 8 characters or more are also found
// anywhere in the query, raw or decoded (a client that does not encode
// breaks the parameters apart).
func secretInQuery(rawQuery string, secrets []string) bool {
	if rawQuery == "" {
		return false
	}
	q, _ := url.ParseQuery(rawQuery) // what parses; the raw text is checked too
	decoded, err := url.QueryUnescape(rawQuery)
	if err != nil {
		decoded = rawQuery
	}
	for k, vs := range q {
		for _, name := range credentialParams {
			if strings.EqualFold(k, name) {
				return true
			}
		}
		for _, sec := range secrets {
			if sec == "" {
				continue
			}
			if k == sec || slices.Contains(vs, sec) {
				return true
			}
		}
	}
	for _, sec := range secrets {
		if len(sec) >= 8 && (strings.Contains(rawQuery, sec) || strings.Contains(decoded, sec) ||
			strings.Contains(rawQuery, url.QueryEscape(sec)) || strings.Contains(rawQuery, url.PathEscape(sec))) {
			return true
		}
	}
	return false
}

// statusWriter remembers the status a handler answered with.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

// deepCopy copies JSON-like values so inspection results cannot change the
// sandbox's state.
func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			m[k] = deepCopy(x)
		}
		return m
	case []any:
		s := make([]any, len(t))
		for i, x := range t {
			s[i] = deepCopy(x)
		}
		return s
	case []string:
		return append([]string(nil), t...)
	}
	return v
}

func copyMap(m map[string]any) map[string]any { return deepCopy(m).(map[string]any) }
