// Package gws is the typed client of Genesys Auth Services and the
// Environment API, both served under auth_url: contact centers, the ops
// OAuth clients, OAuth tokens and contact-center settings.
//
// Each call has an exported builder (…Request) that returns the exact
// httpx.Request the call sends, so that a plan can show it without sending
// it; the calls themselves send what those builders return. Every request
// leaves through one guard (send) that refuses, before anything is sent, a
// URL carrying a secret (ErrSecretInURL) or a path segment that cannot name
// exactly one object (ErrBadID): credentials travel as HTTP basic, bearer or
// in bodies only, and ids are escaped as one path segment each.
package gws

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/nexus-onboard/nexus-onboard/clients/httpx"
	"github.com/nexus-onboard/nexus-onboard/clients/redact"
)

// Paths under auth_url. The settings item path is unverified (no public
// source shows a DELETE of a setting); it lives here alone so it can change in
// one line.
const (
	ContactCentersPath = "/environment/v3/contact-centers"
	SettingsPathFormat = ContactCentersPath + "/%s/settings"    // contact center id
	SettingPathFormat  = ContactCentersPath + "/%s/settings/%s" // contact center id, setting id (unverified)
	OpsClientsPath     = "/auth/v3/ops/clients"
	TokenPath          = "/auth/v3/oauth/token"
)

// Content types sent.
const (
	contentJSON = "application/json"
	contentForm = "application/x-www-form-urlencoded"
)

// ErrNotFound is matched (errors.Is) when the object asked for does not exist.
var ErrNotFound = errors.New("not found")

// ErrExists is matched (errors.Is) when a create finds the object already there.
var ErrExists = errors.New("already exists")

// ErrBadID is matched (errors.Is) when an id that goes into a URL path
// cannot name exactly one object: "" would turn ".../settings/{id}" into the
// collection, "." and ".." are resolved by normalising proxies to another
// resource, and a "/" (sent as %2F) is split into two segments by a proxy
// that decodes %2F before it normalises. Nothing is sent.
var ErrBadID = errors.New("not a usable id")

// ErrSecretInURL is matched (errors.Is) when a request would carry a secret
// in its URL (query or user info), where proxy and ingress access logs keep
// it. Nothing is sent.
var ErrSecretInURL = errors.New("a secret in the URL")

// Client calls Auth Services and the Environment API of one auth_url with the
// GWS ops credentials.
type Client struct {
	h                *httpx.Client
	base             string
	opsUser, opsPass string
}

// New returns a client of the Auth/Environment services at authURL
// (https://auth.example.com), authenticating admin calls with the ops
// credentials.
func New(h *httpx.Client, authURL, opsUser, opsPass string) *Client {
	return &Client{h: h, base: strings.TrimRight(authURL, "/"), opsUser: opsUser, opsPass: opsPass}
}

func (c *Client) url(path string) string { return c.base + path }

// segment returns id escaped as one URL path segment (url.PathEscape), and
// an error matching ErrBadID when that segment cannot name exactly one
// object (see ErrBadID); what names the id in the error ("client id"). The
// escaped id comes back even with the error, so that a builder can still
// show the request: send refuses that URL, by the same rule.
func segment(what, id string) (string, error) {
	esc := url.PathEscape(id)
	if why := badSegment(id); why != "" {
		return esc, fmt.Errorf("%w: the %s %q %s", ErrBadID, what, id, why)
	}
	return esc, nil
}

// badSegment says why a decoded path segment cannot name exactly one
// object, or "" when it can.
func badSegment(dec string) string {
	switch {
	case dec == "":
		return "is empty"
	case dec == "." || dec == "..":
		return "is a relative path segment"
	case strings.Contains(dec, "/"):
		return "holds a path separator"
	}
	return ""
}

// send is the one way a request of this client leaves: it refuses, before
// anything is sent, a URL whose path has a segment that cannot name one
// object, and a URL that carries a secret.
func (c *Client) send(ctx context.Context, req httpx.Request) (*httpx.Response, error) {
	if err := c.check(req); err != nil {
		return nil, err
	}
	return c.h.Do(ctx, req)
}

// check is send's guard; see send.
func (c *Client) check(req httpx.Request) error {
	u, err := url.Parse(req.URL)
	if err != nil {
		return nil // httpx.Do refuses it, with a redacted message
	}
	// Only the part this client appended to auth_url: auth_url's own path
	// is the user's.
	rel := u.EscapedPath()
	if b, err := url.Parse(c.base); err == nil && b.Host == u.Host {
		rel = strings.TrimPrefix(rel, b.EscapedPath())
	}
	if rel != "" && rel != "/" {
		for _, seg := range strings.Split(strings.TrimPrefix(rel, "/"), "/") {
			dec, err := url.PathUnescape(seg)
			if err == nil && badSegment(dec) == "" {
				continue
			}
			return fmt.Errorf("%s %s: refused before sending: %w: path segment %q does not name exactly one object",
				req.Method, c.where(req), ErrBadID, c.h.Redactor().String(seg))
		}
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			return fmt.Errorf("%s %s: refused before sending: %w: the URL carries a password", req.Method, c.where(req), ErrSecretInURL)
		}
	}
	red := c.h.Redactor()
	if red.Known(u.RawQuery) {
		return fmt.Errorf("%s %s: refused before sending: %w: the query holds a secret", req.Method, c.where(req), ErrSecretInURL)
	}
	for k, vs := range u.Query() {
		if redact.IsSensitiveKey(k) || red.Known(k) {
			return fmt.Errorf("%s %s: refused before sending: %w: query parameter %q", req.Method, c.where(req), ErrSecretInURL, red.String(k))
		}
		for _, v := range vs {
			if v != "" && (v == req.BasicPass || v == req.Bearer || red.Known(v)) {
				return fmt.Errorf("%s %s: refused before sending: %w: query parameter %q holds a secret", req.Method, c.where(req), ErrSecretInURL, red.String(k))
			}
		}
	}
	return nil
}

