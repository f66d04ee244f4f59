package sandbox

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	// Faults from a developer's shell would break every test; the tests that
	// need the variable set it themselves.
	os.Unsetenv(EnvFaults)
	os.Exit(m.Run())
}

// env is a running sandbox and an HTTPS client that trusts only its CA.
type env struct {
	t      *testing.T
	sb     *Sandbox
	client *http.Client
}

func start(t *testing.T, o Options) *env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sb, err := Start(ctx, o)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := sb.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return &env{t: t, sb: sb, client: trustingClient(t, sb.CAPEM, false)}
}

func trustingClient(t *testing.T, caPEM []byte, h2 bool) *http.Client {
	t.Helper()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		t.Fatal("CAPEM holds no certificate")
	}
	return &http.Client{
		Timeout: 5 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig:   &tls.Config{RootCAs: pool},
			ForceAttemptHTTP2: h2,
		},
	}
}

// req describes one request to send.
type req struct {
	method, url string
	basic       []string // user, password
	bearer      string
	header      map[string]string
	ctype       string
	body        string
}

// resp is an answer with its JSON body decoded (nil when not JSON).
type resp struct {
	status int
	header http.Header
	raw    string
	json   map[string]any
}

func (e *env) send(r req) resp {
	e.t.Helper()
	out, err := e.try(r)
	if err != nil {
		e.t.Fatalf("%s %s: %v", r.method, r.url, err)
	}
	return out
}

func (e *env) try(r req) (resp, error) {
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	hr, err := http.NewRequest(r.method, r.url, body)
	if err != nil {
		return resp{}, err
	}
	if len(r.basic) == 2 {
		hr.SetBasicAuth(r.basic[0], r.basic[1])
	}
	if r.bearer != "" {
		hr.Header.Set("Authorization", "Bearer "+r.bearer)
	}
	if r.ctype != "" {
		hr.Header.Set("Content-Type", r.ctype)
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	res, err := e.client.Do(hr)
	if err != nil {
		return resp{}, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return resp{}, err
	}
	out := resp{status: res.StatusCode, header: res.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &out.json)
	return out, nil
}

func (e *env) ops() []string { return []string{e.sb.Opts.OpsUser, e.sb.Opts.OpsPassword} }

// mustJSON encodes v for a request body.
func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// validClient is the vendor page's client body with a secret.
func validClient(id, secret string) map[string]any {
	return map[string]any{"data": map[string]any{
		"internalClient": true, "name": id, "clientType": "CONFIDENTIAL",
		"client_id": id, "client_secret": secret,
		"authorities":                  []string{"ROLE_INTERNAL_CLIENT"},
		"scope":                        []string{"*"},
		"authorizedGrantTypes":         []string{"client_credentials", "authorization_code", "refresh_token", "implicit", "password"},
		"redirectURIs":                 []string{"https://nexus.example.com"},
		"accessTokenExpirationTimeout": 43200, "refreshTokenExpirationTimeout": 2592000,
	}}
}

// createClient creates an ops client and returns its secret.
func (e *env) createClient(id string) string {
	e.t.Helper()
	secret := "s3cret&+%:" + id
	r := e.send(req{method: "POST", url: e.sb.AuthURL + "/auth/v3/ops/clients", basic: e.ops(),
		ctype: "application/json", body: mustJSON(e.t, validClient(id, secret))})
	if r.status != 200 {
		e.t.Fatalf("create client: %d %s", r.status, r.raw)
	}
	return secret
}

// passwordToken runs the password grant for the sandbox's tenant user.
func (e *env) passwordToken(clientID, secret string) string {
	e.t.Helper()
	form := url.Values{"username": {e.sb.CCID + `\` + e.sb.Opts.TenantUser}, "client_id": {clientID},
		"grant_type": {"password"}, "password": {e.sb.Opts.TenantPassword}}
	r := e.send(req{method: "POST", url: e.sb.AuthURL + "/auth/v3/oauth/token", basic: []string{clientID, secret},
		ctype: "application/x-www-form-urlencoded", body: form.Encode()})
	if r.status != 200 {
		e.t.Fatalf("password grant: %d %s", r.status, r.raw)
	}
	return r.json["access_token"].(string)
}

// statusCode returns the envelope's status.code (-1 when absent).
func statusCode(r resp) int {
	st, ok := r.json["status"].(map[string]any)
	if !ok {
		return -1
	}
	c, ok := st["code"].(float64)
	if !ok {
		return -1
	}
	return int(c)
}

func statusMessage(r resp) string {
	st, _ := r.json["status"].(map[string]any)
	m, _ := st["message"].(string)
	return m
}

// checkEnvelope asserts the HTTP status and that the envelope's code is 0
// exactly on success.
func checkEnvelope(t *testing.T, r resp, wantStatus int) {
	t.Helper()
	if r.status != wantStatus {
		t.Fatalf("status = %d, want %d; body %s", r.status, wantStatus, r.raw)
	}
	code := statusCode(r)
	if wantStatus == 200 && code != 0 || wantStatus != 200 && code <= 0 {
		t.Errorf("status.code = %d for HTTP %d; body %s", code, wantStatus, r.raw)
	}
	if wantStatus != 200 && statusMessage(r) == "" {
		t.Errorf("error envelope without a message: %s", r.raw)
	}
}
