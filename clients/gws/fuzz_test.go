package gws

// Fuzz targets of the answer decoders, driven through the public calls
// against a real TLS server that answers the fuzzed status and body: no
// answer makes a call panic, and no error shows a secret of the run, whatever
// the answer echoes.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nexus-onboard/nexus-onboard/clients/httpx"
	"github.com/nexus-onboard/nexus-onboard/clients/redact"
)

// fuzzNumeric is a numeric password: numbers travel unquoted in JSON, where
// a decoder's error may quote them.
const fuzzNumeric = "8675309123"

// fuzzSecrets are the secrets a call of the fuzz targets knows.
var fuzzSecrets = []string{opsPass, secret, userPass, fuzzNumeric}

// answering is a TLS server that answers every request with the current
// status and body, and a client of it that knows the run's secrets.
type answering struct {
	srv    *httptest.Server
	status atomic.Int32
	body   atomic.Pointer[string]
	c      *Client
	red    *redact.Redactor
}

func newAnswering(f *testing.F) *answering {
	a := &answering{}
	a.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(int(a.status.Load()))
		io.WriteString(w, *a.body.Load())
	}))
	a.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	a.srv.StartTLS()
	f.Cleanup(a.srv.Close)
	a.red = redact.New()
	a.red.Add(fuzzSecrets...)
	h, err := httpx.New(httpx.Options{
		CAPEM:       pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: a.srv.Certificate().Raw}),
		Timeout:     5 * time.Second,
		MaxAttempts: 1, // one answer, one decode: retries would only slow the fuzzer
		Redactor:    a.red,
	})
	if err != nil {
		f.Fatal(err)
	}
	a.c = New(h, a.srv.URL, opsUser, opsPass)
	return a
}

// answer sets what the server says next; st spreads over 200-599.
func (a *answering) answer(st uint16, body string) int {
	code := 200 + int(st)%400
	a.status.Store(int32(code))
	a.body.Store(&body)
	return code
}

// shapes are the ways a secret may be spelt in an error.
func shapes(s string) []string {
	js, _ := json.Marshal(s)
	return []string{s, url.QueryEscape(s), url.PathEscape(s), string(js[1 : len(js)-1]),
		base64.StdEncoding.EncodeToString([]byte(s)), strings.Join(strings.Fields(s), " ")}
}

// checkErr asserts that err names the host and shows no secret, neither one
// of the run's nor one the answer revealed (registered with the redactor).
func (a *answering) checkErr(t *testing.T, call string, err error, revealed ...string) {
	t.Helper()
	if err == nil {
		return
	}
	msg := err.Error()
	for _, s := range append(append([]string(nil), fuzzSecrets...), revealed...) {
		if len(s) < 4 {
			continue
		}
		for _, shape := range shapes(s) {
			if len(shape) >= 4 && strings.Contains(msg, shape) && !strings.Contains(a.srv.URL, shape) {
				t.Errorf("%s: error shows a secret (%q): %s", call, shape, msg)
			}
		}
	}
	if host := strings.TrimPrefix(a.srv.URL, "https://"); !strings.Contains(msg, host) {
		t.Errorf("%s: error does not name the host %s: %s", call, host, msg)
	}
}

// bodySeeds are answers the services give or could give: the documented
// shapes, failures, and hostile ones echoing secrets.
func bodySeeds(data string) []string {
	js, _ := json.Marshal(secret)
	esc := strings.Trim(string(js), `"`)
	return []string{
		`{"status":{"code":0,"message":""},"data":` + data + `}`,
		`{"status":{"code":0},"data":null}`, `{"status":{"code":0}}`, `{"data":` + data + `}`, data, "", " ",
		`{"status":{"code":3,"message":"client nexus_client already exists"}}`,
		`{"status":{"code":7,"message":"bad secret ` + esc + ` for ` + opsPass + `"}}`,
		`{"status":{"code":"x"},"data":[]}`, `{"status":null,"data":"text"}`, `{"status":{"code":1e400}}`,
		`{"error":"invalid_client","error_description":"Bad client credentials ` + userPass + `"}`,
		`{"data":{"expires_in":` + fuzzNumeric + fuzzNumeric + fuzzNumeric + `}}`, `{"status":{"code":` + fuzzNumeric + fuzzNumeric + fuzzNumeric + `}}`,
		"<html><body>Login</body></html>", `{"data":`, "\xff\xfe" + secret, `[1,2,3]`, `{"data":{"a":` + strings.Repeat("[", 600) + `}}`,
	}
}

