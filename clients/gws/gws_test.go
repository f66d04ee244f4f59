package gws

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nexus-onboard/nexus-onboard/clients/httpx"
	"github.com/nexus-onboard/nexus-onboard/clients/redact"
)

const (
	opsUser   = "ops"
	opsPass   = "ops-Secret-pw"
	ccID      = "578ec98e-f07c-46ad-9675-f36c22f3ba9f"
	clientID  = "nexus_client"
	secret    = "Zq8-client-secret-Xy"
	nexusURL  = "https://nexus.example.com"
	userPass  = "tenant-user-Pa55"
	tokenText = "9b7682b7-cbce-422f-900b-ecda85e61695"
)

// seen is what the server received.
type seen struct {
	Method, Path, Query, ContentType string
	User, Pass                       string
	HasBasic                         bool
	Body                             string
}

// server is a real TLS server answering every request with the next canned
// answer and remembering what it received.
type server struct {
	*httptest.Server
	mu     sync.Mutex
	got    []seen
	status int
	body   string
}

func newServer(t *testing.T) *server {
	t.Helper()
	s := &server{status: 200}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		u, p, ok := r.BasicAuth()
		s.mu.Lock()
		s.got = append(s.got, seen{r.Method, r.URL.EscapedPath(), r.URL.RawQuery, r.Header.Get("Content-Type"), u, p, ok, string(b)})
		status, body := s.status, s.body
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	s.Config.ErrorLog = log.New(io.Discard, "", 0)
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

func (s *server) answer(status int, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status, s.body, s.got = status, body, nil
}

func (s *server) requests() []seen {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]seen(nil), s.got...)
}

func newClient(t *testing.T, s *server, base string) (*Client, *redact.Redactor) {
	t.Helper()
	red := redact.New()
	h, err := httpx.New(httpx.Options{
		CAPEM:       pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw}),
		Timeout:     2 * time.Second,
		BaseBackoff: time.Millisecond,
		MaxBackoff:  2 * time.Millisecond,
		Redactor:    red,
	})
	if err != nil {
		t.Fatal(err)
	}
	return New(h, base, opsUser, opsPass), red
}

// sameJSON compares two JSON texts by value.
func sameJSON(t *testing.T, got, want string) bool {
	t.Helper()
	if got == "" || want == "" {
		return got == want
	}
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("body %q is not JSON: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want %q is not JSON: %v", want, err)
	}
	return reflect.DeepEqual(g, w)
}

const nexusClientJSON = `{
  "clientType": "CONFIDENTIAL",
  "internalClient": true,
  "authorizedGrantTypes": ["refresh_token", "password", "client_credentials", "authorization_code"],
  "redirectURIs": ["https://nexus.example.com"],
  "authorities": ["ROLE_INTERNAL_CLIENT"],
  "scope": ["*"],
  "description": "nexus_client",
  "name": "nexus_client",
  "client_id": "nexus_client",
  "client_secret": "Zq8-client-secret-Xy",
  "accessTokenExpirationTimeout": 43200,
  "refreshTokenExpirationTimeout": 2592000
}`

