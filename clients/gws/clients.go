package gws

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/nexus-onboard/nexus-onboard/clients/httpx"
	"github.com/nexus-onboard/nexus-onboard/clients/redact"
)

// Values of the procedure's auth client, from the vendor's table.
const (
	ClientTypeConfidential        = "CONFIDENTIAL"
	AuthorityInternalClient       = "ROLE_INTERNAL_CLIENT"
	ScopeAll                      = "*"
	AccessTokenExpirationTimeout  = 43200   // seconds
	RefreshTokenExpirationTimeout = 2592000 // seconds
)

// NexusGrantTypes are the grant types the vendor's table gives the client.
var NexusGrantTypes = []string{"refresh_token", "password", "client_credentials", "authorization_code"}

// OpsClient is an OAuth client as the ops API of Auth Services knows it.
type OpsClient struct {
	ClientType                    string   `json:"clientType"`
	InternalClient                bool     `json:"internalClient"`
	AuthorizedGrantTypes          []string `json:"authorizedGrantTypes"`
	RedirectURIs                  []string `json:"redirectURIs"`
	Authorities                   []string `json:"authorities"`
	Scope                         []string `json:"scope"`
	Description                   string   `json:"description"`
	Name                          string   `json:"name"`
	ClientID                      string   `json:"client_id"`
	ClientSecret                  string   `json:"client_secret,omitempty"`
	AccessTokenExpirationTimeout  int      `json:"accessTokenExpirationTimeout"`
	RefreshTokenExpirationTimeout int      `json:"refreshTokenExpirationTimeout"`
}

// String shows the client with its secret masked.
func (o OpsClient) String() string {
	type plain OpsClient // no String method: no recursion
	p := plain(o)
	p.ClientSecret = redact.Value(p.ClientSecret)
	return fmt.Sprintf("%+v", p)
}

// GoString keeps %#v from printing the secret.
func (o OpsClient) GoString() string { return "gws.OpsClient" + o.String() }

// NexusClient is the auth client the procedure creates for Digital Channels,
// with the properties of the vendor's table.
func NexusClient(clientID, secret, nexusURL string) OpsClient {
	return OpsClient{
		ClientType:                    ClientTypeConfidential,
		InternalClient:                true,
		AuthorizedGrantTypes:          append([]string(nil), NexusGrantTypes...),
		RedirectURIs:                  []string{nexusURL},
		Authorities:                   []string{AuthorityInternalClient},
		Scope:                         []string{ScopeAll},
		Description:                   clientID,
		Name:                          clientID,
		ClientID:                      clientID,
		ClientSecret:                  secret,
		AccessTokenExpirationTimeout:  AccessTokenExpirationTimeout,
		RefreshTokenExpirationTimeout: RefreshTokenExpirationTimeout,
	}
}

// clientPath is the path of one ops client; the error matches ErrBadID when
// the id cannot name exactly one (the path is then one send refuses).
func clientPath(clientID string) (string, error) {
	seg, err := segment("client id", clientID)
	return OpsClientsPath + "/" + seg, err
}

// getClientRequest is GetClientRequest with the id's error.
func (c *Client) getClientRequest(clientID string) (httpx.Request, error) {
	p, err := clientPath(clientID)
	return c.ops(http.MethodGet, p, nil), err
}

// GetClientRequest is the request GetClient sends. For an id that cannot
// name exactly one client (see ErrBadID) it is a request that is never sent.
func (c *Client) GetClientRequest(clientID string) httpx.Request {
	req, _ := c.getClientRequest(clientID)
	return req
}

// GetClient reads an OAuth client; ErrNotFound when there is none, ErrBadID
// (nothing sent) for an id that cannot name exactly one.
func (c *Client) GetClient(ctx context.Context, clientID string) (*OpsClient, error) {
	req, err := c.getClientRequest(clientID)
	if err != nil {
		return nil, fmt.Errorf("read auth client: %w", err)
	}
	data, err := c.do(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("read auth client %s: %w", clientID, mapNotFound(err))
	}
	var oc OpsClient
	if err := json.Unmarshal(data, &oc); err != nil {
		return nil, fmt.Errorf("read auth client %s: unexpected answer from %s: %w", clientID, c.where(req), c.redactErr(err))
	}
	// Should the service echo the secret, it is one of this run's secrets.
	c.h.Redactor().Add(oc.ClientSecret)
	return &oc, nil
}

// CreateClientRequest is the request CreateClient sends.
func (c *Client) CreateClientRequest(oc OpsClient) httpx.Request {
	return c.ops(http.MethodPost, OpsClientsPath, wrapData(oc))
}

// CreateClient creates an OAuth client; ErrExists when it is already there.
func (c *Client) CreateClient(ctx context.Context, oc OpsClient) error {
	c.h.Redactor().Add(oc.ClientSecret)
	if _, err := c.do(ctx, c.CreateClientRequest(oc)); err != nil {
		return fmt.Errorf("create auth client %s: %w", oc.ClientID, mapCreateError(err))
	}
	return nil
}

// updateClientRequest is UpdateClientRequest with the id's error.
func (c *Client) updateClientRequest(oc OpsClient) (httpx.Request, error) {
	p, err := clientPath(oc.ClientID)
	return c.ops(http.MethodPut, p, wrapData(oc)), err
}

// UpdateClientRequest is the request UpdateClient sends. For an id that
// cannot name exactly one client (see ErrBadID) it is a request that is
// never sent.
func (c *Client) UpdateClientRequest(oc OpsClient) httpx.Request {
	req, _ := c.updateClientRequest(oc)
	return req
}

