package sandbox

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestTLS(t *testing.T) {
	e := start(t, Options{})
	urls := map[string]string{"auth": e.sb.AuthURL, "gws": e.sb.GWSURL, "nexus": e.sb.NexusURL, "ucs": e.sb.UCSURL}
	seen := map[string]bool{}
	for name, u := range urls {
		pu, err := url.Parse(u)
		if err != nil || pu.Scheme != "https" || pu.Hostname() != "127.0.0.1" {
			t.Errorf("%s URL %q is not https://127.0.0.1:PORT", name, u)
		}
		if seen[pu.Port()] {
			t.Errorf("%s shares port %s with another service", name, pu.Port())
		}
		seen[pu.Port()] = true
	}

	t.Run("trusted client reaches every service", func(t *testing.T) {
		for name, u := range urls {
			r := e.send(req{method: "GET", url: u + "/health"})
			if r.status != 200 || r.json["service"] != name {
				t.Errorf("%s /health = %d %s", name, r.status, r.raw)
			}
		}
	})

	t.Run("client without the CA fails verification", func(t *testing.T) {
		plain := &http.Client{Timeout: 5 * time.Second}
		_, err := plain.Get(e.sb.GWSURL + "/")
		var unknown x509.UnknownAuthorityError
		if !errors.As(err, &unknown) {
			t.Fatalf("err = %v, want x509.UnknownAuthorityError", err)
		}
	})

	addr := strings.TrimPrefix(e.sb.AuthURL, "https://")
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(e.sb.CAPEM)
	for _, tt := range []struct {
		serverName string
		wantOK     bool
	}{
		{"127.0.0.1", true},
		{"localhost", true},
		{"::1", true},
		{"auth.example.com", false},
	} {
		t.Run("certificate for "+tt.serverName, func(t *testing.T) {
			conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool, ServerName: tt.serverName})
			if err == nil {
				conn.Close()
			}
			if (err == nil) != tt.wantOK {
				t.Errorf("dial with ServerName %q: err = %v, want ok=%t", tt.serverName, err, tt.wantOK)
			}
		})
	}

	t.Run("CAFile holds CAPEM", func(t *testing.T) {
		if e.sb.CAFile == "" || !strings.HasPrefix(string(e.sb.CAPEM), "-----BEGIN CERTIFICATE-----") {
			t.Fatalf("CAFile %q, CAPEM %q", e.sb.CAFile, e.sb.CAPEM)
		}
	})
}

func TestContactCenters(t *testing.T) {
	ccs := []string{DefaultContactCenter, "0c6a4c3e-1111-4222-8333-444455556666"}
	e := start(t, Options{ContactCenters: ccs, OpsPassword: "ops:with:colons"})
	u := e.sb.AuthURL + "/environment/v3/contact-centers"
	tests := []struct {
		name   string
		method string
		basic  []string
		want   int
	}{
		{"ops credentials", "GET", e.ops(), 200},
		{"no credentials", "GET", nil, 401},
		{"wrong password", "GET", []string{"ops", "ops"}, 401},
		{"wrong user", "GET", []string{"admin", e.sb.Opts.OpsPassword}, 401},
		{"POST is not allowed", "POST", e.ops(), 405},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.send(req{method: tt.method, url: u, basic: tt.basic})
			checkEnvelope(t, r, tt.want)
			if tt.want == 401 && !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Basic") {
				t.Errorf("401 without a Basic challenge: %v", r.header)
			}
			if tt.want == 405 && r.header.Get("Allow") != "GET" {
				t.Errorf("Allow = %q", r.header.Get("Allow"))
			}
			if tt.want != 200 {
				return
			}
			list, _ := r.json["data"].(map[string]any)["contactCenters"].([]any)
			if len(list) != len(ccs) {
				t.Fatalf("contactCenters = %v", list)
			}
			for i, c := range list {
				cc := c.(map[string]any)
				if cc["id"] != ccs[i] || cc["environmentId"] == "" || cc["auth"] != "configServer" {
					t.Errorf("contact center %d = %v", i, cc)
				}
				if _, ok := cc["domains"].([]any); !ok {
					t.Errorf("domains is not a list: %v", cc)
				}
			}
		})
	}
	if e.sb.CCID != ccs[0] {
		t.Errorf("CCID = %q, want the first contact center", e.sb.CCID)
	}
}

