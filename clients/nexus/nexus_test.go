package nexus

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
	ccID     = "578ec98e-f07c-46ad-9675-f36c22f3ba9f"
	bearer   = "9b7682b7-cbce-422f-900b-ecda85e61695"
	userPass = "nexus-Pa55word"
	xapikey  = "9b7682b7-cbce-422f-9b0b-ecda85e61695"
	apiKey   = "ucs-api-key-31337"
)

var tenant = Tenant{
	ID: ccID, Name: "premise_tenant", Type: TenantTypePureEngage, BackendURL: "https://gws.example.com",
	Username: "nexus", Token: userPass, GenesysTenantID: 1,
}

// seen is what the server received.
type seen struct {
	Method, Path, Auth, ContentType, APIKey, CCID, Body string
}

type server struct {
	*httptest.Server
	mu     sync.Mutex
	got    []seen
	status int
	body   string
}

func newServer(t *testing.T) *server {
	t.Helper()
	s := &server{}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.got = append(s.got, seen{r.Method, r.URL.EscapedPath(), r.Header.Get("Authorization"), r.Header.Get("Content-Type"),
			r.Header.Get("x-api-key"), r.Header.Get("x-ccid"), string(b)})
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

func newClient(t *testing.T, s *server) (*Client, *redact.Redactor) {
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
	return New(h, s.URL+"/"), red
}

func TestTenantBody(t *testing.T) {
	// The page's body, field for field and in its order.
	want := `{"id":"` + ccID + `","name":"premise_tenant","type":"PureEngage","backendurl":"https://gws.example.com",` +
		`"username":"nexus","token":"` + userPass + `","genesysenantid":1}`
	if got := string(TenantRequestBody(tenant)); got != want {
		t.Fatalf("TenantRequestBody =\n%s\nwant\n%s", got, want)
	}
	viaJSON, err := json.Marshal(tenant)
	if err != nil || string(viaJSON) != want {
		t.Fatalf("json.Marshal = %s, %v", viaJSON, err)
	}
	// Characters that need escaping stay valid JSON.
	odd := tenant
	odd.Token = `a"b\c<d>`
	var back map[string]any
	if err := json.Unmarshal(TenantRequestBody(odd), &back); err != nil || back["token"] != odd.Token {
		t.Fatalf("escaped body round trip = %v, %v", back, err)
	}
	if got := string(UCSRequestBody("https://ucs.example.com")); got != `{"url":"https://ucs.example.com","secret":{},"data":{}}` {
		t.Fatalf("UCSRequestBody = %s", got)
	}
}

func TestCalls(t *testing.T) {
	s := newServer(t)
	tests := []struct {
		name    string
		answer  string
		call    func(context.Context, *Client) (string, error)
		build   func(*Client) httpx.Request
		want    seen
		wantOut string
	}{
		{
			name:   "provision tenant",
			answer: `{"status":{"code":0},"data":{"xapikey":"` + xapikey + `"},"operationId":"ec90f3d2-f4b5-47fd-9004-2c309398ab38"}`,
			call:   func(ctx context.Context, c *Client) (string, error) { return c.ProvisionTenant(ctx, bearer, tenant) },
			build:  func(c *Client) httpx.Request { return c.ProvisionTenantRequest(bearer, tenant) },
			want: seen{Method: "POST", Path: "/nexus/v3/provisioning/tenants", Auth: "Bearer " + bearer,
				ContentType: "application/json", Body: string(TenantRequestBody(tenant))},
			wantOut: xapikey,
		},
		{
			name:   "provision UCS",
			answer: `{"status":{"code":0}}`,
			call: func(ctx context.Context, c *Client) (string, error) {
				return "", c.ProvisionUCS(ctx, ccID, apiKey, "https://ucs.example.com")
			},
			build: func(c *Client) httpx.Request { return c.ProvisionUCSRequest(ccID, apiKey, "https://ucs.example.com") },
			want: seen{Method: "POST", Path: "/nexus/v3/provisioning/services/" + ccID + "/PlatformUCS", ContentType: "application/json",
				APIKey: apiKey, CCID: ccID, Body: `{"url":"https://ucs.example.com","secret":{},"data":{}}`},
		},
		{
			name:   "provision UCS with an empty answer",
			answer: ``,
			call: func(ctx context.Context, c *Client) (string, error) {
				return "", c.ProvisionUCS(ctx, ccID, apiKey, "https://ucs.example.com")
			},
			build: func(c *Client) httpx.Request { return c.ProvisionUCSRequest(ccID, apiKey, "https://ucs.example.com") },
			want: seen{Method: "POST", Path: "/nexus/v3/provisioning/services/" + ccID + "/PlatformUCS", ContentType: "application/json",
				APIKey: apiKey, CCID: ccID, Body: `{"url":"https://ucs.example.com","secret":{},"data":{}}`},
		},
		{
			name:   "ping",
			answer: `not found`,
			call:   func(ctx context.Context, c *Client) (string, error) { return "", c.Ping(ctx) },
			build:  func(c *Client) httpx.Request { return c.PingRequest() },
			want:   seen{Method: "GET", Path: "/"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newClient(t, s)
			status := 200
			if tt.name == "ping" {
				status = 404 // any answer proves reachability
			}
			s.answer(status, tt.answer)
			out, err := tt.call(context.Background(), c)
			if err != nil {
				t.Fatalf("call: %v", err)
			}
			got := s.requests()
			if len(got) != 1 {
				t.Fatalf("server saw %d requests, want 1", len(got))
			}
			if got[0] != tt.want {
				t.Fatalf("server saw %+v\nwant %+v", got[0], tt.want)
			}
			if out != tt.wantOut {
				t.Fatalf("result %q, want %q", out, tt.wantOut)
			}
			b := tt.build(c)
			if b.Method != got[0].Method || string(b.Body) != got[0].Body || b.URL != s.URL+got[0].Path {
				t.Fatalf("builder request %s %s %s differs from what was sent", b.Method, b.URL, b.Body)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	s := newServer(t)
	provision := func(ctx context.Context, c *Client) error {
		_, err := c.ProvisionTenant(ctx, bearer, tenant)
		return err
	}
	ucs := func(ctx context.Context, c *Client) error {
		return c.ProvisionUCS(ctx, ccID, apiKey, "https://ucs.example.com")
	}
	tests := []struct {
		name       string
		status     int
		answer     string
		call       func(context.Context, *Client) error
		wantExists bool
		wantStatus int // StatusError expected when not 0
		wantAPI    bool
		wantText   []string
		transient  bool
		attempts   int
	}{
		{name: "tenant conflict", status: 409, answer: `{}`, call: provision, wantExists: true, wantStatus: 409, attempts: 1},
		{name: "tenant 400 exists", status: 400, answer: `{"status":{"code":2,"message":"Tenant already exists"}}`, call: provision,
			wantExists: true, wantStatus: 400, attempts: 1},
		{name: "tenant 500 exists", status: 500, answer: `{"message":"duplicate key value violates unique constraint"}`, call: provision,
			wantExists: true, wantStatus: 500, attempts: 1},
		{name: "tenant 200 code exists", status: 200, answer: `{"status":{"code":4,"message":"tenant exists"}}`, call: provision,
			wantExists: true, wantAPI: true, attempts: 1},
		{name: "tenant 400 other", status: 400, answer: `{"status":{"code":2,"message":"backendurl is invalid"}}`, call: provision,
			wantStatus: 400, wantText: []string{"backendurl is invalid", "provision tenant " + ccID}, attempts: 1},
		{name: "tenant bad token", status: 401, answer: `{"status":{"code":401,"message":"token ` + bearer + ` expired"}}`, call: provision,
			wantStatus: 401, wantText: []string{"check the credentials", "token **** expired"}, attempts: 1},
		{name: "tenant without key", status: 200, answer: `{"status":{"code":0},"data":{}}`, call: provision,
			wantText: []string{"without data.xapikey"}, attempts: 1},
		{name: "tenant 502 not repeated", status: 502, answer: ``, call: provision, wantStatus: 502, transient: true, attempts: 1},
		{name: "tenant 503 repeated", status: 503, answer: ``, call: provision, wantStatus: 503, transient: true, attempts: 4},
		{name: "UCS forbidden", status: 403, answer: `{"message":"invalid api key"}`, call: ucs,
			wantStatus: 403, wantText: []string{"the account lacks permission", "UCS connection"}, attempts: 1},
		{name: "UCS exists", status: 409, answer: ``, call: ucs, wantExists: true, wantStatus: 409, attempts: 1},
		{name: "not JSON", status: 200, answer: `<html/>`, call: ucs, wantText: []string{"nexus_url"}, attempts: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newClient(t, s)
			s.answer(tt.status, tt.answer)
			err := tt.call(context.Background(), c)
			if err == nil {
				t.Fatal("want an error")
			}
			if errors.Is(err, ErrExists) != tt.wantExists {
				t.Errorf("errors.Is(ErrExists) = %v, want %v: %v", !tt.wantExists, tt.wantExists, err)
			}
			var se *httpx.StatusError
			if tt.wantStatus != 0 && (!errors.As(err, &se) || se.Status != tt.wantStatus) {
				t.Errorf("error %v is not a StatusError %d", err, tt.wantStatus)
			}
			var ae *APIError
			if errors.As(err, &ae) != tt.wantAPI {
				t.Errorf("APIError = %v, want %v", !tt.wantAPI, tt.wantAPI)
			}
			if httpx.IsTransient(err) != tt.transient {
				t.Errorf("IsTransient = %v, want %v", !tt.transient, tt.transient)
			}
			if n := len(s.requests()); n != tt.attempts {
				t.Errorf("%d attempts, want %d", n, tt.attempts)
			}
			for _, w := range tt.wantText {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			for _, sec := range []string{bearer, userPass, apiKey} {
				if strings.Contains(err.Error(), sec) {
					t.Errorf("error %q shows a secret", err)
				}
			}
		})
	}
}

func TestSecretsNeverRecorded(t *testing.T) {
	s := newServer(t)
	c, red := newClient(t, s)
	var mu sync.Mutex
	var exs []httpx.Exchange
	ctx := httpx.WithRecorder(context.Background(), func(ex httpx.Exchange) {
		mu.Lock()
		defer mu.Unlock()
		exs = append(exs, ex)
	})
	s.answer(200, `{"status":{"code":0},"data":{"xapikey":"`+xapikey+`"},"operationId":"op1"}`)
	key, err := c.ProvisionTenant(ctx, bearer, tenant)
	if err != nil || key != xapikey {
		t.Fatalf("ProvisionTenant = %q, %v", key, err)
	}
	if err := c.ProvisionUCS(ctx, ccID, apiKey, "https://ucs.example.com"); err != nil {
		t.Fatal(err)
	}
	dump := fmt.Sprintf("%#v", exs)
	for _, sec := range []string{bearer, userPass, xapikey, apiKey} {
		if strings.Contains(dump, sec) {
			t.Errorf("secret %q recorded", sec)
		}
	}
	if !strings.Contains(dump, "premise_tenant") || !strings.Contains(dump, "genesysenantid") {
		t.Errorf("the record lost what is not secret: %s", dump)
	}
	if got := red.String(key); got != redact.Mask {
		t.Errorf("the tenant API key is not registered with the redactor: %q", got)
	}
}

func TestTenantString(t *testing.T) {
	for _, text := range []string{fmt.Sprintf("%v", tenant), fmt.Sprintf("%+v", tenant), fmt.Sprintf("%#v", tenant), fmt.Sprint(&tenant)} {
		if strings.Contains(text, userPass) {
			t.Errorf("%q shows the tenant user's password", text)
		}
		if !strings.Contains(text, "Token:****") || !strings.Contains(text, "premise_tenant") {
			t.Errorf("%q does not describe the tenant", text)
		}
	}
	if !reflect.DeepEqual(Tenant{}.String(), "{ID: Name: Type: BackendURL: Username: Token: GenesysTenantID:0}") {
		t.Errorf("empty tenant = %q", Tenant{}.String())
	}
}

func TestSaysExistsIgnoresNegations(t *testing.T) {
	for msg, want := range map[string]bool{
		"tenant already exists":         true,
		"Duplicate key":                 true,
		"contact center does not exist": false,
		"service doesn't exist":         false,
		"":                              false,
	} {
		if got := httpx.SaysExists(msg); got != want {
			t.Errorf("SaysExists(%q) = %v", msg, got)
		}
	}
}
