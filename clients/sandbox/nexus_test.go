package sandbox

import (
	"maps"
	"regexp"
	"strings"
	"testing"
)

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestTenants(t *testing.T) {
	other := "0c6a4c3e-1111-4222-8333-444455556666"
	e := start(t, Options{ContactCenters: []string{DefaultContactCenter, other}})
	secret := e.createClient("nexus_client")
	token := e.passwordToken("nexus_client", secret)
	u := e.sb.NexusURL + "/nexus/v3/provisioning/tenants"
	tenant := func(change map[string]any) string {
		body := map[string]any{"id": e.sb.CCID, "name": DefaultTenantName, "type": "PureEngage",
			"backendurl": e.sb.GWSURL, "username": e.sb.Opts.TenantUser, "token": e.sb.Opts.TenantPassword,
			"genesysenantid": 1}
		maps.Copy(body, change)
		for k, v := range change {
			if v == nil {
				delete(body, k)
			}
		}
		return mustJSON(t, body)
	}

	failures := []struct {
		name  string
		r     req
		want  int
		inMsg string
	}{
		{"no bearer", req{method: "POST", url: u, ctype: "application/json", body: tenant(nil)}, 401, "Bearer"},
		{"unknown bearer", req{method: "POST", url: u, bearer: "not-a-token", ctype: "application/json", body: tenant(nil)}, 401, "token"},
		{"non-JSON", req{method: "POST", url: u, bearer: token, ctype: "text/plain", body: tenant(nil)}, 400, "application/json"},
		{"unknown contact center", req{method: "POST", url: u, bearer: token, ctype: "application/json", body: tenant(map[string]any{"id": "nope"})}, 400, "contact center"},
		{"token of another contact center", req{method: "POST", url: u, bearer: token, ctype: "application/json", body: tenant(map[string]any{"id": other})}, 403, "contact center"},
		{"wrong type", req{method: "POST", url: u, bearer: token, ctype: "application/json", body: tenant(map[string]any{"type": "PureCloud"})}, 400, "PureEngage"},
		{"no name", req{method: "POST", url: u, bearer: token, ctype: "application/json", body: tenant(map[string]any{"name": nil})}, 400, "name"},
		{"backendurl not https", req{method: "POST", url: u, bearer: token, ctype: "application/json", body: tenant(map[string]any{"backendurl": "http://gws"})}, 400, "backendurl"},
		{"other username", req{method: "POST", url: u, bearer: token, ctype: "application/json", body: tenant(map[string]any{"username": "someone"})}, 400, "username"},
		{"wrong password as token", req{method: "POST", url: u, bearer: token, ctype: "application/json", body: tenant(map[string]any{"token": "wrong"})}, 400, "password"},
		{"corrected spelling of genesysenantid", req{method: "POST", url: u, bearer: token, ctype: "application/json", body: tenant(map[string]any{"genesysenantid": nil, "genesystenantid": 1})}, 400, "genesysenantid"},
		{"genesysenantid not 1", req{method: "POST", url: u, bearer: token, ctype: "application/json", body: tenant(map[string]any{"genesysenantid": 2})}, 400, "genesysenantid"},
		{"genesysenantid as a string", req{method: "POST", url: u, bearer: token, ctype: "application/json", body: tenant(map[string]any{"genesysenantid": "1"})}, 400, "genesysenantid"},
		{"GET not allowed", req{method: "GET", url: u, bearer: token}, 405, "GET"},
	}
	for _, tt := range failures {
		t.Run(tt.name, func(t *testing.T) {
			r := e.send(tt.r)
			checkEnvelope(t, r, tt.want)
			if !strings.Contains(statusMessage(r), tt.inMsg) {
				t.Errorf("message %q does not mention %q", statusMessage(r), tt.inMsg)
			}
			if strings.Contains(r.raw, e.sb.Opts.TenantPassword) {
				t.Errorf("answer echoes the tenant password: %s", r.raw)
			}
		})
	}
	t.Run("client_credentials token is refused", func(t *testing.T) {
		r := e.send(req{method: "POST", url: e.sb.AuthURL + "/auth/v3/oauth/token?grant_type=client_credentials",
			basic: []string{"nexus_client", secret}})
		cc := r.json["access_token"].(string)
		r = e.send(req{method: "POST", url: u, bearer: cc, ctype: "application/json", body: tenant(nil)})
		checkEnvelope(t, r, 403)
		if !strings.Contains(statusMessage(r), "password grant") {
			t.Errorf("message %q does not explain the token must come from the password grant", statusMessage(r))
		}
	})
	if n := len(e.sb.Tenants()); n != 0 {
		t.Fatalf("failed requests provisioned %d tenants", n)
	}

	r := e.send(req{method: "POST", url: u, bearer: token, ctype: "application/json; charset=utf-8", body: tenant(nil)})
	checkEnvelope(t, r, 200)
	key, _ := r.json["data"].(map[string]any)["xapikey"].(string)
	op, _ := r.json["operationId"].(string)
	if !uuidRE.MatchString(key) || !uuidRE.MatchString(op) {
		t.Fatalf("xapikey %q / operationId %q are not UUIDs: %s", key, op, r.raw)
	}

	got := e.sb.Tenants()
	if len(got) != 1 || got[0]["xapikey"] != key || got[0]["id"] != e.sb.CCID || got[0]["backendurl"] != e.sb.GWSURL || got[0]["name"] != DefaultTenantName {
		t.Errorf("Tenants() = %v", got)
	}
	if _, kept := got[0]["token"]; kept {
		t.Error("the sandbox kept the tenant user's password")
	}

	r = e.send(req{method: "POST", url: u, bearer: token, ctype: "application/json", body: tenant(nil)})
	checkEnvelope(t, r, 409)
	if statusMessage(r) != "tenant already exists" {
		t.Errorf("409 message = %q", statusMessage(r))
	}
	if len(e.sb.Tenants()) != 1 {
		t.Errorf("repeat POST changed the tenants: %v", e.sb.Tenants())
	}
}