func TestSettings(t *testing.T) {
	e := start(t, Options{})
	base := e.sb.AuthURL + "/environment/v3/contact-centers/" + e.sb.CCID + "/settings"
	setting := func(value string) string {
		return mustJSON(t, map[string]any{"data": map[string]any{"name": "chat-service-uri", "location": "/", "value": value, "shared": false}})
	}

	r := e.send(req{method: "POST", url: base, basic: e.ops(), ctype: "application/json", body: setting("https://nexus.one")})
	checkEnvelope(t, r, 200)
	id, _ := r.json["data"].(map[string]any)["id"].(string)
	if id == "" {
		t.Fatalf("created setting has no id: %s", r.raw)
	}

	r = e.send(req{method: "POST", url: base, basic: e.ops(), ctype: "application/json", body: setting("https://nexus.two")})
	checkEnvelope(t, r, 200)
	if got := r.json["data"].(map[string]any)["id"]; got != id {
		t.Errorf("overwrite changed the id: %v, want %s", got, id)
	}

	r = e.send(req{method: "GET", url: base, basic: e.ops()})
	checkEnvelope(t, r, 200)
	list, _ := r.json["data"].(map[string]any)["settings"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["value"] != "https://nexus.two" {
		t.Fatalf("settings after overwrite = %s", r.raw)
	}
	if got := e.sb.Settings(e.sb.CCID); len(got) != 1 || got[0]["value"] != "https://nexus.two" || got[0]["shared"] != false {
		t.Errorf("Settings() = %v", got)
	}

	failures := []struct {
		name  string
		r     req
		want  int
		inMsg string
	}{
		{"non-JSON body", req{method: "POST", url: base, basic: e.ops(), ctype: "text/plain", body: setting("x")}, 400, "application/json"},
		{"broken JSON", req{method: "POST", url: base, basic: e.ops(), ctype: "application/json", body: `{"data":`}, 400, "JSON"},
		{"no data wrapper", req{method: "POST", url: base, basic: e.ops(), ctype: "application/json", body: `{"name":"a","value":"b"}`}, 400, "data"},
		{"no name", req{method: "POST", url: base, basic: e.ops(), ctype: "application/json", body: `{"data":{"value":"b"}}`}, 400, "name"},
		{"no value", req{method: "POST", url: base, basic: e.ops(), ctype: "application/json", body: `{"data":{"name":"b"}}`}, 400, "value"},
		{"shared not a bool", req{method: "POST", url: base, basic: e.ops(), ctype: "application/json", body: `{"data":{"name":"b","value":"c","shared":"no"}}`}, 400, "shared"},
		{"unknown contact center", req{method: "GET", url: strings.Replace(base, e.sb.CCID, "nope", 1), basic: e.ops()}, 404, "nope"},
		{"no ops credentials", req{method: "GET", url: base}, 401, "credentials"},
		{"PUT not allowed", req{method: "PUT", url: base, basic: e.ops()}, 405, "PUT"},
		{"GET one setting not allowed", req{method: "GET", url: base + "/" + id, basic: e.ops()}, 405, "DELETE"},
		{"delete unknown id", req{method: "DELETE", url: base + "/no-such-id", basic: e.ops()}, 404, "no-such-id"},
	}
	for _, tt := range failures {
		t.Run(tt.name, func(t *testing.T) {
			r := e.send(tt.r)
			checkEnvelope(t, r, tt.want)
			if !strings.Contains(statusMessage(r), tt.inMsg) {
				t.Errorf("message %q does not mention %q", statusMessage(r), tt.inMsg)
			}
		})
	}

	r = e.send(req{method: "DELETE", url: base + "/" + id, basic: e.ops()})
	checkEnvelope(t, r, 200)
	if got := e.sb.Settings(e.sb.CCID); len(got) != 0 {
		t.Errorf("Settings() after delete = %v", got)
	}
	checkEnvelope(t, e.send(req{method: "DELETE", url: base + "/" + id, basic: e.ops()}), 404)
}

func TestOpsClients(t *testing.T) {
	e := start(t, Options{})
	base := e.sb.AuthURL + "/auth/v3/ops/clients"
	secret := "first&secret+%"
	create := func(body any) resp {
		return e.send(req{method: "POST", url: base, basic: e.ops(), ctype: "application/json", body: mustJSON(t, body)})
	}

	r := create(validClient("nexus_client", secret))
	checkEnvelope(t, r, 200)
	if _, leaked := r.json["data"].(map[string]any)["client_secret"]; leaked || strings.Contains(r.raw, secret) {
		t.Errorf("create answer shows the secret: %s", r.raw)
	}

	r = create(validClient("nexus_client", "other"))
	checkEnvelope(t, r, 409)
	if !strings.Contains(statusMessage(r), "already exists") {
		t.Errorf("409 message = %q, want it to say already exists", statusMessage(r))
	}

	invalid := []struct {
		name   string
		mutate func(d map[string]any)
		inMsg  string
	}{
		{"no client_id", func(d map[string]any) { delete(d, "client_id") }, "client_id"},
		{"empty secret", func(d map[string]any) { d["client_secret"] = "" }, "client_secret"},
		{"public client", func(d map[string]any) { d["clientType"] = "PUBLIC" }, "CONFIDENTIAL"},
		{"no password grant", func(d map[string]any) { d["authorizedGrantTypes"] = []string{"client_credentials"} }, "password"},
		{"no client_credentials grant", func(d map[string]any) { d["authorizedGrantTypes"] = []string{"password"} }, "client_credentials"},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			body := validClient("other_client", "x")
			tt.mutate(body["data"].(map[string]any))
			r := create(body)
			checkEnvelope(t, r, 400)
			if !strings.Contains(statusMessage(r), tt.inMsg) {
				t.Errorf("message %q does not mention %q", statusMessage(r), tt.inMsg)
			}
		})
	}
	t.Run("non-JSON body", func(t *testing.T) {
		r := e.send(req{method: "POST", url: base, basic: e.ops(), ctype: "application/x-www-form-urlencoded", body: "client_id=x"})
		checkEnvelope(t, r, 400)
	})
	t.Run("no ops credentials", func(t *testing.T) {
		r := e.send(req{method: "POST", url: base, ctype: "application/json", body: mustJSON(t, validClient("x", "y"))})
		checkEnvelope(t, r, 401)
	})

	r = e.send(req{method: "GET", url: base + "/nexus_client", basic: e.ops()})
	checkEnvelope(t, r, 200)
	d := r.json["data"].(map[string]any)
	if d["client_id"] != "nexus_client" || d["clientType"] != "CONFIDENTIAL" {
		t.Errorf("GET client = %s", r.raw)
	}
	if _, leaked := d["client_secret"]; leaked {
		t.Errorf("GET shows the secret: %s", r.raw)
	}
	checkEnvelope(t, e.send(req{method: "GET", url: base + "/nobody", basic: e.ops()}), 404)

	r = e.send(req{method: "GET", url: base, basic: e.ops()})
	checkEnvelope(t, r, 200)
	if list, _ := r.json["data"].([]any); len(list) != 1 || strings.Contains(r.raw, secret) {
		t.Errorf("list = %s", r.raw)
	}

	// PUT without a secret keeps the old one: the token endpoint still takes it.
	upd := validClient("nexus_client", "")
	delete(upd["data"].(map[string]any), "client_secret")
	upd["data"].(map[string]any)["description"] = "updated"
	r = e.send(req{method: "PUT", url: base + "/nexus_client", basic: e.ops(), ctype: "application/json", body: mustJSON(t, upd)})
	checkEnvelope(t, r, 200)
	got := e.sb.Clients()
	if len(got) != 1 || got[0]["description"] != "updated" || got[0]["client_secret"] != secret {
		t.Errorf("Clients() after PUT = %v", got)
	}
	r = e.send(req{method: "PUT", url: base + "/nexus_client", basic: e.ops(), ctype: "application/json",
		body: mustJSON(t, validClient("someone_else", "x"))})
	checkEnvelope(t, r, 400)
	checkEnvelope(t, e.send(req{method: "PUT", url: base + "/nobody", basic: e.ops(), ctype: "application/json",
		body: mustJSON(t, validClient("nobody", "x"))}), 404)

	// Inspection returns copies.
	got[0]["client_secret"] = "tampered"
	if e.sb.Clients()[0]["client_secret"] != secret {
		t.Error("Clients() returned the sandbox's own map")
	}

	checkEnvelope(t, e.send(req{method: "DELETE", url: base + "/nexus_client", basic: e.ops()}), 200)
	checkEnvelope(t, e.send(req{method: "GET", url: base + "/nexus_client", basic: e.ops()}), 404)
	checkEnvelope(t, e.send(req{method: "DELETE", url: base + "/nexus_client", basic: e.ops()}), 404)
	checkEnvelope(t, e.send(req{method: "PATCH", url: base + "/nexus_client", basic: e.ops()}), 405)
	if len(e.sb.Clients()) != 0 {
		t.Errorf("Clients() after DELETE = %v", e.sb.Clients())
	}
}

