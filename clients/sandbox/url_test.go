package sandbox

// Secrets in URLs are refused as a strict server would; the token endpoint
// takes client_credentials with basic auth and the grant in the body; and
// sandboxes with RandomIdentity never share a contact center.

import (
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

const formType = "application/x-www-form-urlencoded"

func TestSecretInQueryRefused(t *testing.T) {
	e := start(t, Options{})
	secret := e.createClient("nexus_client") // holds & + % : (see createClient)
	token := e.passwordToken("nexus_client", secret)
	client := []string{"nexus_client", secret}
	tokenURL := e.sb.AuthURL + "/auth/v3/oauth/token"
	grant := "grant_type=client_credentials&scope=*"
	tests := []struct {
		name string
		r    req
	}{
		{"the vendor page's client_credentials query", req{method: "POST", basic: client,
			url: tokenURL + "?" + grant + "&client_id=nexus_client&client_secret=" + url.QueryEscape(secret)}},
		{"client_secret by name, whatever its value", req{method: "POST", basic: client, url: tokenURL + "?" + grant + "&client_secret=x"}},
		{"client_secret in another case", req{method: "POST", basic: client, url: tokenURL + "?" + grant + "&Client_Secret=x"}},
		{"password by name", req{method: "POST", basic: client, url: tokenURL + "?password=x", ctype: formType,
			body: url.Values{"grant_type": {"password"}, "username": {e.sb.CCID + `\` + e.sb.Opts.TenantUser}}.Encode()}},
		{"the client secret under another name", req{method: "POST", basic: client, url: tokenURL + "?" + grant + "&s=" + url.QueryEscape(secret)}},
		{"the client secret not encoded", req{method: "POST", basic: client, url: tokenURL + "?" + grant + "&s=" + strings.ReplaceAll(secret, "%", "%25")}},
		{"the ops password on an ops call", req{method: "GET", basic: e.ops(), url: e.sb.AuthURL + "/environment/v3/contact-centers?p=" + url.QueryEscape(e.sb.Opts.OpsPassword)}},
		{"the tenant password on the nexus service", req{method: "POST", bearer: token, ctype: "application/json", body: "{}",
			url: e.sb.NexusURL + "/nexus/v3/provisioning/tenants?token=" + url.QueryEscape(e.sb.Opts.TenantPassword)}},
		{"an access token by name", req{method: "POST", ctype: "application/json", body: "{}",
			url: e.sb.NexusURL + "/nexus/v3/provisioning/tenants?access_token=" + token}},
		{"an issued token as a value", req{method: "GET", url: e.sb.GWSURL + "/health?t=" + token}},
		{"the UCS key on the UCS service", req{method: "GET", url: e.sb.UCSURL + "/?k=" + e.sb.Opts.UCSAPIKey}},
	}
	issued := len(e.sb.IssuedTokens())
	before := len(e.sb.RequestsWithSecretInURL())
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.send(tt.r)
			if r.status != 400 || r.json["error"] != "invalid_request" || r.json["error_description"] != "credentials must not be sent in the URL" {
				t.Fatalf("answer = %d %s, want 400 invalid_request", r.status, r.raw)
			}
			if r.header.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control = %q", r.header.Get("Cache-Control"))
			}
			for _, sec := range []string{secret, token, e.sb.Opts.OpsPassword, e.sb.Opts.TenantPassword, e.sb.Opts.UCSAPIKey} {
				if strings.Contains(r.raw, sec) {
					t.Errorf("answer echoes a secret: %s", r.raw)
				}
			}
			bad := e.sb.RequestsWithSecretInURL()
			if len(bad) != before+i+1 {
				t.Fatalf("RequestsWithSecretInURL() has %d entries, want %d", len(bad), before+i+1)
			}
			last := bad[len(bad)-1]
			if last.Status != 400 || !last.SecretInURL || !strings.Contains(tt.r.url, last.URI) || !strings.Contains(last.URI, "?") {
				t.Errorf("log = %+v, URI %q", last, last.URI)
			}
		})
	}
	if n := len(e.sb.IssuedTokens()); n != issued {
		t.Errorf("a refused request was served: %d tokens issued, want %d", n, issued)
	}
	if n := len(e.sb.Tenants()); n != 0 {
		t.Errorf("a refused request provisioned %d tenants", n)
	}
}

// TestNoSecretQueryAccepted: queries without credentials are served as before.
func TestNoSecretQueryAccepted(t *testing.T) {
	e := start(t, Options{})
	secret := e.createClient("nexus_client")
	for _, r := range []req{
		{method: "POST", url: e.sb.AuthURL + "/auth/v3/oauth/token?grant_type=client_credentials&scope=*&client_id=nexus_client", basic: []string{"nexus_client", secret}},
		{method: "GET", url: e.sb.GWSURL + "/health?probe=1"},
		{method: "GET", url: e.sb.AuthURL + "/environment/v3/contact-centers?cc=" + e.sb.CCID, basic: e.ops()},
	} {
		if got := e.send(r); got.status != 200 {
			t.Errorf("%s %s = %d %s", r.method, r.url, got.status, got.raw)
		}
	}
	if bad := e.sb.RequestsWithSecretInURL(); len(bad) != 0 {
		t.Errorf("RequestsWithSecretInURL() = %v", bad)
	}
}

// TestTokenBasicAndFormBody: client_credentials with HTTP basic and the grant
// in the form body, and the password grant, are served; no URL carries a
// secret, as the server saw them.
func TestTokenBasicAndFormBody(t *testing.T) {
	e := start(t, Options{})
	secret := e.createClient("nexus_client")
	tokenURL := e.sb.AuthURL + "/auth/v3/oauth/token"
	r := e.send(req{method: "POST", url: tokenURL, basic: []string{"nexus_client", secret}, ctype: formType,
		body: "grant_type=client_credentials&scope=*"})
	if tok, _ := r.json["access_token"].(string); r.status != 200 || tok == "" || r.json["scope"] != "*" {
		t.Fatalf("client_credentials in the body = %d %s", r.status, r.raw)
	}
	if _, has := r.json["refresh_token"]; has {
		t.Errorf("client_credentials answered a refresh token: %s", r.raw)
	}
	if tok := e.passwordToken("nexus_client", secret); tok == "" {
		t.Fatal("password grant gave no token")
	}
	// A wrong secret in basic is still refused with the grant in the body.
	r = e.send(req{method: "POST", url: tokenURL, basic: []string{"nexus_client", "wrong"}, ctype: formType,
		body: "grant_type=client_credentials&scope=*"})
	if r.status != 401 || r.json["error"] != "invalid_client" {
		t.Errorf("wrong secret = %d %s", r.status, r.raw)
	}

	if bad := e.sb.RequestsWithSecretInURL(); len(bad) != 0 {
		t.Errorf("RequestsWithSecretInURL() = %v", bad)
	}
	secrets := append(e.sb.IssuedTokens(), secret, e.sb.Opts.OpsPassword, e.sb.Opts.TenantPassword)
	for _, l := range e.sb.Requests() {
		if l.URI == "" || l.URI != l.Path {
			t.Errorf("request URI %q (path %q): want the path, no query", l.URI, l.Path)
		}
		for _, sec := range secrets {
			if strings.Contains(l.URI, sec) || strings.Contains(l.URI, url.QueryEscape(sec)) {
				t.Errorf("request URI %q holds a secret", l.URI)
			}
		}
	}
}

func TestSecretInQuery(t *testing.T) {
	known := []string{"s3cret&+%:x", "ops"}
	for _, tt := range []struct {
		q    string
		want bool
	}{
		{"", false}, {"grant_type=client_credentials&scope=*", false}, {"a=1&b=opsx", false},
		{"client_secret=", true}, {"PASSWORD=1", true}, {"access_token=t", true},
		{"x=ops", true}, {"ops", true}, {"x=" + url.QueryEscape("s3cret&+%:x"), true},
		{"x=s3cret&+%:x", true}, {"x=" + url.PathEscape("s3cret&+%:x"), true}, {"%zz&x=s3cret%26%2B%25%3Ax", true},
	} {
		if got := secretInQuery(tt.q, known); got != tt.want {
			t.Errorf("secretInQuery(%q) = %t, want %t", tt.q, got, tt.want)
		}
	}
}

var tenantSuffixRE = regexp.MustCompile(`^sandbox_tenant_[0-9a-f]{6}$`)

// TestRandomIdentity: sandboxes started with RandomIdentity get their own
// contact center (a lower-case v4 UUID) and tenant name, both in the config
// they write; values given explicitly, and the defaults without
// RandomIdentity, stay as they are.
func TestRandomIdentity(t *testing.T) {
	a := start(t, Options{RandomIdentity: true, Dir: t.TempDir()})
	b := start(t, Options{RandomIdentity: true})
	for _, e := range []*env{a, b} {
		if !uuidRE.MatchString(e.sb.CCID) || e.sb.CCID == DefaultContactCenter {
			t.Errorf("CCID %q is not a fresh lower-case v4 UUID", e.sb.CCID)
		}
		if !tenantSuffixRE.MatchString(e.sb.Opts.TenantName) {
			t.Errorf("tenant name %q is not sandbox_tenant_<6 hex>", e.sb.Opts.TenantName)
		}
		raw, err := os.ReadFile(e.sb.ConfigFile)
		if err != nil {
			t.Fatal(err)
		}
		var cfg map[string]string
		if err := yaml.Unmarshal(raw, &cfg); err != nil {
			t.Fatal(err)
		}
		if cfg["cc_id"] != e.sb.CCID || cfg["tenant_name"] != e.sb.Opts.TenantName {
			t.Errorf("config cc_id %q tenant_name %q, want %q %q", cfg["cc_id"], cfg["tenant_name"], e.sb.CCID, e.sb.Opts.TenantName)
		}
		// The contact center is the one the services know.
		r := e.send(req{method: "GET", url: e.sb.AuthURL + "/environment/v3/contact-centers/" + e.sb.CCID + "/settings", basic: e.ops()})
		if r.status != 200 {
			t.Errorf("settings of %s = %d %s", e.sb.CCID, r.status, r.raw)
		}
	}
	if a.sb.CCID == b.sb.CCID || a.sb.Opts.TenantName == b.sb.Opts.TenantName {
		t.Errorf("two sandboxes share an identity: %s %s / %s %s", a.sb.CCID, a.sb.Opts.TenantName, b.sb.CCID, b.sb.Opts.TenantName)
	}

	given := start(t, Options{RandomIdentity: true, ContactCenters: []string{DefaultContactCenter}, TenantName: "mine"})
	if given.sb.CCID != DefaultContactCenter || given.sb.Opts.TenantName != "mine" {
		t.Errorf("explicit values replaced: %s %s", given.sb.CCID, given.sb.Opts.TenantName)
	}
	plain := start(t, Options{})
	if plain.sb.CCID != DefaultContactCenter || plain.sb.Opts.TenantName != DefaultTenantName {
		t.Errorf("defaults changed: %s %s", plain.sb.CCID, plain.sb.Opts.TenantName)
	}
}
