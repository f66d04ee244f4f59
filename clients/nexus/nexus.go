// Package nexus is the typed client of the Digital Channels ("Nexus")
// provisioning API at nexus_url: the tenant and its UCS connection.
//
// Each call has an exported builder (…Request) that returns the exact
// httpx.Request the call sends, so that a plan can show it without sending
// it; the calls themselves send what those builders return.
package nexus

import (
	"bytes"
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

// Paths under nexus_url.
const (
	TenantsPath           = "/nexus/v3/provisioning/tenants"
	PlatformUCSPathFormat = "/nexus/v3/provisioning/services/%s/PlatformUCS" // contact center id
)

// TenantIDField is the JSON name of the tenant's Genesys tenant id, spelled
// as the vendor's page spells it ("genesysenantid"); whether the service
// wants "genesystenantid" is unverified, so the spelling lives here alone.
const TenantIDField = "genesysenantid"

// TenantTypePureEngage is the tenant type of a Multicloud CX tenant.
const TenantTypePureEngage = "PureEngage"

// Headers of the provisioning services endpoint.
const (
	HeaderAPIKey = "x-api-key"
	HeaderCCID   = "x-ccid"
)

// ErrExists is matched (errors.Is) when a provisioning call finds the object
// already there.
var ErrExists = errors.New("already exists")

// Client calls the provisioning API of one nexus_url.
type Client struct {
	h    *httpx.Client
	base string
}

// New returns a client of the Digital Channels API at nexusURL
// (https://nexus.example.com).
func New(h *httpx.Client, nexusURL string) *Client {
	return &Client{h: h, base: strings.TrimRight(nexusURL, "/")}
}

// Tenant is the tenant provisioning body. Token is the tenant user's
// password: String never shows it.
type Tenant struct {
	ID              string
	Name            string
	Type            string
	BackendURL      string
	Username        string
	Token           string
	GenesysTenantID int
}

// MarshalJSON writes the body with the page's field names, in the page's
// order, the tenant id field named by TenantIDField.
func (t Tenant) MarshalJSON() ([]byte, error) {
	fields := []struct {
		k string
		v any
	}{
		{"id", t.ID}, {"name", t.Name}, {"type", t.Type}, {"backendurl", t.BackendURL},
		{"username", t.Username}, {"token", t.Token}, {TenantIDField, t.GenesysTenantID},
	}
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range fields {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(f.k)
		v, err := json.Marshal(f.v)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// String shows the tenant with its token masked.
func (t Tenant) String() string {
	return fmt.Sprintf("{ID:%s Name:%s Type:%s BackendURL:%s Username:%s Token:%s GenesysTenantID:%d}",
		t.ID, t.Name, t.Type, t.BackendURL, t.Username, redact.Value(t.Token), t.GenesysTenantID)
}

// GoString keeps %#v from printing the token.
func (t Tenant) GoString() string { return "nexus.Tenant" + t.String() }

// TenantRequestBody is the exact body ProvisionTenant sends (secrets in
// clear: redact before showing it).
func TenantRequestBody(t Tenant) []byte {
	b, _ := t.MarshalJSON() // strings and an int: cannot fail
	return b
}

// UCSRequestBody is the exact body ProvisionUCS sends.
func UCSRequestBody(ucsURL string) []byte {
	b, _ := json.Marshal(struct {
		URL    string   `json:"url"`
		Secret struct{} `json:"secret"`
		Data   struct{} `json:"data"`
	}{URL: ucsURL})
	return b
}

// ProvisionTenantRequest is the request ProvisionTenant sends.
func (c *Client) ProvisionTenantRequest(bearer string, t Tenant) httpx.Request {
	return httpx.Request{
		Method: http.MethodPost,
		URL:    c.base + TenantsPath,
		Header: http.Header{"Content-Type": {"application/json"}},
		Body:   TenantRequestBody(t),
		Bearer: bearer,
	}
}

// ProvisionTenant provisions the tenant and returns its Nexus API key
// (xapikey, a secret); ErrExists when the tenant is already provisioned.
func (c *Client) ProvisionTenant(ctx context.Context, bearer string, t Tenant) (string, error) {
	c.h.Redactor().Add(bearer, t.Token)
	req := c.ProvisionTenantRequest(bearer, t)
	var d struct {
		XAPIKey string `json:"xapikey"`
	}
	if err := c.do(ctx, req, &d); err != nil {
		return "", fmt.Errorf("provision tenant %s: %w", t.ID, err)
	}
	if d.XAPIKey == "" {
		return "", fmt.Errorf("provision tenant %s: %s answered without data.xapikey: check the Digital Channels version", t.ID, where(req))
	}
	c.h.Redactor().Add(d.XAPIKey)
	return d.XAPIKey, nil
}

// ProvisionUCSRequest is the request ProvisionUCS sends.
func (c *Client) ProvisionUCSRequest(ccID, apiKey, ucsURL string) httpx.Request {
	return httpx.Request{
		Method: http.MethodPost,
		URL:    c.base + fmt.Sprintf(PlatformUCSPathFormat, url.PathEscape(ccID)),
		Header: http.Header{
			"Content-Type":                        {"application/json"},
			http.CanonicalHeaderKey(HeaderAPIKey): {apiKey},
			http.CanonicalHeaderKey(HeaderCCID):   {ccID},
		},
		Body: UCSRequestBody(ucsURL),
	}
}

// ProvisionUCS connects the contact center's Digital Channels to UCS;
// ErrExists when the service says the connection is already there.
func (c *Client) ProvisionUCS(ctx context.Context, ccID, apiKey, ucsURL string) error {
	c.h.Redactor().Add(apiKey)
	if err := c.do(ctx, c.ProvisionUCSRequest(ccID, apiKey, ucsURL), nil); err != nil {
		return fmt.Errorf("provision the UCS connection of %s: %w", ccID, err)
	}
	return nil
}

// PingRequest is the request Ping sends: the root of nexus_url.
func (c *Client) PingRequest() httpx.Request {
	return httpx.Request{Method: http.MethodGet, URL: c.base + "/"}
}

// Ping checks that nexus_url is reachable and its certificate trusted. Any
// answer below 500 counts: the root path needs no particular status.
func (c *Client) Ping(ctx context.Context) error {
	req := c.PingRequest()
	_, err := c.h.Do(ctx, req)
	var se *httpx.StatusError
	if errors.As(err, &se) && se.Status < 500 {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reach %s: %w", req.URL, err)
	}
	return nil
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

// do sends req, checks the {"status":{"code":0},"data":…} envelope and
// decodes data into out (when not nil). Answers that say "exists" map to
// ErrExists.
func (c *Client) do(ctx context.Context, req httpx.Request, out any) error {
	resp, err := c.h.Do(ctx, req)
	if err != nil {
		return mapExists(err)
	}
	body := bytes.TrimSpace(resp.Body)
	if len(body) == 0 {
		if out != nil {
			return fmt.Errorf("%s answered with an empty body", where(req))
		}
		return nil
	}
	var env struct {
		Status *struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"status"`
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return fmt.Errorf("%s: the answer is not JSON (%w): is nexus_url the Digital Channels host?", where(req), c.redactErr(err))
	}
	if env.Status != nil && env.Status.Code != 0 {
		return mapExists(c.redactErr(&APIError{Method: req.Method, URL: where(req), Code: env.Status.Code,
			Message: c.h.Redactor().String(env.Status.Message)}))
	}
	if out != nil && len(env.Data) > 0 {
		if err := json.Unmarshal(env.Data, out); err != nil {
			return fmt.Errorf("%s: unexpected data in the answer: %w", where(req), c.redactErr(err))
		}
	}
	return nil
}

// redactErr wraps an error built from an answer so that its text is
// redacted: a decoding failure, or an APIError whose code echoes a number.
func (c *Client) redactErr(err error) error { return c.h.Redactor().Wrap(err) }

// where is the host and path of a request.
func where(req httpx.Request) string {
	u, err := url.Parse(req.URL)
	if err != nil {
		return "nexus_url"
	}
	return u.Host + u.Path
}

func mapExists(err error) error {
	var se *httpx.StatusError
	if errors.As(err, &se) {
		if se.Status == http.StatusConflict || (se.Status >= 400 && httpx.SaysExists(se.Message)) {
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