func FuzzContactCenters(f *testing.F) {
	for _, b := range bodySeeds(`{"contactCenters":[{"id":"578ec98e-f07c-46ad-9675-f36c22f3ba9f","environmentId":"e","domains":["d"],"auth":"gws"}]}`) {
		f.Add(uint16(0), b)
	}
	f.Add(uint16(0), `{"data":{"contactCenters":[{"id":`+fuzzNumeric+`}]}}`)
	f.Add(uint16(201), `{"status":{"code":0}}`)
	a := newAnswering(f)
	f.Fuzz(func(t *testing.T, st uint16, body string) {
		code := a.answer(st, body)
		ccs, err := a.c.ContactCenters(context.Background())
		if code >= 300 && err == nil {
			t.Errorf("status %d accepted", code)
		}
		if err != nil && ccs != nil {
			t.Errorf("error %v with contact centers %v", err, ccs)
		}
		a.checkErr(t, "ContactCenters", err)
	})
}

func FuzzSettings(f *testing.F) {
	for _, b := range bodySeeds(`{"settings":[{"name":"chat-service-uri","location":"/","value":"https://nexus.example.com","shared":false,"id":"1"},{"name":"o","value":{"k":[1]},"id":7}]}`) {
		f.Add(uint16(0), b)
	}
	f.Add(uint16(0), `{"data":{"settings":[{"value":`+fuzzNumeric+`},{"value":null},{"id":{"x":1}}]}}`)
	a := newAnswering(f)
	f.Fuzz(func(t *testing.T, st uint16, body string) {
		code := a.answer(st, body)
		set, err := a.c.Settings(context.Background(), ccID)
		if code >= 300 && err == nil {
			t.Errorf("status %d accepted", code)
		}
		a.checkErr(t, "Settings", err)
		for _, s := range set {
			if strings.Contains(s.Value, "\x00") && !strings.Contains(body, `\u0000`) && !strings.Contains(body, "\x00") {
				t.Errorf("setting value %q invented", s.Value)
			}
		}
		// A create answered the same way fails or succeeds, never panics.
		err = a.c.CreateSetting(context.Background(), ccID, Setting{Name: ChatServiceURISetting, Location: "/", Value: nexusURL})
		a.checkErr(t, "CreateSetting", err)
		if err == nil && code >= 300 {
			t.Errorf("CreateSetting accepted status %d", code)
		}
	})
}

func FuzzGetClient(f *testing.F) {
	for _, b := range bodySeeds(nexusClientJSON) {
		f.Add(uint16(0), b)
	}
	f.Add(uint16(0), `{"data":{"client_id":"nexus_client","client_secret":"echoed-Secret-1234"}}`)
	f.Add(uint16(204), ``)
	f.Add(uint16(204), `{"status":{"code":404,"message":"client not found"}}`)
	a := newAnswering(f)
	f.Fuzz(func(t *testing.T, st uint16, body string) {
		code := a.answer(st, body)
		oc, err := a.c.GetClient(context.Background(), clientID)
		a.checkErr(t, "GetClient", err)
		if code == http.StatusNotFound && !errors.Is(err, ErrNotFound) {
			t.Errorf("404 gives %v, want ErrNotFound", err)
		}
		if err == nil {
			if oc == nil {
				t.Fatal("no client and no error")
			}
			if len(oc.ClientSecret) >= 4 {
				if !a.red.Known(oc.ClientSecret) {
					t.Errorf("echoed client_secret not registered with the redactor")
				}
				if strings.Contains(oc.String(), oc.ClientSecret) || strings.Contains(oc.GoString(), oc.ClientSecret) {
					t.Errorf("OpsClient.String shows the secret")
				}
			}
		}
	})
}