func TestPlatformUCS(t *testing.T) {
	e := start(t, Options{})
	u := e.sb.NexusURL + "/nexus/v3/provisioning/services/" + e.sb.CCID + "/PlatformUCS"
	headers := func(key, cc string) map[string]string { return map[string]string{"x-api-key": key, "x-ccid": cc} }
	good := headers(e.sb.Opts.UCSAPIKey, e.sb.CCID)
	body := mustJSON(t, map[string]any{"url": e.sb.UCSURL, "secret": map[string]any{}, "data": map[string]any{}})

	failures := []struct {
		name string
		r    req
		want int
	}{
		{"no api key", req{method: "POST", url: u, header: headers("", e.sb.CCID), ctype: "application/json", body: body}, 401},
		{"wrong api key", req{method: "POST", url: u, header: headers("wrong", e.sb.CCID), ctype: "application/json", body: body}, 401},
		{"x-ccid differs from the path", req{method: "POST", url: u, header: headers(e.sb.Opts.UCSAPIKey, "other"), ctype: "application/json", body: body}, 400},
		{"unknown contact center", req{method: "POST", url: strings.Replace(u, e.sb.CCID, "nope", 1), header: headers(e.sb.Opts.UCSAPIKey, "nope"), ctype: "application/json", body: body}, 404},
		{"non-JSON", req{method: "POST", url: u, header: good, ctype: "text/plain", body: body}, 400},
		{"url not https", req{method: "POST", url: u, header: good, ctype: "application/json", body: `{"url":"http://ucs","secret":{},"data":{}}`}, 400},
		{"secret not an object", req{method: "POST", url: u, header: good, ctype: "application/json", body: `{"url":"https://ucs","secret":"s","data":{}}`}, 400},
		{"other service name", req{method: "POST", url: strings.Replace(u, "PlatformUCS", "PlatformX", 1), header: good, ctype: "application/json", body: body}, 404},
		{"GET not allowed", req{method: "GET", url: u, header: good}, 405},
	}
	for _, tt := range failures {
		t.Run(tt.name, func(t *testing.T) {
			checkEnvelope(t, e.send(tt.r), tt.want)
		})
	}
	if n := len(e.sb.UCSServices()); n != 0 {
		t.Fatalf("failed requests provisioned %d services", n)
	}

	checkEnvelope(t, e.send(req{method: "POST", url: u, header: good, ctype: "application/json", body: body}), 200)
	got := e.sb.UCSServices()
	if len(got) != 1 || got[0]["url"] != e.sb.UCSURL || got[0]["ccid"] != e.sb.CCID {
		t.Errorf("UCSServices() = %v", got)
	}
	checkEnvelope(t, e.send(req{method: "POST", url: u, header: good, ctype: "application/json", body: body}), 409)
}

func TestUnknownPathsAndPlainServices(t *testing.T) {
	e := start(t, Options{})
	tests := []struct {
		name string
		r    req
		want int
	}{
		{"GWS root", req{method: "GET", url: e.sb.GWSURL + "/"}, 200},
		{"UCS root", req{method: "GET", url: e.sb.UCSURL + "/"}, 200},
		{"GWS has no auth API", req{method: "POST", url: e.sb.GWSURL + "/auth/v3/ops/clients", basic: e.ops()}, 404},
		{"GWS root POST", req{method: "POST", url: e.sb.GWSURL + "/"}, 405},
		{"auth unknown path", req{method: "GET", url: e.sb.AuthURL + "/auth/v3/nothing"}, 404},
		{"nexus unknown path", req{method: "GET", url: e.sb.NexusURL + "/nexus/v3/tenants"}, 404},
		{"nexus root", req{method: "GET", url: e.sb.NexusURL + "/"}, 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.send(tt.r)
			if r.status != tt.want {
				t.Fatalf("status = %d, want %d: %s", r.status, tt.want, r.raw)
			}
			if r.json == nil {
				t.Errorf("answer is not JSON: %q", r.raw)
			}
		})
	}
}
