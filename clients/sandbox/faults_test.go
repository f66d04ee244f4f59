package sandbox

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseFaults(t *testing.T) {
	tests := []struct {
		spec    string
		want    []Fault
		wantErr string
	}{
		{"", nil, ""},
		{" ; ", nil, ""},
		{"POST /nexus/v3/provisioning/tenants 500 x1; GET /environment/v3/contact-centers 503 x2", []Fault{
			{Method: "POST", Path: "/nexus/v3/provisioning/tenants", Status: 500, Times: 1},
			{Method: "GET", Path: "/environment/v3/contact-centers", Status: 503, Times: 2},
		}, ""},
		{"* /auth/* 429 retry-after=3", []Fault{{Method: "*", Path: "/auth/*", Status: 429, RetryAfter: "3"}}, ""},
		{"post /auth/v3/ops/clients 502 after x3", []Fault{{Method: "POST", Path: "/auth/v3/ops/clients", Status: 502, AfterHandling: true, Times: 3}}, ""},
		{"GET /health latency=250ms", []Fault{{Method: "GET", Path: "/health", Latency: 250 * time.Millisecond}}, ""},
		{"GET /auth/v3/ops/clients/nexus_client close after", []Fault{{Method: "GET", Path: "/auth/v3/ops/clients/nexus_client", CloseConn: true, AfterHandling: true}}, ""},
		{"POST /environment/v3/contact-centers/578ec98e-f07c-46ad-9675-f36c22f3ba9f/settings 500", []Fault{{Method: "POST", Path: "/environment/v3/contact-centers/578ec98e-f07c-46ad-9675-f36c22f3ba9f/settings", Status: 500}}, ""},
		{"* /nexus/v3/provisioning/serv* 503", []Fault{{Method: "*", Path: "/nexus/v3/provisioning/serv*", Status: 503}}, ""},
		{"POST /nexus/v3/provisioning/tenant 500", nil, "no request can reach /nexus/v3/provisioning/tenant"},
		{"GET /auth/v3/ops/clients/a/b 500", nil, "no request can reach"},
		{"GET /nope* 500", nil, "no request can reach"},
		{"GET", nil, "METHOD PATH"},
		{"GET x 500", nil, "must start with /"},
		{"GET /x", nil, "nothing to inject"},
		{"GET /x 500 x0", nil, "at least 1"},
		{"GET /x 999", nil, "unknown option"},
		{"GET /x 500 latency=soon", nil, "latency"},
		{"GET /x 500 sometimes", nil, "unknown option"},
		{"GET /health 500; POST /y", nil, "entry 2"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			got, err := ParseFaults(tt.spec)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseFaults = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestFaultMatching(t *testing.T) {
	tests := []struct {
		f            Fault
		method, path string
		want         bool
	}{
		{Fault{Method: "POST", Path: "/a"}, "POST", "/a", true},
		{Fault{Method: "post", Path: "/a"}, "POST", "/a", true},
		{Fault{Method: "POST", Path: "/a"}, "GET", "/a", false},
		{Fault{Method: "POST", Path: "/a"}, "POST", "/a/b", false},
		{Fault{Path: "/a"}, "DELETE", "/a", true},
		{Fault{Method: "*", Path: "/a/*"}, "GET", "/a/b/c", true},
		{Fault{Method: "*", Path: "/a/*"}, "GET", "/b", false},
	}
	for _, tt := range tests {
		if got := tt.f.matches(tt.method, tt.path); got != tt.want {
			t.Errorf("%+v matches(%s %s) = %t, want %t", tt.f, tt.method, tt.path, got, tt.want)
		}
	}
}

func TestFaults(t *testing.T) {
	e := start(t, Options{})
	ccURL := e.sb.AuthURL + "/environment/v3/contact-centers"
	clientsURL := e.sb.AuthURL + "/auth/v3/ops/clients"

	t.Run("Times, then normal answers; Retry-After", func(t *testing.T) {
		e.sb.Faults.Add(Fault{Method: "GET", Path: "/environment/v3/contact-centers", Status: 503, Times: 2, RetryAfter: "1"})
		for i, want := range []int{503, 503, 200, 200} {
			r := e.send(req{method: "GET", url: ccURL, basic: e.ops()})
			checkEnvelope(t, r, want)
			if want == 503 && r.header.Get("Retry-After") != "1" {
				t.Errorf("request %d: Retry-After = %q", i, r.header.Get("Retry-After"))
			}
		}
		if e.sb.Faults.Len() != 0 {
			t.Errorf("used-up fault still active")
		}
	})

	t.Run("Times 0 applies until Clear; other methods untouched", func(t *testing.T) {
		e.sb.Faults.Add(Fault{Method: "POST", Path: "/auth/v3/ops/*", Status: 500})
		for range 3 {
			checkEnvelope(t, e.send(req{method: "POST", url: clientsURL, basic: e.ops(), ctype: "application/json", body: "{}"}), 500)
		}
		checkEnvelope(t, e.send(req{method: "GET", url: clientsURL, basic: e.ops()}), 200)
		e.sb.Faults.Clear()
		checkEnvelope(t, e.send(req{method: "POST", url: clientsURL, basic: e.ops(), ctype: "application/json", body: "{}"}), 400)
	})

	t.Run("AfterHandling: the write happens, the answer is a failure", func(t *testing.T) {
		e.sb.Faults.Add(Fault{Method: "POST", Path: "/auth/v3/ops/clients", Status: 502, Times: 1, AfterHandling: true})
		body := mustJSON(t, validClient("lost_answer", "secret"))
		checkEnvelope(t, e.send(req{method: "POST", url: clientsURL, basic: e.ops(), ctype: "application/json", body: body}), 502)
		if got := e.sb.Clients(); len(got) != 1 || got[0]["client_id"] != "lost_answer" {
			t.Fatalf("client not created behind the fault: %v", got)
		}
		// A retry now meets the real state.
		checkEnvelope(t, e.send(req{method: "POST", url: clientsURL, basic: e.ops(), ctype: "application/json", body: body}), 409)
	})

	t.Run("custom body and content type", func(t *testing.T) {
		e.sb.Faults.Add(Fault{Path: "/health", Status: 502, Times: 1, Body: "<html>bad gateway</html>", ContentType: "text/html"})
		r := e.send(req{method: "GET", url: e.sb.GWSURL + "/health"})
		if r.status != 502 || r.raw != "<html>bad gateway</html>" || r.header.Get("Content-Type") != "text/html" {
			t.Errorf("got %d %q %q", r.status, r.header.Get("Content-Type"), r.raw)
		}
	})

	for _, h2 := range []bool{false, true} {
		name := map[bool]string{false: "HTTP/1.1", true: "HTTP/2"}[h2]
		t.Run("CloseConn drops the answer over "+name, func(t *testing.T) {
			c := &env{t: t, sb: e.sb, client: trustingClient(t, e.sb.CAPEM, h2)}
			before := e.sb.Count("PUT", "/auth/v3/ops/clients/lost_answer")
			e.sb.Faults.Add(Fault{Method: "PUT", Path: "/auth/v3/ops/clients/lost_answer", CloseConn: true, AfterHandling: true, Times: 1})
			upd := validClient("lost_answer", "")
			upd["data"].(map[string]any)["description"] = "changed " + name
			_, err := c.try(req{method: "PUT", url: clientsURL + "/lost_answer", basic: e.ops(), ctype: "application/json", body: mustJSON(t, upd)})
			if err == nil {
				t.Fatal("request succeeded, want a dropped connection")
			}
			if got := e.sb.Clients()[0]["description"]; got != "changed "+name {
				t.Errorf("AfterHandling write did not happen: description = %v", got)
			}
			logs := e.sb.Requests()
			if last := logs[len(logs)-1]; last.Path != "/auth/v3/ops/clients/lost_answer" || last.Status != 0 {
				t.Errorf("last log = %+v, want status 0", last)
			}
			if got := e.sb.Count("PUT", "/auth/v3/ops/clients/lost_answer"); got != before+1 {
				t.Errorf("Count = %d, want %d (a client retry would hit the server twice)", got, before+1)
			}
		})
	}

	t.Run("Latency delays the answer", func(t *testing.T) {
		const delay = 150 * time.Millisecond
		e.sb.Faults.Add(Fault{Path: "/health", Latency: delay, Times: 1})
		begin := time.Now()
		r := e.send(req{method: "GET", url: e.sb.UCSURL + "/health"})
		if took := time.Since(begin); took < delay || r.status != 200 {
			t.Errorf("status %d after %v, want 200 after at least %v", r.status, took, delay)
		}
	})

	t.Run("Latency beyond the client's timeout", func(t *testing.T) {
		e.sb.Faults.Add(Fault{Path: "/health", Latency: 2 * time.Second, Times: 1})
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		hr, _ := http.NewRequestWithContext(ctx, "GET", e.sb.UCSURL+"/health", nil)
		res, err := e.client.Do(hr)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want a deadline error", err)
			if res != nil {
				res.Body.Close()
				t.Errorf("got status %d from a request that should have timed out", res.StatusCode)
			}
		}
	})
}

func TestFaultsFromEnvironment(t *testing.T) {
	t.Run("applied", func(t *testing.T) {
		t.Setenv(EnvFaults, "GET /environment/v3/contact-centers 503 x1")
		e := start(t, Options{})
		u := e.sb.AuthURL + "/environment/v3/contact-centers"
		checkEnvelope(t, e.send(req{method: "GET", url: u, basic: e.ops()}), 503)
		checkEnvelope(t, e.send(req{method: "GET", url: u, basic: e.ops()}), 200)
	})
	t.Run("FaultSpec wins over the environment", func(t *testing.T) {
		t.Setenv(EnvFaults, "GET /environment/v3/contact-centers 503")
		e := start(t, Options{FaultSpec: "GET /health 500 x1"})
		checkEnvelope(t, e.send(req{method: "GET", url: e.sb.AuthURL + "/environment/v3/contact-centers", basic: e.ops()}), 200)
		if r := e.send(req{method: "GET", url: e.sb.AuthURL + "/health"}); r.status != 500 {
			t.Errorf("FaultSpec not applied: %d", r.status)
		}
	})
	t.Run("invalid spec fails Start", func(t *testing.T) {
		t.Setenv(EnvFaults, "GET /x bogus")
		sb, err := Start(context.Background(), Options{})
		if err == nil {
			sb.Close()
			t.Fatal("Start accepted an invalid fault spec")
		}
		if !strings.Contains(err.Error(), EnvFaults) {
			t.Errorf("error does not name %s: %v", EnvFaults, err)
		}
	})
}