// FuzzEnvelope drives the {"status":{"code","message"},"data"} envelope of
// the writes: an APIError only for HTTP success with a non-zero code, and
// ErrExists only when the answer says so.
func FuzzEnvelope(f *testing.F) {
	for _, b := range bodySeeds(`{}`) {
		f.Add(uint16(0), b)
		f.Add(uint16(209), b) // 409
	}
	f.Add(uint16(200), `{"status":{"code":2,"message":"Client does not exist"}}`)
	a := newAnswering(f)
	f.Fuzz(func(t *testing.T, st uint16, body string) {
		code := a.answer(st, body)
		err := a.c.CreateClient(context.Background(), NexusClient(clientID, secret, nexusURL))
		a.checkErr(t, "CreateClient", err)
		var ae *APIError
		if errors.As(err, &ae) && (code >= 300 || ae.Code == 0) {
			t.Errorf("APIError %+v for HTTP %d", ae, code)
		}
		if code == http.StatusConflict && !errors.Is(err, ErrExists) {
			t.Errorf("409 gives %v, want ErrExists", err)
		}
		if errors.Is(err, ErrExists) && code != http.StatusConflict && !strings.Contains(strings.ToLower(err.Error()), "exist") && !strings.Contains(strings.ToLower(err.Error()), "duplicate") {
			t.Errorf("ErrExists from an answer that does not say so: %v", err)
		}
		if err == nil && code >= 300 {
			t.Errorf("CreateClient accepted status %d", code)
		}
		a.checkErr(t, "UpdateClient", a.c.UpdateClient(context.Background(), NexusClient(clientID, secret, nexusURL)))
		a.checkErr(t, "DeleteClient", a.c.DeleteClient(context.Background(), clientID))
		a.checkErr(t, "DeleteSetting", a.c.DeleteSetting(context.Background(), ccID, "7"))
	})
}

func FuzzToken(f *testing.F) {
	for _, b := range []string{
		`{"access_token":"9b7682b7-cbce-422f-900b-ecda85e61695","token_type":"bearer","refresh_token":"r-123456","scope":"*","expires_in":43199}`,
		`{"access_token":""}`, `{"access_token":123}`, `{"expires_in":"soon","access_token":"x"}`, `{"expires_in":` + fuzzNumeric + fuzzNumeric + fuzzNumeric + `}`,
		`{"error":"invalid_grant","error_description":"Bad credentials for ` + userPass + `"}`, `{"error":{"code":1}}`,
		"", "<html>login</html>", `{"access_token":"` + secret + `"}`, "\xff", `null`, `[]`,
	} {
		f.Add(uint16(0), b)
		f.Add(uint16(201), b)
	}
	a := newAnswering(f)
	f.Fuzz(func(t *testing.T, st uint16, body string) {
		code := a.answer(st, body)
		for name, call := range map[string]func() (*Token, error){
			"ClientCredentialsToken": func() (*Token, error) {
				return a.c.ClientCredentialsToken(context.Background(), clientID, secret)
			},
			"PasswordToken": func() (*Token, error) {
				return a.c.PasswordToken(context.Background(), clientID, secret, ccID+`\nexus`, userPass)
			},
		} {
			tok, err := call()
			a.checkErr(t, name, err)
			if err != nil {
				continue
			}
			if code >= 300 {
				t.Errorf("%s accepted status %d", name, code)
			}
			if tok.AccessToken == "" {
				t.Errorf("%s: a token without access_token", name)
			}
			for _, v := range []string{tok.AccessToken, tok.RefreshToken} {
				if len(v) >= 4 && (!a.red.Known(v) || strings.Contains(tok.String(), v) || strings.Contains(tok.GoString(), v)) {
					t.Errorf("%s: token %q not registered or shown by String", name, v)
				}
			}
		}
	})
}