func TestToken(t *testing.T) {
	e := start(t, Options{})
	secret := e.createClient("nexus_client")
	tokenURL := e.sb.AuthURL + "/auth/v3/oauth/token"
	client := []string{"nexus_client", secret}
	// The vendor page's client_credentials request: everything in the query,
	// which a strict server refuses (the secret is in the URL).
	ccQuery := tokenURL + "?" + url.Values{"grant_type": {"client_credentials"}, "scope": {"*"},
		"client_id": {"nexus_client"}, "client_secret": {secret}}.Encode()
	userName := e.sb.CCID + `\` + e.sb.Opts.TenantUser
	form := func(kv ...string) string {
		v := url.Values{}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v.Encode()
	}
	const formType = "application/x-www-form-urlencoded"
	pw := e.sb.Opts.TenantPassword

	tests := []struct {
		name      string
		r         req
		want      int
		wantError string // OAuth "error" on failure
		refresh   bool
		inDesc    string // in error_description
	}{
		{"client_credentials with the secret in the query", req{method: "POST", url: ccQuery, basic: client}, 400, "invalid_request", false, "credentials must not be sent in the URL"},
		{"client_credentials grant in the query, secret in basic", req{method: "POST", url: tokenURL + "?grant_type=client_credentials&scope=*", basic: client}, 200, "", false, ""},
		{"client_credentials in a form", req{method: "POST", url: tokenURL, basic: client, ctype: formType, body: form("grant_type", "client_credentials", "scope", "*")}, 200, "", false, ""},
		{"client_credentials without basic auth", req{method: "POST", url: tokenURL, ctype: formType, body: form("grant_type", "client_credentials", "scope", "*")}, 401, "invalid_client", false, ""},
		{"client_credentials with the secret in the query and no basic auth", req{method: "POST", url: ccQuery}, 400, "invalid_request", false, "not be sent in the URL"},
		{"client_credentials with a wrong secret", req{method: "POST", url: tokenURL + "?grant_type=client_credentials", basic: []string{"nexus_client", "wrong"}}, 401, "invalid_client", false, ""},
		{"unknown client", req{method: "POST", url: tokenURL + "?grant_type=client_credentials", basic: []string{"ghost", secret}}, 401, "invalid_client", false, ""},
		{"query client_id differs from basic", req{method: "POST", url: tokenURL + "?grant_type=client_credentials&client_id=ghost", basic: client}, 401, "invalid_client", false, "does not match"},
		{"bad scope", req{method: "POST", url: tokenURL + "?grant_type=client_credentials&scope=admin", basic: client}, 400, "invalid_scope", false, ""},
		{"password grant", req{method: "POST", url: tokenURL, basic: client, ctype: formType, body: form("username", userName, "client_id", "nexus_client", "grant_type", "password", "password", pw)}, 200, "", true, ""},
		{"password grant with two backslashes", req{method: "POST", url: tokenURL, basic: client, ctype: formType, body: form("username", e.sb.CCID+`\\`+e.sb.Opts.TenantUser, "grant_type", "password", "password", pw)}, 400, "invalid_grant", false, "one backslash"},
		{"password grant without the contact center", req{method: "POST", url: tokenURL, basic: client, ctype: formType, body: form("username", e.sb.Opts.TenantUser, "grant_type", "password", "password", pw)}, 400, "invalid_grant", false, "one backslash"},
		{"password grant with a forward slash", req{method: "POST", url: tokenURL, basic: client, ctype: formType, body: form("username", e.sb.CCID+"/"+e.sb.Opts.TenantUser, "grant_type", "password", "password", pw)}, 400, "invalid_grant", false, "one backslash"},
		{"password grant for an unknown contact center", req{method: "POST", url: tokenURL, basic: client, ctype: formType, body: form("username", `nope\`+e.sb.Opts.TenantUser, "grant_type", "password", "password", pw)}, 400, "invalid_grant", false, "contact center"},
		{"password grant with a wrong password", req{method: "POST", url: tokenURL, basic: client, ctype: formType, body: form("username", userName, "grant_type", "password", "password", pw+"x")}, 400, "invalid_grant", false, ""},
		{"password grant for another user", req{method: "POST", url: tokenURL, basic: client, ctype: formType, body: form("username", e.sb.CCID+`\someone`, "grant_type", "password", "password", pw)}, 400, "invalid_grant", false, ""},
		{"password in the URL", req{method: "POST", url: tokenURL + "?" + form("password", pw), basic: client, ctype: formType, body: form("username", userName, "grant_type", "password")}, 400, "invalid_request", false, "not be sent in the URL"},
		{"password grant as JSON", req{method: "POST", url: tokenURL, basic: client, ctype: "application/json", body: `{"grant_type":"password"}`}, 400, "invalid_request", false, "x-www-form-urlencoded"},
		{"password grant without a secret in basic", req{method: "POST", url: tokenURL, basic: []string{"nexus_client", ""}, ctype: formType, body: form("username", userName, "grant_type", "password", "password", pw)}, 401, "invalid_client", false, ""},
		{"no grant_type", req{method: "POST", url: tokenURL, basic: client}, 400, "invalid_request", false, "grant_type"},
		{"unsupported grant", req{method: "POST", url: tokenURL + "?grant_type=magic", basic: client}, 400, "unsupported_grant_type", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.send(tt.r)
			if r.status != tt.want {
				t.Fatalf("status = %d, want %d: %s", r.status, tt.want, r.raw)
			}
			if strings.Contains(r.raw, secret) || strings.Contains(r.raw, pw) {
				t.Errorf("answer echoes a secret: %s", r.raw)
			}
			if tt.want != 200 {
				desc, _ := r.json["error_description"].(string)
				if r.json["error"] != tt.wantError || desc == "" || !strings.Contains(desc, tt.inDesc) {
					t.Errorf("error = %v (%q), want %s mentioning %q", r.json["error"], desc, tt.wantError, tt.inDesc)
				}
				return
			}
			if tok, _ := r.json["access_token"].(string); tok == "" {
				t.Errorf("no access_token: %s", r.raw)
			}
			if r.json["token_type"] != "bearer" || r.json["expires_in"] != float64(43199) || r.json["scope"] != "*" {
				t.Errorf("token answer = %s", r.raw)
			}
			if _, has := r.json["refresh_token"]; has != tt.refresh {
				t.Errorf("refresh_token present = %t, want %t", has, tt.refresh)
			}
			if r.header.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control = %q", r.header.Get("Cache-Control"))
			}
		})
	}
	checkEnvelope(t, e.send(req{method: "GET", url: tokenURL}), 405)
}
