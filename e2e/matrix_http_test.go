package e2e

// Fault matrix: HTTP faults on a step's request through the command line
// (transient ones the step survives in the same run, permanent ones that
// stop it), and writes whose answer is lost.

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/nexus-onboard/nexus-onboard/clients/sandbox"
	"github.com/nexus-onboard/nexus-onboard/clients/secrets"
	"github.com/nexus-onboard/nexus-onboard/steps"
)

// Classes of HTTP faults: what surviving one means.
const (
	faultTransient = "transient" // the step ends OK in the same run, exit 0
	faultPermanent = "permanent" // exit 1 naming host, status and remedy; the next run finishes
)

// httpFault is a fault injected on a step's route.
type httpFault struct {
	name   string
	class  string
	fault  sandbox.Fault
	status int      // the status the error must name; 0: none
	says   []string // the error must say all of these
	remedy []string // and one of these
}

const marker400 = "matrix-400-marker: field redirectURIs rejected"

var matrixHugeBody = `{"status":{"code":0,"message":""},"data":"` + strings.Repeat("x", 5<<20) + `"}`

var httpFaults = []httpFault{
	{name: "dropped ×1", class: faultTransient, fault: sandbox.Fault{CloseConn: true, Times: 1}},
	{name: "503 ×2", class: faultTransient, fault: sandbox.Fault{Status: 503, Times: 2}},
	{name: "502 ×2", class: faultTransient, fault: sandbox.Fault{Status: 502, Times: 2}},
	{name: "504 ×2", class: faultTransient, fault: sandbox.Fault{Status: 504, Times: 2}},
	{name: "429 Retry-After 1", class: faultTransient, fault: sandbox.Fault{Status: 429, Times: 1, RetryAfter: "1"}},
	{name: "401", class: faultPermanent, fault: sandbox.Fault{Status: 401}, status: 401, remedy: []string{"check the credentials"}},
	{name: "403", class: faultPermanent, fault: sandbox.Fault{Status: 403}, status: 403, remedy: []string{"lacks permission"}},
	{name: "404", class: faultPermanent, fault: sandbox.Fault{Status: 404}, status: 404, remedy: []string{"check the URL"}},
	{name: "400 + message", class: faultPermanent, status: 400, remedy: []string{marker400},
		fault: sandbox.Fault{Status: 400, Body: `{"status":{"code":1,"message":"` + marker400 + `"},"error":"invalid_request","error_description":"` + marker400 + `"}`}},
	{name: "500", class: faultPermanent, fault: sandbox.Fault{Status: 500}, status: 500, remedy: []string{"check its logs"}},
	{name: "409 exists", class: faultPermanent, fault: sandbox.Fault{Status: 409, Body: `{"status":{"code":6,"message":"already exists"},"error":"conflict","error_description":"already exists"}`},
		status: 409, remedy: []string{"already exists"}},
	{name: "HTML 200", class: faultPermanent, remedy: []string{"is auth_url", "is nexus_url"},
		fault: sandbox.Fault{Status: 200, ContentType: "text/html; charset=utf-8", Body: "<html><head><title>Sign in</title></head><body>Single sign-on</body></html>"}},
	{name: "truncated JSON", class: faultPermanent, remedy: []string{"is auth_url", "is nexus_url"},
		fault: sandbox.Fault{Status: 200, ContentType: "application/json", Body: `{"status":{"code":0,"message":""},"data":{"contactCenters":[{"id":"57`}},
	{name: "huge body", class: faultPermanent, says: []string{"larger than 4 MiB"}, remedy: []string{"is this the right URL"},
		fault: sandbox.Fault{Status: 200, ContentType: "application/json", Body: matrixHugeBody}},
}

// expectFor derives the expected outcome of an HTTP fault on a step.
func expectFor(st matrixStep, hf httpFault, host string) matrixExpect {
	if hf.class == faultTransient {
		return matrixExpect{code: 0, status: st.clean}
	}
	e := matrixExpect{code: 1, status: steps.StatusFailed, rest: steps.StatusNotRun, msg: append([]string{host}, hf.says...), anyOf: hf.remedy}
	if hf.status != 0 {
		e.msg = append(e.msg, fmt.Sprint(hf.status))
	}
	switch {
	case hf.status == 409 && st.id == steps.IDAuthClient:
		// The POST says "exists" but the stored secret is refused: only
		// rotating the secret can fix that.
		e.anyOf = []string{"--rotate-secret"}
	case hf.status == 409 && st.id == steps.IDUCSService:
		// No read API for provisioning services: "exists" is the only
		// "already done" signal there is.
		return matrixExpect{code: 0, status: steps.StatusAlreadyDone}
	case hf.status == 409 && st.id == steps.IDTenant:
		// Exists, but its key is not in the keyring: the warning says how
		// to get it (designer-env is manual and warns too).
		return matrixExpect{code: 0, status: steps.StatusAlreadyDone, msg: []string{"secret-tool store"}}
	}
	return e
}

