// Package redact masks secret values wherever text leaves the process:
// transcripts, errors, logs, previews, reports and state files.
//
// One Redactor per run knows every secret value of that run (passwords,
// client secret, tokens, API keys) and masks each of them in every form in
// which it could appear: plain, URL-encoded, JSON-escaped and base64. It also
// masks, by name, the values of JSON fields, form fields, query parameters and
// headers that are sensitive whatever their value (client_secret, token,
// password, xapikey, Authorization, x-api-key…), so that a secret the run did
// not know about yet is still hidden.
package redact

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
)

// Mask is what a secret is replaced with.
const Mask = "****"

// minLen is the shortest value masked by value everywhere. Shorter values
// ("ops" in a lab) would turn ordinary words and paths into noise; they are
// still masked wherever they appear in a sensitive field or header.
const minLen = 4

// Redactor masks known secret values and sensitive fields. The zero value and
// a nil *Redactor are usable: they mask sensitive fields only.
type Redactor struct {
	mu       sync.RWMutex
	values   map[string]struct{}
	replacer *strings.Replacer
}

// New returns an empty Redactor.
func New() *Redactor { return &Redactor{} }

// Add registers secret values. Empty values are ignored.
func (r *Redactor) Add(values ...string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	changed := false
	for _, v := range values {
		if len(v) < minLen {
			continue
		}
		for _, form := range forms(v) {
			if len(form) < minLen {
				continue
			}
			if r.values == nil {
				r.values = map[string]struct{}{}
			}
			if _, ok := r.values[form]; !ok {
				r.values[form] = struct{}{}
				changed = true
			}
		}
	}
	if changed {
		r.rebuild()
	}
}

// forms lists the encodings under which a secret can travel.
func forms(v string) []string {
	js, _ := json.Marshal(v)
	jsonEscaped := string(js[1 : len(js)-1])
	return []string{
		v,
		url.QueryEscape(v),
		url.PathEscape(v),
		jsonEscaped,
		base64.StdEncoding.EncodeToString([]byte(v)),
		base64.RawStdEncoding.EncodeToString([]byte(v)),
		base64.URLEncoding.EncodeToString([]byte(v)),
		base64.RawURLEncoding.EncodeToString([]byte(v)),
	}
}

func (r *Redactor) rebuild() {
	all := make([]string, 0, len(r.values))
	for v := range r.values {
		all = append(all, v)
	}
	// Longest first, so a secret that contains another is masked whole.
	sort.Slice(all, func(i, j int) bool {
		if len(all[i]) != len(all[j]) {
			return len(all[i]) > len(all[j])
		}
		return all[i] < all[j]
	})
	pairs := make([]string, 0, 2*len(all))
	for _, v := range all {
		pairs = append(pairs, v, Mask)
	}
	r.replacer = strings.NewReplacer(pairs...)
}

// Known reports whether s contains a registered secret value.
func (r *Redactor) Known(s string) bool {
	return r.String(s) != s
}

// String returns s with every known secret replaced by Mask.
func (r *Redactor) String(s string) string {
	if r == nil {
		return s
	}
	r.mu.RLock()
	rep := r.replacer
	r.mu.RUnlock()
	if rep == nil {
		return s
	}
	return rep.Replace(s)
}

// Bytes is String for byte slices.
func (r *Redactor) Bytes(b []byte) []byte {
	return []byte(r.String(string(b)))
}

// Error returns the redacted text of err ("" for nil).
func (r *Redactor) Error(err error) string {
	if err == nil {
		return ""
	}
	return r.String(err.Error())
}

// sensitiveParts are substrings of field names whose values are always secret.
var sensitiveParts = []string{"secret", "token", "password", "passwd", "apikey", "api_key", "api-key", "authorization", "cookie", "credential"}

// IsSensitiveKey reports whether a field, parameter or header with this name
// always holds a secret (client_secret, access_token, password, xapikey…).
func IsSensitiveKey(k string) bool {
	k = strings.ToLower(k)
	// Fields about a secret are not the secret: accessTokenExpirationTimeout,
	// token_type, password_expires_at.
	for _, about := range []string{"timeout", "expir", "type"} {
		if strings.Contains(k, about) {
			return false
		}
	}
	for _, p := range sensitiveParts {
		if strings.Contains(k, p) {
			return true
		}
	}
	return false
}

// JSON masks the values of sensitive keys in a JSON document, then every
// known secret. Input that is not JSON is treated as a form body if it looks
// like one, else as plain text. Formatting of JSON input is kept compact.
func (r *Redactor) JSON(b []byte) []byte {
	trimmed := bytes.TrimSpace(b)
	if len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[') {
		var v any
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		dec.UseNumber()
		if err := dec.Decode(&v); err == nil {
			v = maskValue(v)
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(v); err == nil {
				return r.Bytes(bytes.TrimRight(buf.Bytes(), "\n"))
			}
		}
	}
	return r.Bytes(b)
}

