package e2e

// A full onboarding through `run`, its second run, and runs that meet
// transient faults or lose an answer.

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nexus-onboard/nexus-onboard/clients/sandbox"
	"github.com/nexus-onboard/nexus-onboard/clients/secrets"
)

func TestRunEndToEnd(t *testing.T) {
	w := newWorld(t)
	start := time.Now()
	r, got := w.runJSON(t, "--report", filepath.Join(w.stateDir, "report.md"))
	t.Logf("first full run: %s", time.Since(start))
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	want := map[string]string{
		"contact-center": "already-done", "auth-client": "done", "verify-client": "done", "register-gws": "done",
		"chat-service-uri": "done", "tenant-token": "done", "ucs-service": "done", "tenant": "done", "designer-env": "manual",
	}
	for id, st := range want {
		if got[id] != st {
			t.Errorf("%s: status %q, want %q", id, got[id], st)
		}
	}

	// No needless round trips: one request per call the procedure needs,
	// plus the preflight's 5 (Auth, Digital Channels, GWS and UCS reachable,
	// the ops credentials; the tenant login waits for the client).
	if n := len(w.sb.Requests()); n != 9+5 {
		t.Errorf("first run sent %d requests, want 9 + 5 preflight", n)
	}
	ctx := context.Background()
	secret, err := secrets.Store{}.Get(ctx, account(w.sb, w.cc, secrets.ClientSecret))
	if err != nil || len(secret) < 43 {
		t.Fatalf("client secret in keyring: len %d, %v", len(secret), err)
	}
	if got := secretToolLookup(t, account(w.sb, w.cc, secrets.ClientSecret)); got != secret {
		t.Errorf("secret-tool reads a different client secret")
	}
	apiKey := secretToolLookup(t, account(w.sb, w.cc, secrets.NexusAPIKey))
	tenants := w.sb.Tenants()
	if len(tenants) != 1 || tenants[0]["xapikey"] != apiKey {
		t.Errorf("keyring API key does not match the provisioned tenant (%d tenants)", len(tenants))
	}
	rows := gapiRows(t, w)
	if len(rows) != 1 || rows[0][0] != w.sb.GWSURL || rows[0][1] != secret {
		t.Errorf("nex_gapis rows: %d (want one for %s with the keyring secret)", len(rows), w.sb.GWSURL)
	}
	stateFile := filepath.Join(w.stateDir, w.cc+".json")
	data, err := os.ReadFile(stateFile)
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Steps   map[string]struct{ Status string } `json:"steps"`
		Created map[string]string                  `json:"created"`
	}
	if err := json.Unmarshal(data, &st); err != nil {
		t.Fatal(err)
	}
	if st.Steps["tenant"].Status != "done" || st.Created["auth_client"] != "nexus_client" || st.Created["tenant"] != w.cc {
		t.Errorf("state file: %s", data)
	}
	if fi, _ := os.Stat(stateFile); fi.Mode().Perm() != 0o600 {
		t.Errorf("state file mode %o", fi.Mode().Perm())
	}

	// `steps -o json` reports the saved outcome in the same shape.
	if saved := parseDoc(t, w.run(t, "steps", "--config", w.cfg, "--state-dir", w.stateDir, "-o", "json")); len(saved) != 9 || saved["tenant"] != "done" || saved["designer-env"] != "manual" {
		t.Errorf("steps -o json: %v", saved)
	}

	// Second run: nothing new anywhere, and only the checks are sent.
	before := len(w.sb.Requests())
	r2, got2 := w.runJSON(t)
	// Preflight: 4 pings, the contact centers, the client, its token and the
	// tenant login (8). Steps: the contact centers, the client (its token is
	// the preflight's), verify-client's token, the settings, the tenant
	// login, and the UCS and tenant creates that answer 409 (7).
	if n := len(w.sb.Requests()) - before; n != 8+7 {
		t.Errorf("second run sent %d requests, want 8 preflight + 7 steps", n)
	}
	if r2.code != 0 {
		t.Fatalf("second run exit %d\n%s", r2.code, r2.stderr)
	}
	for id, status := range got2 {
		ok := status == "already-done" || status == "skipped" || status == "manual" ||
			(status == "done" && (id == "verify-client" || id == "tenant-token"))
		if !ok {
			t.Errorf("second run: %s is %s", id, status)
		}
	}
	if n := len(w.sb.Clients()); n != 1 {
		t.Errorf("%d auth clients after two runs", n)
	}
	if n := w.sb.Count("POST", "/auth/v3/ops/clients"); n != 1 {
		t.Errorf("%d client POSTs after two runs", n)
	}
	if n := w.sb.Count("POST", "/environment/v3/contact-centers/"+w.cc+"/settings"); n != 1 {
		t.Errorf("%d setting POSTs after two runs", n)
	}
	if n := len(w.sb.Tenants()); n != 1 {
		t.Errorf("%d tenants after two runs", n)
	}
	if rows := gapiRows(t, w); len(rows) != 1 {
		t.Errorf("%d nex_gapis rows after two runs", len(rows))
	}

	// No secret anywhere we wrote.
	o := w.sb.Opts
	dbPass := ""
	if u, err := url.Parse(w.sb.DBURL); err == nil {
		dbPass, _ = u.User.Password()
	}
	all := []string{secret, apiKey, o.OpsPassword, o.TenantPassword, dbPass}
	all = append(all, w.sb.IssuedTokens()...)
	texts := map[string]string{"stdout1": r.stdout, "stderr1": r.stderr, "stdout2": r2.stdout, "stderr2": r2.stderr}
	if l := leaks(all, texts, w.stateDir); len(l) > 0 {
		t.Errorf("secret leak:\n%s", strings.Join(l, "\n"))
	}
}