// UpdateClient replaces an OAuth client's properties; ErrNotFound when there
// is none, ErrBadID (nothing sent) for an id that cannot name exactly one.
func (c *Client) UpdateClient(ctx context.Context, oc OpsClient) error {
	c.h.Redactor().Add(oc.ClientSecret)
	req, err := c.updateClientRequest(oc)
	if err != nil {
		return fmt.Errorf("update auth client: %w", err)
	}
	if _, err := c.do(ctx, req); err != nil {
		return fmt.Errorf("update auth client %s: %w", oc.ClientID, mapNotFound(err))
	}
	return nil
}

// deleteClientRequest is DeleteClientRequest with the id's error.
func (c *Client) deleteClientRequest(clientID string) (httpx.Request, error) {
	p, err := clientPath(clientID)
	return c.ops(http.MethodDelete, p, nil), err
}

// DeleteClientRequest is the request DeleteClient sends. For an id that
// cannot name exactly one client (see ErrBadID) it is a request that is
// never sent: a DELETE of the collection must never go out.
func (c *Client) DeleteClientRequest(clientID string) httpx.Request {
	req, _ := c.deleteClientRequest(clientID)
	return req
}

// DeleteClient deletes an OAuth client; ErrNotFound when there is none,
// ErrBadID (nothing sent) for an id that cannot name exactly one.
func (c *Client) DeleteClient(ctx context.Context, clientID string) error {
	req, err := c.deleteClientRequest(clientID)
	if err != nil {
		return fmt.Errorf("delete auth client: %w", err)
	}
	if _, err := c.do(ctx, req); err != nil {
		return fmt.Errorf("delete auth client %s: %w", clientID, mapNotFound(err))
	}
	return nil
}

// Token is an OAuth token answer. It is a credential: String never shows
// the tokens.
type Token struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Scope        string `json:"scope"`
	ExpiresIn    int    `json:"expires_in"`
}

// String describes the token without its values.
func (t Token) String() string {
	return fmt.Sprintf("%s token %s (refresh %s, scope %q, expires in %ds)",
		t.TokenType, redact.Value(t.AccessToken), redact.Value(t.RefreshToken), t.Scope, t.ExpiresIn)
}

// GoString keeps %#v from printing the tokens.
func (t Token) GoString() string { return "gws.Token{" + t.String() + "}" }

// ClientCredentialsTokenRequest is the request ClientCredentialsToken sends:
// the client authenticates with HTTP basic only, and the grant goes in a
// form body. The vendor's page also puts client_id and client_secret in the
// query string; query strings land in proxy and ingress access logs, and
// RFC 6749 §2.3.1 keeps client credentials out of the URI, so nothing goes
// there.
func (c *Client) ClientCredentialsTokenRequest(clientID, secret string) httpx.Request {
	// Built by hand for the page's parameter order and a literal scope=*
	// ("*" needs no escaping in a form); url.Values would sort the keys and
	// escape the star.
	form := "grant_type=client_credentials&scope=" + ScopeAll
	return httpx.Request{
		Method:    http.MethodPost,
		URL:       c.url(TokenPath),
		Header:    http.Header{"Content-Type": {contentForm}},
		Body:      []byte(form),
		BasicUser: clientID,
		BasicPass: secret,
	}
}

// ClientCredentialsToken gets a token with the client_credentials grant,
// which proves the client exists with this secret.
func (c *Client) ClientCredentialsToken(ctx context.Context, clientID, secret string) (*Token, error) {
	c.h.Redactor().Add(secret)
	t, err := c.token(ctx, c.ClientCredentialsTokenRequest(clientID, secret))
	if err != nil {
		return nil, fmt.Errorf("get a client_credentials token for %s: %w", clientID, err)
	}
	return t, nil
}

// PasswordTokenRequest is the request PasswordToken sends. username is
// already "<ccId>\<user>", with one backslash.
func (c *Client) PasswordTokenRequest(clientID, secret, username, password string) httpx.Request {
	form := url.Values{
		"username":   {username},
		"client_id":  {clientID},
		"grant_type": {"password"},
		"password":   {password},
	}
	return httpx.Request{
		Method:    http.MethodPost,
		URL:       c.url(TokenPath),
		Header:    http.Header{"Content-Type": {contentForm}},
		Body:      []byte(form.Encode()),
		BasicUser: clientID,
		BasicPass: secret,
	}
}

// PasswordToken gets a token for a tenant user with the password grant.
func (c *Client) PasswordToken(ctx context.Context, clientID, secret, username, password string) (*Token, error) {
	c.h.Redactor().Add(secret, password)
	t, err := c.token(ctx, c.PasswordTokenRequest(clientID, secret, username, password))
	if err != nil {
		return nil, fmt.Errorf("get a password token for %s: %w", username, err)
	}
	return t, nil
}

// token sends a token request; the answer is plain OAuth JSON.
func (c *Client) token(ctx context.Context, req httpx.Request) (*Token, error) {
	resp, err := c.send(ctx, req)
	if err != nil {
		return nil, err
	}
	var t Token
	if err := json.Unmarshal(resp.Body, &t); err != nil {
		return nil, fmt.Errorf("%s: the answer is not an OAuth token (%w): is auth_url the Auth Services load balancer?", c.where(req), c.redactErr(err))
	}
	if t.AccessToken == "" {
		return nil, fmt.Errorf("%s: the answer holds no access_token: is auth_url the Auth Services load balancer?", c.where(req))
	}
	c.h.Redactor().Add(t.AccessToken, t.RefreshToken)
	return &t, nil
}
