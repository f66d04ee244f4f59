package gws

// What goes into a URL: no request carries a secret there, and an id put in
// a path names exactly one object or nothing is sent.

import (
	"context"
	"errors"
	"net/url"
	"path"
	"strings"
	"testing"

	"github.com/nexus-onboard/nexus-onboard/clients/httpx"
)

// everyCall runs every call of the client once.
func everyCall(ctx context.Context, c *Client) map[string]error {
	nc := NexusClient(clientID, secret, nexusURL)
	out := map[string]error{}
	_, out["ContactCenters"] = c.ContactCenters(ctx)
	_, out["GetClient"] = c.GetClient(ctx, clientID)
	out["CreateClient"] = c.CreateClient(ctx, nc)
	out["UpdateClient"] = c.UpdateClient(ctx, nc)
	out["DeleteClient"] = c.DeleteClient(ctx, clientID)
	_, out["ClientCredentialsToken"] = c.ClientCredentialsToken(ctx, clientID, secret)
	_, out["PasswordToken"] = c.PasswordToken(ctx, clientID, secret, ccID+`\nexus`, userPass)
	_, out["Settings"] = c.Settings(ctx, ccID)
	out["CreateSetting"] = c.CreateSetting(ctx, ccID, Setting{Name: ChatServiceURISetting, Location: "/", Value: nexusURL})
	out["DeleteSetting"] = c.DeleteSetting(ctx, ccID, "s1")
	out["Ping"] = c.Ping(ctx)
	return out
}

// everyBuilder is every request builder, as plans call them.
func everyBuilder(c *Client) map[string]httpx.Request {
	nc := NexusClient(clientID, secret, nexusURL)
	return map[string]httpx.Request{
		"ContactCentersRequest":         c.ContactCentersRequest(),
		"GetClientRequest":              c.GetClientRequest(clientID),
		"CreateClientRequest":           c.CreateClientRequest(nc),
		"UpdateClientRequest":           c.UpdateClientRequest(nc),
		"DeleteClientRequest":           c.DeleteClientRequest(clientID),
		"ClientCredentialsTokenRequest": c.ClientCredentialsTokenRequest(clientID, secret),
		"PasswordTokenRequest":          c.PasswordTokenRequest(clientID, secret, ccID+`\nexus`, userPass),
		"SettingsRequest":               c.SettingsRequest(ccID),
		"CreateSettingRequest":          c.CreateSettingRequest(ccID, Setting{Name: ChatServiceURISetting, Value: nexusURL}),
		"DeleteSettingRequest":          c.DeleteSettingRequest(ccID, "s1"),
		"PingRequest":                   c.PingRequest(),
	}
}