// ops builds a request authenticated with the ops credentials.
func (c *Client) ops(method, path string, body []byte) httpx.Request {
	r := httpx.Request{Method: method, URL: c.url(path), BasicUser: c.opsUser, BasicPass: c.opsPass}
	if body != nil {
		r.Header = http.Header{"Content-Type": {contentJSON}}
		r.Body = body
	}
	return r
}

// envelope is the wrapper of Auth and Environment answers.
type envelope struct {
	Status *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"status"`
	Data json.RawMessage `json:"data"`
}

// APIError is an answer with HTTP success whose status.code is not 0.
type APIError struct {
	Method, URL string
	Code        int
	Message     string
}

// Error names the call and the service's code and message.
func (e *APIError) Error() string {
	return fmt.Sprintf("%s %s: the service answered status.code %d: %s", e.Method, e.URL, e.Code, e.Message)
}

// do sends req and returns the envelope's data. A non-zero status.code is an
// error even with HTTP 200.
func (c *Client) do(ctx context.Context, req httpx.Request) (json.RawMessage, error) {
	resp, err := c.send(ctx, req)
	if err != nil {
		return nil, err
	}
	return c.unwrap(req, resp.Body)
}

func (c *Client) unwrap(req httpx.Request, body []byte) (json.RawMessage, error) {
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil, nil
	}
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("%s %s: the answer is not JSON (%w): is auth_url the Auth Services load balancer?", req.Method, c.where(req), c.redactErr(err))
	}
	if env.Status != nil && env.Status.Code != 0 {
		return nil, c.redactErr(&APIError{Method: req.Method, URL: c.where(req), Code: env.Status.Code,
			Message: c.h.Redactor().String(env.Status.Message)})
	}
	return env.Data, nil
}

// redactErr wraps an error built from an answer so that its text is
// redacted: a decoding failure, or an APIError whose code echoes a number.
func (c *Client) redactErr(err error) error { return c.h.Redactor().Wrap(err) }

// where is the host and path of a request, without the query where secrets
// may travel.
func (c *Client) where(req httpx.Request) string {
	u, err := url.Parse(req.URL)
	if err != nil {
		return c.h.Redactor().URL(req.URL)
	}
	return u.Host + u.Path
}

// mustJSON marshals values whose types cannot fail to marshal (plain
// structs of strings, numbers, bools and slices).
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("gws: marshal %T: %v", v, err))
	}
	return b
}

// wrapData wraps a payload as the services expect it: {"data": …}.
func wrapData(v any) []byte {
	return mustJSON(struct {
		Data any `json:"data"`
	}{v})
}

// mapCreateError turns the answer to a create into ErrExists when it says
// the object is already there.
func mapCreateError(err error) error {
	var se *httpx.StatusError
	if errors.As(err, &se) {
		if se.Status == http.StatusConflict || (se.Status >= 400 && se.Status < 500 && httpx.SaysExists(se.Message)) {
			return fmt.Errorf("%w: %w", ErrExists, err)
		}
		return err
	}
	var ae *APIError
	if errors.As(err, &ae) && httpx.SaysExists(ae.Message) {
		return fmt.Errorf("%w: %w", ErrExists, err)
	}
	return err
}

// mapNotFound turns a 404 into ErrNotFound.
func mapNotFound(err error) error {
	var se *httpx.StatusError
	if errors.As(err, &se) && se.Status == http.StatusNotFound {
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	return err
}

// ContactCenter is one contact center of the environment.
type ContactCenter struct {
	ID            string   `json:"id"`
	EnvironmentID string   `json:"environmentId"`
	Domains       []string `json:"domains"`
	Auth          string   `json:"auth"`
}

// ContactCentersRequest is the request ContactCenters sends.
func (c *Client) ContactCentersRequest() httpx.Request {
	return c.ops(http.MethodGet, ContactCentersPath, nil)
}

// ContactCenters lists the environment's contact centers.
func (c *Client) ContactCenters(ctx context.Context) ([]ContactCenter, error) {
	req := c.ContactCentersRequest()
	data, err := c.do(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("list contact centers: %w", err)
	}
	var d struct {
		ContactCenters []ContactCenter `json:"contactCenters"`
	}
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("list contact centers: unexpected answer from %s: %w", c.where(req), c.redactErr(err))
	}
	return d.ContactCenters, nil
}

// PingRequest is the request Ping sends: the root of auth_url, without
// credentials.
func (c *Client) PingRequest() httpx.Request {
	return httpx.Request{Method: http.MethodGet, URL: c.url("/")}
}

// Ping checks that auth_url is reachable and its certificate trusted. Any
// answer below 500 counts: the root path needs no particular status.
func (c *Client) Ping(ctx context.Context) error {
	req := c.PingRequest()
	_, err := c.send(ctx, req)
	var se *httpx.StatusError
	if errors.As(err, &se) && se.Status < 500 {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reach %s: %w", req.URL, err)
	}
	return nil
}
