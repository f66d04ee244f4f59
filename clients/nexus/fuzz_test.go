package nexus

// Fuzz target of the provisioning answers, driven through ProvisionTenant and
// ProvisionUCS against a real TLS server that answers the fuzzed status and
// body: no answer makes a call panic, an API key is only ever returned from
// a successful answer and is then known to the redactor, and no error shows
// a secret of the run.

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

const (
	fuzzBearer  = "9b7682b7-cbce-422f-900b-ecda85e61695"
	fuzzPass    = `tenant "Pa55" \ %41 'x'`
	fuzzUCSKey  = "ucs-Api-Key-7788"
	fuzzNumeric = "8675309123"
)

func fuzzShapes(s string) []string {
	js, _ := json.Marshal(s)
	return []string{s, url.QueryEscape(s), url.PathEscape(s), string(js[1 : len(js)-1]),
		base64.StdEncoding.EncodeToString([]byte(s)), strings.Join(strings.Fields(s), " ")}
}

func FuzzProvision(f *testing.F) {
	js, _ := json.Marshal(fuzzPass)
	esc := strings.Trim(string(js), `"`)
	for _, b := range []string{
		`{"status":{"code":0},"data":{"xapikey":"2f6c1d3e-key"},"operationId":"op"}`,
		`{"status":{"code":0},"data":{}}`, `{"status":{"code":0}}`, `{"data":{"xapikey":""}}`, `{"data":{"xapikey":7}}`,
		`{"data":"text"}`, `{"data":null}`, `{"status":{"code":409,"message":"tenant already exists"}}`,
		`{"status":{"code":1,"message":"token ` + esc + ` is not the password"}}`,
		`{"status":{"code":1,"message":"bad key ` + fuzzUCSKey + ` for bearer ` + fuzzBearer + `"}}`,
		`{"data":{"xapikey":"k","n":` + fuzzNumeric + fuzzNumeric + fuzzNumeric + `}}`, `{"data":{"xapikey":[` + fuzzNumeric + `]}}`, `{"status":{"code":` + fuzzNumeric + fuzzNumeric + fuzzNumeric + `}}`,
		"", "<html>gateway</html>", `{"status":`, "\xff\xfe", `[]`, `null`, `{"status":{"code":"0"}}`,
	} {
		f.Add(uint16(0), b)
		f.Add(uint16(200), b) // 400
		f.Add(uint16(209), b) // 409
	}
	var status atomic.Int32
	var body atomic.Pointer[string]
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(int(status.Load()))
		io.WriteString(w, *body.Load())
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	f.Cleanup(srv.Close)
	red := redact.New()
	red.Add(fuzzNumeric)
	h, err := httpx.New(httpx.Options{
		CAPEM:       pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}),
		Timeout:     5 * time.Second,
		MaxAttempts: 1,
		Redactor:    red,
	})
	if err != nil {
		f.Fatal(err)
	}
	c := New(h, srv.URL)
	host := strings.TrimPrefix(srv.URL, "https://")
	ten := Tenant{ID: "578ec98e-f07c-46ad-9675-f36c22f3ba9f", Name: "premise_tenant", Type: TenantTypePureEngage,
		BackendURL: "https://gws.example.com", Username: "nexus", Token: fuzzPass, GenesysTenantID: 1}

	checkErr := func(t *testing.T, call string, err error, extra ...string) {
		t.Helper()
		if err == nil {
			return
		}
		msg := err.Error()
		for _, s := range append([]string{fuzzBearer, fuzzPass, fuzzUCSKey, fuzzNumeric}, extra...) {
			for _, shape := range fuzzShapes(s) {
				if len(shape) >= 4 && strings.Contains(msg, shape) && !strings.Contains(srv.URL, shape) {
					t.Errorf("%s: error shows a secret (%q): %s", call, shape, msg)
				}
			}
		}
		if !strings.Contains(msg, host) {
			t.Errorf("%s: error does not name the host: %s", call, msg)
		}
	}

	f.Fuzz(func(t *testing.T, st uint16, answer string) {
		code := 200 + int(st)%400
		status.Store(int32(code))
		body.Store(&answer)
		key, err := c.ProvisionTenant(context.Background(), fuzzBearer, ten)
		checkErr(t, "ProvisionTenant", err)
		switch {
		case err != nil && key != "":
			t.Errorf("ProvisionTenant returned key %q with error %v", key, err)
		case err == nil && code >= 300:
			t.Errorf("ProvisionTenant accepted status %d", code)
		case err == nil && key == "":
			t.Error("ProvisionTenant succeeded without a key")
		case err == nil && len(key) >= 4 && !red.Known(key):
			t.Error("the API key is not registered with the redactor")
		}
		if code == http.StatusConflict && !errors.Is(err, ErrExists) {
			t.Errorf("409 gives %v, want ErrExists", err)
		}
		var ae *APIError
		if errors.As(err, &ae) && (code >= 300 || ae.Code == 0) {
			t.Errorf("APIError %+v for HTTP %d", ae, code)
		}
		err = c.ProvisionUCS(context.Background(), ten.ID, fuzzUCSKey, "https://ucs.example.com")
		checkErr(t, "ProvisionUCS", err)
		if err == nil && code >= 300 {
			t.Errorf("ProvisionUCS accepted status %d", code)
		}
	})
}