func maskValue(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, val := range t {
			if IsSensitiveKey(k) && !isEmptyish(val) {
				t[k] = Mask
				continue
			}
			t[k] = maskValue(val)
		}
		return t
	case []any:
		for i := range t {
			t[i] = maskValue(t[i])
		}
		return t
	default:
		return v
	}
}

// isEmptyish keeps empty objects and strings visible: `"secret": {}` in the
// PlatformUCS body is structure, not a secret, and masking it would mislead.
func isEmptyish(v any) bool {
	switch t := v.(type) {
	case nil:
		return true
	case string:
		return t == ""
	case map[string]any:
		return len(t) == 0
	case []any:
		return len(t) == 0
	}
	return false
}

// Form masks sensitive fields of an application/x-www-form-urlencoded body,
// then every known secret.
func (r *Redactor) Form(body string) string {
	return r.String(maskQuery(body))
}

// maskQuery rewrites the encoded query keeping parameter order.
func maskQuery(raw string) string {
	parts := strings.Split(raw, "&")
	for i, p := range parts {
		k, _, found := strings.Cut(p, "=")
		key, err := url.QueryUnescape(k)
		if err != nil {
			key = k
		}
		if found && IsSensitiveKey(key) {
			parts[i] = k + "=" + Mask
		}
	}
	return strings.Join(parts, "&")
}

// URL masks sensitive query parameters and userinfo passwords of a URL or DSN,
// then every known secret.
func (r *Redactor) URL(raw string) string {
	u, err := url.Parse(r.String(raw))
	if err != nil {
		return r.String(raw)
	}
	// url.String re-encodes user info, path and fragment its own way, which
	// may spell a secret in none of the forms String knows ("a b;c" in a
	// path becomes "a%20b;c"): mask the decoded parts first.
	if u.User != nil {
		name := r.String(u.User.Username())
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(name, Mask)
		} else {
			u.User = url.User(name)
		}
	}
	if p := r.String(u.Path); p != u.Path {
		u.Path, u.RawPath = p, ""
	}
	if f := r.String(u.Fragment); f != u.Fragment {
		u.Fragment, u.RawFragment = f, ""
	}
	if u.RawQuery != "" {
		u.RawQuery = maskQuery(u.RawQuery)
	}
	// url.String escapes the mask; show it plainly.
	s := strings.ReplaceAll(u.String(), "%2A%2A%2A%2A", Mask)
	return r.String(s)
}

// sensitiveHeaders are masked whatever their value.
var sensitiveHeaders = map[string]bool{
	"Authorization":       true,
	"Proxy-Authorization": true,
	"Cookie":              true,
	"Set-Cookie":          true,
	"X-Api-Key":           true,
}

// Header returns a copy of h with sensitive headers masked. For
// Authorization headers the scheme stays visible ("Basic ****").
func (r *Redactor) Header(h http.Header) http.Header {
	out := make(http.Header, len(h))
	for k, vs := range h {
		ck := http.CanonicalHeaderKey(k)
		masked := make([]string, len(vs))
		for i, v := range vs {
			switch {
			case ck == "Authorization" || ck == "Proxy-Authorization":
				scheme, _, found := strings.Cut(v, " ")
				if found {
					// The "scheme" is the first word, which may be a bare
					// token sent without one: mask known secrets in it too.
					masked[i] = r.String(scheme) + " " + Mask
				} else {
					masked[i] = Mask
				}
			case sensitiveHeaders[ck] || IsSensitiveKey(ck):
				masked[i] = Mask
			default:
				masked[i] = r.String(v)
			}
		}
		out[k] = masked
	}
	return out
}

// Value masks a whole value for display: empty stays empty, anything else
// becomes Mask. Used for secret inputs shown on screen or in a plan.
func Value(v string) string {
	if v == "" {
		return ""
	}
	return Mask
}

// Masked is an error whose text went through a redactor, with the original
// error still reachable for errors.Is and errors.As.
type Masked struct {
	Msg string
	Err error
}

func (e *Masked) Error() string { return e.Msg }
func (e *Masked) Unwrap() error { return e.Err }

// Wrap returns err with its text redacted (nil for nil). Use it for errors
// built from what a server or driver said: they may echo a secret anywhere.
func (r *Redactor) Wrap(err error) error {
	if err == nil {
		return nil
	}
	return &Masked{Msg: r.Error(err), Err: err}
}

// WithText returns an error that reads msg (already redacted by the caller)
// and unwraps to err.
func WithText(msg string, err error) error { return &Masked{Msg: msg, Err: err} }