func TestCalls(t *testing.T) {
	s := newServer(t)
	nc := NexusClient(clientID, secret, nexusURL)
	tests := []struct {
		name     string
		answer   string
		call     func(context.Context, *Client) (any, error)
		build    func(*Client) httpx.Request // the builder the call must use
		want     seen                        // Body compared as JSON unless form
		form     bool
		wantOut  any
		noBasic  bool
		basicFor string
	}{
		{
			name:    "contact centers",
			answer:  `{"status":{"code":0},"data":{"contactCenters":[{"id":"` + ccID + `","environmentId":"env1","domains":["a.example.com"],"auth":"configServer"}]}}`,
			call:    func(ctx context.Context, c *Client) (any, error) { return c.ContactCenters(ctx) },
			build:   func(c *Client) httpx.Request { return c.ContactCentersRequest() },
			want:    seen{Method: "GET", Path: "/environment/v3/contact-centers"},
			wantOut: []ContactCenter{{ID: ccID, EnvironmentID: "env1", Domains: []string{"a.example.com"}, Auth: "configServer"}},
		},
		{
			name:    "get client",
			answer:  `{"status":{"code":0,"message":""},"data":` + nexusClientJSON + `}`,
			call:    func(ctx context.Context, c *Client) (any, error) { return c.GetClient(ctx, clientID) },
			build:   func(c *Client) httpx.Request { return c.GetClientRequest(clientID) },
			want:    seen{Method: "GET", Path: "/auth/v3/ops/clients/nexus_client"},
			wantOut: &nc,
		},
		{
			name:   "create client",
			answer: `{"status":{"code":0}}`,
			call:   func(ctx context.Context, c *Client) (any, error) { return nil, c.CreateClient(ctx, nc) },
			build:  func(c *Client) httpx.Request { return c.CreateClientRequest(nc) },
			want:   seen{Method: "POST", Path: "/auth/v3/ops/clients", ContentType: "application/json", Body: `{"data":` + nexusClientJSON + `}`},
		},
		{
			name:   "update client",
			answer: `{"status":{"code":0}}`,
			call:   func(ctx context.Context, c *Client) (any, error) { return nil, c.UpdateClient(ctx, nc) },
			build:  func(c *Client) httpx.Request { return c.UpdateClientRequest(nc) },
			want:   seen{Method: "PUT", Path: "/auth/v3/ops/clients/nexus_client", ContentType: "application/json", Body: `{"data":` + nexusClientJSON + `}`},
		},
		{
			name:   "delete client",
			answer: `{"status":{"code":0}}`,
			call:   func(ctx context.Context, c *Client) (any, error) { return nil, c.DeleteClient(ctx, clientID) },
			build:  func(c *Client) httpx.Request { return c.DeleteClientRequest(clientID) },
			want:   seen{Method: "DELETE", Path: "/auth/v3/ops/clients/nexus_client"},
		},
		{
			name:   "client credentials token",
			answer: `{"access_token":"` + tokenText + `","token_type":"bearer","expires_in":43199,"scope":"*"}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.ClientCredentialsToken(ctx, clientID, secret)
			},
			build: func(c *Client) httpx.Request { return c.ClientCredentialsTokenRequest(clientID, secret) },
			// Basic auth only; the grant in a form body, nothing in the query.
			want: seen{Method: "POST", Path: "/auth/v3/oauth/token", ContentType: "application/x-www-form-urlencoded",
				Body: "grant_type=client_credentials&scope=*"},
			form:     true,
			basicFor: "client",
			wantOut:  &Token{AccessToken: tokenText, TokenType: "bearer", ExpiresIn: 43199, Scope: "*"},
		},
		{
			name:   "password token",
			answer: `{"access_token":"` + tokenText + `","token_type":"bearer","refresh_token":"r-tok-1234","expires_in":43199,"scope":"*"}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.PasswordToken(ctx, clientID, secret, ccID+`\nexus`, userPass)
			},
			build: func(c *Client) httpx.Request {
				return c.PasswordTokenRequest(clientID, secret, ccID+`\nexus`, userPass)
			},
			want: seen{Method: "POST", Path: "/auth/v3/oauth/token", ContentType: "application/x-www-form-urlencoded",
				Body: "client_id=nexus_client&grant_type=password&password=" + userPass + "&username=" + ccID + "%5Cnexus"},
			form:     true,
			basicFor: "client",
			wantOut:  &Token{AccessToken: tokenText, TokenType: "bearer", RefreshToken: "r-tok-1234", ExpiresIn: 43199, Scope: "*"},
		},
		{
			name: "settings",
			answer: `{"status":{"code":0},"data":{"settings":[` +
				`{"id":"s1","name":"chat-service-uri","location":"/","value":"https://nexus.example.com","shared":false},` +
				`{"id":7,"name":"complex","location":"/x","value":{"a":[1,2]},"shared":true}]}}`,
			call:  func(ctx context.Context, c *Client) (any, error) { return c.Settings(ctx, ccID) },
			build: func(c *Client) httpx.Request { return c.SettingsRequest(ccID) },
			want:  seen{Method: "GET", Path: "/environment/v3/contact-centers/" + ccID + "/settings"},
			wantOut: []Setting{
				{ID: "s1", Name: ChatServiceURISetting, Location: "/", Value: nexusURL},
				{ID: "7", Name: "complex", Location: "/x", Value: `{"a":[1,2]}`, Shared: true},
			},
		},
		{
			name:   "create setting",
			answer: `{"status":{"code":0}}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return nil, c.CreateSetting(ctx, ccID, Setting{Name: ChatServiceURISetting, Location: "/", Value: nexusURL, ID: "ignored"})
			},
			build: func(c *Client) httpx.Request {
				return c.CreateSettingRequest(ccID, Setting{Name: ChatServiceURISetting, Location: "/", Value: nexusURL})
			},
			want: seen{Method: "POST", Path: "/environment/v3/contact-centers/" + ccID + "/settings", ContentType: "application/json",
				Body: `{"data":{"name":"chat-service-uri","location":"/","value":"https://nexus.example.com","shared":false}}`},
		},
		{
			name:   "delete setting",
			answer: `{"status":{"code":0}}`,
			call:   func(ctx context.Context, c *Client) (any, error) { return nil, c.DeleteSetting(ctx, ccID, "s 1") },
			build:  func(c *Client) httpx.Request { return c.DeleteSettingRequest(ccID, "s 1") },
			want:   seen{Method: "DELETE", Path: "/environment/v3/contact-centers/" + ccID + "/settings/s%201"},
		},
		{
			name:    "ping",
			answer:  `<html>login</html>`,
			call:    func(ctx context.Context, c *Client) (any, error) { return nil, c.Ping(ctx) },
			build:   func(c *Client) httpx.Request { return c.PingRequest() },
			want:    seen{Method: "GET", Path: "/"},
			noBasic: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A trailing slash in auth_url must not double the slash.
			c, _ := newClient(t, s, s.URL+"/")
			s.answer(200, tt.answer)
			out, err := tt.call(context.Background(), c)
			if err != nil {
				t.Fatalf("call: %v", err)
			}
			got := s.requests()
			if len(got) != 1 {
				t.Fatalf("server saw %d requests, want 1", len(got))
			}
			g := got[0]
			wantUser, wantPass := opsUser, opsPass
			if tt.basicFor == "client" {
				wantUser, wantPass = clientID, secret
			}
			if tt.noBasic {
				if g.HasBasic {
					t.Errorf("ping sent credentials")
				}
			} else if !g.HasBasic || g.User != wantUser || g.Pass != wantPass {
				t.Errorf("basic auth = %q:%q (%v), want %q:%q", g.User, g.Pass, g.HasBasic, wantUser, wantPass)
			}
			if g.Method != tt.want.Method || g.Path != tt.want.Path || g.Query != tt.want.Query || g.ContentType != tt.want.ContentType {
				t.Errorf("request = %s %s ?%s [%s], want %s %s ?%s [%s]", g.Method, g.Path, g.Query, g.ContentType,
					tt.want.Method, tt.want.Path, tt.want.Query, tt.want.ContentType)
			}
			if tt.form {
				if g.Body != tt.want.Body {
					t.Errorf("form body = %q, want %q", g.Body, tt.want.Body)
				}
			} else if !sameJSON(t, g.Body, tt.want.Body) {
				t.Errorf("body = %s\nwant %s", g.Body, tt.want.Body)
			}
			// One source of truth: the builder's request is what went out.
			b := tt.build(c)
			if b.Method != g.Method || string(b.Body) != g.Body || !strings.HasSuffix(b.URL, strings.TrimPrefix(g.Path, "/")+queryPart(g.Query)) {
				t.Errorf("builder request %s %s %q differs from what was sent", b.Method, b.URL, b.Body)
			}
			if tt.wantOut != nil && !reflect.DeepEqual(out, tt.wantOut) {
				t.Errorf("result = %#v\nwant %#v", out, tt.wantOut)
			}
		})
	}
}

func queryPart(q string) string {
	if q == "" {
		return ""
	}
	return "?" + q
}

func TestErrorMapping(t *testing.T) {
	s := newServer(t)
	nc := NexusClient(clientID, secret, nexusURL)
	tests := []struct {
		name          string
		status        int
		answer        string
		call          func(context.Context, *Client) error
		wantIs        error
		wantNotIs     error
		wantText      []string
		wantAPIError  bool
		wantHTTPError int
	}{
		{name: "get missing client", status: 404, answer: `{"status":{"code":404,"message":"Client not found"}}`,
			call:   func(ctx context.Context, c *Client) error { _, err := c.GetClient(ctx, clientID); return err },
			wantIs: ErrNotFound, wantText: []string{"read auth client nexus_client", "Client not found"}, wantHTTPError: 404},
		{name: "delete missing client", status: 404, answer: ``,
			call:   func(ctx context.Context, c *Client) error { return c.DeleteClient(ctx, clientID) },
			wantIs: ErrNotFound, wantHTTPError: 404},
		{name: "update missing client", status: 404, answer: ``,
			call:   func(ctx context.Context, c *Client) error { return c.UpdateClient(ctx, nc) },
			wantIs: ErrNotFound, wantHTTPError: 404},
		{name: "create conflict", status: 409, answer: `{}`,
			call:   func(ctx context.Context, c *Client) error { return c.CreateClient(ctx, nc) },
			wantIs: ErrExists, wantHTTPError: 409},
		{name: "create 400 exists", status: 400, answer: `{"status":{"code":1,"message":"Client with id nexus_client already exists"}}`,
			call:   func(ctx context.Context, c *Client) error { return c.CreateClient(ctx, nc) },
			wantIs: ErrExists, wantHTTPError: 400},
		{name: "create 400 other", status: 400, answer: `{"status":{"code":1,"message":"scope is invalid"}}`,
			call:      func(ctx context.Context, c *Client) error { return c.CreateClient(ctx, nc) },
			wantNotIs: ErrExists, wantText: []string{"scope is invalid"}, wantHTTPError: 400},
		{name: "create 200 duplicate code", status: 200, answer: `{"status":{"code":3,"message":"Duplicate client"}}`,
			call:   func(ctx context.Context, c *Client) error { return c.CreateClient(ctx, nc) },
			wantIs: ErrExists, wantAPIError: true, wantText: []string{"status.code 3"}},
		{name: "setting 200 error code", status: 200, answer: `{"status":{"code":5,"message":"invalid location"}}`,
			call: func(ctx context.Context, c *Client) error {
				return c.CreateSetting(ctx, ccID, Setting{Name: "x", Location: "/", Value: "v"})
			},
			wantNotIs: ErrExists, wantAPIError: true, wantText: []string{"invalid location"}},
		{name: "contact centers 401", status: 401, answer: `{"status":{"code":401,"message":"Unauthorized"}}`,
			call:      func(ctx context.Context, c *Client) error { _, err := c.ContactCenters(ctx); return err },
			wantNotIs: ErrNotFound, wantText: []string{"check the credentials", "list contact centers"}, wantHTTPError: 401},
		{name: "token bad client", status: 401, answer: `{"error":"invalid_client","error_description":"Bad client credentials"}`,
			call: func(ctx context.Context, c *Client) error {
				_, err := c.ClientCredentialsToken(ctx, clientID, secret)
				return err
			},
			wantText: []string{"invalid_client: Bad client credentials", "check the credentials"}, wantHTTPError: 401},
		{name: "token answer without token", status: 200, answer: `{"token_type":"bearer"}`,
			call: func(ctx context.Context, c *Client) error {
				_, err := c.PasswordToken(ctx, clientID, secret, ccID+`\u`, userPass)
				return err
			},
			wantText: []string{"holds no access_token"}},
		{name: "not JSON", status: 200, answer: `<html>portal</html>`,
			call:     func(ctx context.Context, c *Client) error { _, err := c.Settings(ctx, ccID); return err },
			wantText: []string{"not JSON", "auth_url"}},
		{name: "ping 503", status: 503, answer: ``,
			call: func(ctx context.Context, c *Client) error { return c.Ping(ctx) }, wantHTTPError: 503},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newClient(t, s, s.URL)
			s.answer(tt.status, tt.answer)
			err := tt.call(context.Background(), c)
			if err == nil {
				t.Fatal("want an error")
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.wantIs)
			}
			if tt.wantNotIs != nil && errors.Is(err, tt.wantNotIs) {
				t.Errorf("errors.Is(%v, %v) = true", err, tt.wantNotIs)
			}
			var ae *APIError
			if errors.As(err, &ae) != tt.wantAPIError {
				t.Errorf("APIError = %v, want %v (%v)", !tt.wantAPIError, tt.wantAPIError, err)
			}
			var se *httpx.StatusError
			if tt.wantHTTPError != 0 && (!errors.As(err, &se) || se.Status != tt.wantHTTPError) {
				t.Errorf("error %v is not a StatusError %d", err, tt.wantHTTPError)
			}
			for _, w := range tt.wantText {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			for _, sec := range []string{opsPass, secret, userPass} {
				if strings.Contains(err.Error(), sec) {
					t.Errorf("error %q shows a secret", err)
				}
			}
		})
	}
}

func TestSecretsNeverRecorded(t *testing.T) {
	s := newServer(t)
	c, red := newClient(t, s, s.URL)
	var mu sync.Mutex
	var exs []httpx.Exchange
	ctx := httpx.WithRecorder(context.Background(), func(ex httpx.Exchange) {
		mu.Lock()
		defer mu.Unlock()
		exs = append(exs, ex)
	})
	s.answer(200, `{"access_token":"`+tokenText+`","token_type":"bearer","refresh_token":"refresh-`+tokenText+`"}`)
	tok, err := c.ClientCredentialsToken(ctx, clientID, secret)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.PasswordToken(ctx, clientID, secret, ccID+`\nexus`, userPass); err != nil {
		t.Fatal(err)
	}
	s.answer(200, `{"status":{"code":0}}`)
	if err := c.CreateClient(ctx, NexusClient(clientID, secret, nexusURL)); err != nil {
		t.Fatal(err)
	}
	dump := fmt.Sprintf("%#v", exs)
	for _, sec := range []string{opsPass, secret, userPass, tokenText} {
		if strings.Contains(dump, sec) {
			t.Errorf("secret %q recorded: %s", sec, dump)
		}
	}
	// The token received is registered: any later echo of it is masked.
	if got := red.String("x " + tok.AccessToken); got != "x "+redact.Mask {
		t.Errorf("received token not registered with the redactor: %q", got)
	}
	// Each attempt is recorded twice: announced (Pending) and finished;
	// both were scanned above.
	finished := 0
	for _, ex := range exs {
		if !ex.Pending {
			finished++
		}
	}
	if finished != 3 || len(exs) != 6 {
		t.Errorf("%d exchanges recorded (%d finished), want 6 (3)", len(exs), finished)
	}
}

func TestNoSecretInStrings(t *testing.T) {
	tok := Token{AccessToken: tokenText, TokenType: "bearer", RefreshToken: "refresh-" + tokenText, Scope: "*", ExpiresIn: 43199}
	oc := NexusClient(clientID, secret, nexusURL)
	tests := []struct {
		name     string
		text     string
		wantText string
	}{
		{"token %v", fmt.Sprintf("%v", tok), "expires in 43199s"},
		{"token %+v", fmt.Sprintf("%+v", tok), "bearer token ****"},
		{"token %#v", fmt.Sprintf("%#v", tok), "gws.Token{"},
		{"token pointer %v", fmt.Sprintf("%v", &tok), "scope \"*\""},
		{"token %s", fmt.Sprintf("%s", tok), "refresh ****"},
		{"client %v", fmt.Sprintf("%v", oc), "ClientSecret:****"},
		{"client %#v", fmt.Sprintf("%#v", oc), "ClientID:nexus_client"},
		{"client pointer %+v", fmt.Sprintf("%+v", &oc), "Name:nexus_client"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if strings.Contains(tt.text, tokenText) || strings.Contains(tt.text, secret) {
				t.Fatalf("%q shows a secret", tt.text)
			}
			if !strings.Contains(tt.text, tt.wantText) {
				t.Fatalf("%q lacks %q", tt.text, tt.wantText)
			}
		})
	}
}

func TestNexusClientMatchesVendorTable(t *testing.T) {
	got, err := json.Marshal(NexusClient(clientID, secret, nexusURL))
	if err != nil {
		t.Fatal(err)
	}
	if !sameJSON(t, string(got), nexusClientJSON) {
		t.Fatalf("NexusClient = %s\nwant %s", got, nexusClientJSON)
	}
	// Without a secret (a plan, a GET answer) the field is left out.
	noSecret, _ := json.Marshal(NexusClient(clientID, "", nexusURL))
	if strings.Contains(string(noSecret), "client_secret") {
		t.Fatalf("empty secret marshalled: %s", noSecret)
	}
}