// TestNoSecretInAnyURL sends every call and asserts that no request URL, as
// the server received it (path and raw query), nor any builder's URL holds
// a secret in any spelling; and that the token requests have no query at
// all.
func TestNoSecretInAnyURL(t *testing.T) {
	s := newServer(t)
	c, _ := newClient(t, s, s.URL)
	s.answer(200, `{"status":{"code":0},"data":{},"access_token":"`+tokenText+`","token_type":"bearer"}`)
	for name, err := range everyCall(context.Background(), c) {
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	got := s.requests()
	if len(got) != 11 {
		t.Fatalf("server saw %d requests, want 11", len(got))
	}
	urls := map[string]string{}
	for i, g := range got {
		urls["request "+g.Method+" "+g.Path+" #"+string(rune('a'+i))] = g.Path + "?" + g.Query
		if g.Path == TokenPath && g.Query != "" {
			t.Errorf("token request with a query: %q", g.Query)
		}
		if g.Path == TokenPath && (!g.HasBasic || g.User != clientID || g.Pass != secret) {
			t.Errorf("token request without the client's basic auth: %+v", g)
		}
	}
	for name, r := range everyBuilder(c) {
		urls[name] = r.URL
	}
	for where, u := range urls {
		for _, sec := range []string{opsPass, secret, userPass, tokenText} {
			for _, shape := range shapes(sec) {
				if strings.Contains(u, shape) {
					t.Errorf("%s: URL %q holds a secret (%q)", where, u, shape)
				}
			}
		}
		if q, _ := url.ParseQuery(strings.SplitN(u+"?", "?", 2)[1]); q.Has("client_secret") || q.Has("password") || q.Has("client_id") {
			t.Errorf("%s: URL %q carries credentials", where, u)
		}
	}
}

// TestSendRefusesSecretInURL: whatever builds a request, send refuses one
// whose URL carries a secret, and nothing reaches the server.
func TestSendRefusesSecretInURL(t *testing.T) {
	s := newServer(t)
	c, red := newClient(t, s, s.URL)
	red.Add(userPass)
	tok := c.url(TokenPath)
	tests := []struct {
		name string
		req  httpx.Request
	}{
		{"the vendor page's query", httpx.Request{Method: "POST", URL: tok + "?grant_type=client_credentials&scope=*&client_id=" + clientID + "&client_secret=" + url.QueryEscape(secret), BasicUser: clientID, BasicPass: secret}},
		{"client_secret by name", httpx.Request{Method: "POST", URL: tok + "?client_secret=x"}},
		{"password by name", httpx.Request{Method: "POST", URL: tok + "?Password=x"}},
		{"access_token by name", httpx.Request{Method: "GET", URL: c.url(ContactCentersPath) + "?access_token=x"}},
		{"the basic password as a value", httpx.Request{Method: "POST", URL: tok + "?s=" + url.QueryEscape(secret), BasicUser: clientID, BasicPass: secret}},
		{"the bearer as a value", httpx.Request{Method: "GET", URL: c.url("/") + "?t=" + tokenText, Bearer: tokenText}},
		{"a known secret as a value", httpx.Request{Method: "GET", URL: c.url("/") + "?u=" + url.QueryEscape(userPass)}},
		{"a known secret as a name", httpx.Request{Method: "GET", URL: c.url("/") + "?" + url.QueryEscape(userPass)}},
		{"user info", httpx.Request{Method: "GET", URL: strings.Replace(c.url("/"), "https://", "https://ops:"+url.QueryEscape(opsPass)+"@", 1)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.answer(200, `{}`)
			_, err := c.send(context.Background(), tt.req)
			if !errors.Is(err, ErrSecretInURL) {
				t.Fatalf("send = %v, want ErrSecretInURL", err)
			}
			for _, sec := range []string{opsPass, secret, userPass, tokenText} {
				if strings.Contains(err.Error(), sec) {
					t.Errorf("error shows a secret: %v", err)
				}
			}
			if n := len(s.requests()); n != 0 {
				t.Errorf("server saw %d requests, want 0", n)
			}
		})
	}
}

// idCalls are the calls that put an id in a URL path, each with the path it
// must send for an id escaped as esc.
var idCalls = []struct {
	name  string
	call  func(context.Context, *Client, string) error
	build func(*Client, string) httpx.Request
	path  func(esc string) string
}{
	{"GetClient", func(ctx context.Context, c *Client, id string) error { _, err := c.GetClient(ctx, id); return err },
		func(c *Client, id string) httpx.Request { return c.GetClientRequest(id) },
		func(esc string) string { return OpsClientsPath + "/" + esc }},
	{"UpdateClient", func(ctx context.Context, c *Client, id string) error {
		return c.UpdateClient(ctx, NexusClient(id, secret, nexusURL))
	},
		func(c *Client, id string) httpx.Request {
			return c.UpdateClientRequest(NexusClient(id, secret, nexusURL))
		},
		func(esc string) string { return OpsClientsPath + "/" + esc }},
	{"DeleteClient", func(ctx context.Context, c *Client, id string) error { return c.DeleteClient(ctx, id) },
		func(c *Client, id string) httpx.Request { return c.DeleteClientRequest(id) },
		func(esc string) string { return OpsClientsPath + "/" + esc }},
	{"Settings", func(ctx context.Context, c *Client, id string) error { _, err := c.Settings(ctx, id); return err },
		func(c *Client, id string) httpx.Request { return c.SettingsRequest(id) },
		func(esc string) string { return ContactCentersPath + "/" + esc + "/settings" }},
	{"CreateSetting", func(ctx context.Context, c *Client, id string) error {
		return c.CreateSetting(ctx, id, Setting{Name: ChatServiceURISetting, Location: "/", Value: nexusURL})
	},
		func(c *Client, id string) httpx.Request {
			return c.CreateSettingRequest(id, Setting{Name: ChatServiceURISetting, Location: "/", Value: nexusURL})
		},
		func(esc string) string { return ContactCentersPath + "/" + esc + "/settings" }},
	{"DeleteSetting by contact center", func(ctx context.Context, c *Client, id string) error { return c.DeleteSetting(ctx, id, "s1") },
		func(c *Client, id string) httpx.Request { return c.DeleteSettingRequest(id, "s1") },
		func(esc string) string { return ContactCentersPath + "/" + esc + "/settings/s1" }},
	{"DeleteSetting by setting", func(ctx context.Context, c *Client, id string) error { return c.DeleteSetting(ctx, ccID, id) },
		func(c *Client, id string) httpx.Request { return c.DeleteSettingRequest(ccID, id) },
		func(esc string) string { return ContactCentersPath + "/" + ccID + "/settings/" + esc }},
}

// namesOneObject reports whether an escaped path has only segments that
// each name one object, even for a proxy that decodes and normalises it.
func namesOneObject(p string) bool {
	if path.Clean(p) != p {
		return false
	}
	for _, seg := range strings.Split(strings.TrimPrefix(p, "/"), "/") {
		dec, err := url.PathUnescape(seg)
		if err != nil || dec == "" || dec == "." || dec == ".." || strings.Contains(dec, "/") {
			return false
		}
	}
	return true
}

// TestIDsInPaths: an id that cannot name exactly one object is refused by
// the call and by send (for the builder's request) with ErrBadID, before
// anything is sent; any other id is sent escaped, as one segment.
func TestIDsInPaths(t *testing.T) {
	s := newServer(t)
	c, _ := newClient(t, s, s.URL)
	ids := []struct {
		id      string
		refused bool
	}{
		{"..", true}, {".", true}, {"", true}, {"a/b", true}, {"../../x", true}, {"/", true}, {"%2e%2e/..", true},
		{"%2e%2e", false}, {`a\b`, false}, {`nexus\client%41`, false}, {"%2F", false}, {"a b", false}, {"..a", false}, {clientID, false}, {"<setting id>", false},
	}
	for _, call := range idCalls {
		for _, tt := range ids {
			t.Run(call.name+"/"+tt.id, func(t *testing.T) {
				s.answer(200, `{"status":{"code":0},"data":{}}`)
				err := call.call(context.Background(), c, tt.id)
				got := s.requests()
				if tt.refused {
					if !errors.Is(err, ErrBadID) {
						t.Errorf("call = %v, want ErrBadID", err)
					}
					if len(got) != 0 {
						t.Fatalf("a refused id was sent: %+v", got)
					}
					// The builder still returns a request (plans show it),
					// and send refuses it.
					req := call.build(c, tt.id)
					if req.URL == "" || req.Method == "" {
						t.Errorf("builder returned an empty request: %+v", req)
					}
					if _, err := c.send(context.Background(), req); !errors.Is(err, ErrBadID) {
						t.Errorf("send(builder request %s) = %v, want ErrBadID", req.URL, err)
					}
					if n := len(s.requests()); n != 0 {
						t.Fatalf("the builder's request for a refused id was sent")
					}
					return
				}
				if err != nil {
					t.Fatalf("call: %v", err)
				}
				if len(got) != 1 {
					t.Fatalf("server saw %d requests, want 1", len(got))
				}
				want := call.path(url.PathEscape(tt.id))
				if got[0].Path != want || !namesOneObject(got[0].Path) {
					t.Errorf("sent path %q, want %q naming one object", got[0].Path, want)
				}
				if b := call.build(c, tt.id); b.URL != c.url(want) {
					t.Errorf("builder URL %q, want %q", b.URL, c.url(want))
				}
			})
		}
	}
}

func TestSegment(t *testing.T) {
	for _, tt := range []struct {
		id, want string
		bad      bool
	}{
		{"nexus_client", "nexus_client", false}, {"s 1", "s%201", false}, {"%2e%2e", "%252e%252e", false},
		{"", "", true}, {".", ".", true}, {"..", "..", true}, {"a/b", "a%2Fb", true}, {`a\b`, "a%5Cb", false},
	} {
		got, err := segment("id", tt.id)
		if got != tt.want || (err != nil) != tt.bad || (err != nil && !errors.Is(err, ErrBadID)) {
			t.Errorf("segment(%q) = %q, %v; want %q, bad %t", tt.id, got, err, tt.want, tt.bad)
		}
	}
}

// TestBaseURLPathIsTheUsers: auth_url may have a path of its own; only what
// the client appends is checked.
func TestBaseURLPathIsTheUsers(t *testing.T) {
	s := newServer(t)
	c, _ := newClient(t, s, s.URL+"/gauth/")
	s.answer(200, `{"status":{"code":0},"data":{}}`)
	if err := c.Ping(context.Background()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	if err := c.DeleteClient(context.Background(), clientID); err != nil {
		t.Fatalf("DeleteClient: %v", err)
	}
	got := s.requests()
	if len(got) != 2 || got[0].Path != "/gauth/" || got[1].Path != "/gauth"+OpsClientsPath+"/"+clientID {
		t.Fatalf("requests = %+v", got)
	}
}