func TestRunTransientFaultsAndResume(t *testing.T) {
	w := newWorld(t)
	w.sb.Faults.Add(
		sandbox.Fault{Method: "POST", Path: "/auth/v3/ops/clients", Status: 503, Times: 2},
		sandbox.Fault{Method: "GET", Path: "/environment/v3/contact-centers", Status: 502, Times: 1},
		sandbox.Fault{Method: "POST", Path: "/nexus/v3/provisioning/tenants", Status: 500},
	)
	r, got := w.runJSON(t)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", r.code, r.stderr)
	}
	if got["auth-client"] != "done" || got["tenant"] != "failed" || got["designer-env"] != "not-run" {
		t.Errorf("statuses after a permanent tenant failure: %v", got)
	}
	if n := len(w.sb.Clients()); n != 1 {
		t.Errorf("%d clients after 503s", n)
	}
	w.sb.Faults.Clear()
	r2, got2 := w.runJSON(t)
	if r2.code != 0 {
		t.Fatalf("resume: exit %d\n%s", r2.code, r2.stderr)
	}
	if got2["auth-client"] != "already-done" || got2["tenant"] != "done" || got2["designer-env"] != "manual" {
		t.Errorf("statuses after resume: %v", got2)
	}
	if n := len(w.sb.Tenants()); n != 1 {
		t.Errorf("%d tenants after resume", n)
	}
}

func TestAnsweredLostWriteIsNotRepeated(t *testing.T) {
	w := newWorld(t)
	// The client is created but the answer is a 504: the runner must check
	// before it tries again, and not create (or fail on) a second client.
	w.sb.Faults.Add(sandbox.Fault{Method: "POST", Path: "/auth/v3/ops/clients", Status: 504, Times: 1, AfterHandling: true})
	r, got := w.runJSON(t, "--only", "auth-client,verify-client")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if got["auth-client"] != "done" || got["verify-client"] != "done" {
		t.Errorf("statuses: %v", got)
	}
	if n := w.sb.Count("POST", "/auth/v3/ops/clients"); n != 1 {
		t.Errorf("the client POST was sent %d times", n)
	}
}