// httpCase injects an HTTP fault on the step's route during a command-line run.
func httpCase(t *testing.T, sh *shard, st matrixStep, hf httpFault) {
	c := sh.next(t)
	args := c.faultArgs(t, st, c.cfg)
	f := hf.fault
	f.Method, f.Path = st.method, st.route(c.cc)
	before := c.sb.Count(f.Method, f.Path)
	c.sb.Faults.Add(f)
	defer c.sb.Faults.Clear()
	r, d := c.cli(t, "fault", args...)
	hits := c.sb.Count(f.Method, f.Path) - before
	if f.Times > 0 && c.sb.Faults.Len() != 0 {
		t.Errorf("the fault was not used up: %d of %d requests hit %s %s", hits, f.Times, f.Method, f.Path)
	}
	if hits == 0 {
		t.Errorf("no request hit %s %s", f.Method, f.Path)
	}
	host := hostOfURL(c.sb.AuthURL)
	if st.svc == "nexus" {
		host = hostOfURL(c.sb.NexusURL)
	}
	c.checkRun(t, st, r, d, expectFor(st, hf, host))
	c.recover(t)
}

// lostFault lets a write land and loses its answer.
type lostFault struct {
	name  string
	fault sandbox.Fault
}

var lostFaults = []lostFault{
	{"lost answer 502", sandbox.Fault{Status: 502, Times: 1, AfterHandling: true}},
	{"lost answer 504", sandbox.Fault{Status: 504, Times: 1, AfterHandling: true}},
	{"lost connection", sandbox.Fault{CloseConn: true, Times: 1, AfterHandling: true}},
}

// lostWriteCase lets the step's write land and loses its answer.
func lostWriteCase(t *testing.T, sh *shard, st matrixStep, lf lostFault) {
	c := sh.next(t)
	f := lf.fault
	f.Method, f.Path = st.method, st.route(c.cc)
	before := c.sb.Count(f.Method, f.Path)
	c.sb.Faults.Add(f)
	defer c.sb.Faults.Clear()
	r, d := c.cli(t, "lost write", "--config", c.cfg)
	if c.sb.Faults.Len() != 0 {
		t.Fatalf("the write was never sent")
	}
	writes := c.sb.Count(f.Method, f.Path) - before
	status, text := d.step(st.id)
	switch st.id {
	case steps.IDAuthClient, steps.IDChatServiceURI:
		// The check (GET) runs before the retry and finds our write.
		if r.code != 0 || status != steps.StatusDone {
			t.Errorf("exit %d, %s %s (%s), want 0 and done", r.code, st.id, status, text)
		}
		if writes != 1 {
			t.Errorf("%s %s sent %d times, want once", f.Method, f.Path, writes)
		}
	case steps.IDUCSService:
		// No read API: the create is sent again and answers "exists".
		if r.code != 0 || status != steps.StatusAlreadyDone {
			t.Errorf("exit %d, %s %s (%s), want 0 and already-done", r.code, st.id, status, text)
		}
		if writes != 2 {
			t.Errorf("%s %s sent %d times, want 2 (the second answered 409)", f.Method, f.Path, writes)
		}
	case steps.IDTenant:
		// The key exists only in the lost answer: the tenant is there once,
		// and the warnings say how to get the key.
		if r.code != 0 || status != steps.StatusAlreadyDone || !strings.Contains(text, "secret-tool store") {
			t.Errorf("exit %d, %s %s (%s), want 0, already-done and how to store the key", r.code, st.id, status, text)
		}
		if writes != 2 {
			t.Errorf("%s %s sent %d times, want 2 (the second answered 409)", f.Method, f.Path, writes)
		}
		if de, text := d.step(steps.IDDesignerEnv); de != steps.StatusManual || !strings.Contains(text, "not in the keyring") {
			t.Errorf("designer-env: %s (%s), want manual with a warning that the key is missing", de, text)
		}
		// What the warning asks of the admin: store the key from Digital Channels.
		for _, tn := range c.sb.Tenants() {
			if tn["id"] == c.cc {
				secrets.Store{}.Set(context.Background(), c.account(secrets.NexusAPIKey), tn["xapikey"].(string))
			}
		}
	}
	c.checkCreated(t, st)
	c.recover(t)
}

// checkCreated asserts the fault run's state records what the step made
// although the answer to its write was lost.
func (c *mcase) checkCreated(t *testing.T, st matrixStep) {
	t.Helper()
	created := c.state(t).Created
	want := map[string]string{
		steps.IDAuthClient:     steps.CreatedAuthClient,
		steps.IDChatServiceURI: steps.CreatedSetting,
		steps.IDTenant:         steps.CreatedTenant,
	}[st.id]
	if want != "" && created[want] == "" {
		t.Errorf("state does not record that this run created %s: %v", want, created)
	}
}
