package wizard

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/colorprofile"
	"github.com/jackc/pgx/v5"

	"github.com/nexus-onboard/nexus-onboard/clients/gws"
	"github.com/nexus-onboard/nexus-onboard/clients/nexus"
	"github.com/nexus-onboard/nexus-onboard/clients/sandbox"
	"github.com/nexus-onboard/nexus-onboard/clients/secrets"
	"github.com/nexus-onboard/nexus-onboard/steps"
	"github.com/nexus-onboard/nexus-onboard/ui/app"
)

// Interrupted in the wizard at each step. The defect this family pins: a
// user pressed Ctrl+C while a step was running (and answered y to "stop
// it?"), started the wizard again, and could not finish without a manual
// rotation of the client secret. Every step that sends something must
// resume: the second start opens the step menu, runs the rest through a
// clean preflight and plan to the end, and the server holds exactly one of
// everything.

// heldLatency keeps a request in flight long enough to interrupt it, even
// on a loaded machine where the screen lags; the interrupt cuts it short
// (the sandbox drops the request without serving it), so it costs nothing.
// It stays below httpx's per-attempt timeout (15 s) so no timeout retry
// muddles what is held.
const heldLatency = 14 * time.Second

// The run screen at this size shows the list and the preview side by side
// (from 110 columns); a larger screen only makes the emulator slower.
const interruptW, interruptH = 120, 40

// inFlight is a step held while it runs.
type inFlight struct {
	seen    func() bool // the held request (or database write) reached the server
	release func()
	screen  []string // what the run screen shows while the step waits
}

type interruptCase struct {
	id string
	// hold is called once the plan has been checked (its checks send the
	// same reads) and before the run starts.
	hold func(t *testing.T, s *sandboxRun) inFlight
}

// holdHTTP delays the first request to method+path after now.
func holdHTTP(method, path string) func(t *testing.T, s *sandboxRun) inFlight {
	return func(t *testing.T, s *sandboxRun) inFlight {
		p := path
		if strings.Contains(p, "%s") {
			p = fmt.Sprintf(p, s.cc)
		}
		s.sb.Faults.Add(sandbox.Fault{Method: method, Path: p, Latency: heldLatency, Times: 1})
		return inFlight{
			seen:    func() bool { return s.sb.Faults.Len() == 0 },
			release: func() {},
			screen:  []string{"→ " + method + " ", "… waiting for the answer"},
		}
	}
}

// holdTenantToken holds tenant-token's password grant. verify-client posts
// to the same token endpoint earlier in the run, so the fault is armed only
// while chat-service-uri (which comes between them and sends no token
// request) is held for a moment.
func holdTenantToken(t *testing.T, s *sandboxRun) inFlight {
	s.sb.Faults.Add(sandbox.Fault{Method: "POST", Path: fmt.Sprintf(gws.SettingsPathFormat, s.cc), Latency: 2 * time.Second, Times: 1})
	var mu sync.Mutex
	armed := false
	return inFlight{
		seen: func() bool {
			mu.Lock()
			defer mu.Unlock()
			if s.sb.Faults.Len() > 0 {
				return false
			}
			if !armed {
				// chat-service-uri's write is being held: tenant-token is next.
				s.sb.Faults.Add(sandbox.Fault{Method: "POST", Path: gws.TokenPath, Latency: heldLatency, Times: 1})
				armed = true
				return false
			}
			return true
		},
		release: func() {},
		screen:  []string{"→ POST ", "… waiting for the answer"},
	}
}

// holdRegisterGWS holds register-gws inside its write: the test keeps a
// SHARE lock on nex_gapis, which lets the step's check read the table but
// blocks the lock its write transaction takes, until release.
func holdRegisterGWS(t *testing.T, s *sandboxRun) inFlight {
	t.Helper()
	ctx := context.Background()
	locker, err := pgx.Connect(ctx, s.sb.DBURL)
	if err != nil {
		t.Fatal(err)
	}
	watcher, err := pgx.Connect(ctx, s.sb.DBURL)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := locker.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "LOCK TABLE nex_gapis IN SHARE MODE"); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	release := func() {
		once.Do(func() {
			_ = tx.Rollback(ctx)
			_ = locker.Close(ctx)
			_ = watcher.Close(ctx)
		})
	}
	t.Cleanup(release)
	return inFlight{
		seen: func() bool {
			var n int
			err := watcher.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()").Scan(&n)
			return err == nil && n > 0
		},
		release: release,
		// No HTTP: the preview shows what the step sends until it ends.
		screen: []string{"Waiting for the first answer"},
	}
}

var interruptCases = []interruptCase{
	{steps.IDContactCenter, holdHTTP("GET", gws.ContactCentersPath)},
	{steps.IDAuthClient, holdHTTP("POST", gws.OpsClientsPath)},
	{steps.IDVerifyClient, holdHTTP("POST", gws.TokenPath)},
	{steps.IDRegisterGWS, holdRegisterGWS},
	{steps.IDChatServiceURI, holdHTTP("POST", gws.SettingsPathFormat)},
	{steps.IDTenantToken, holdTenantToken},
	{steps.IDUCSService, holdHTTP("POST", nexus.PlatformUCSPathFormat)},
	{steps.IDTenant, holdHTTP("POST", nexus.TenantsPath)},
}

func TestWizardInterruptedAtEachStep(t *testing.T) {
	for _, c := range interruptCases {
		// One at a time: eight wizards side by side under -race on a small
		// machine make the screen lag past the held request.
		t.Run(c.id, func(t *testing.T) {
			interruptedAt(t, c)
		})
	}
}

func interruptedAt(t *testing.T, c interruptCase) {
	s := startSandbox(t)
	step, ok := steps.Lookup(c.id)
	if !ok {
		t.Fatalf("no step %s", c.id)
	}

	// The first start: form, preflight, plan; the step is held in flight.
	h := newHarness(t, s.model(), interruptW, interruptH, colorprofile.ANSI256)
	fillForm(h, s)
	h.press("enter")
	h.waitFor(30*time.Second, "Plan: 8 steps will run, 1 already done")
	held := c.hold(t, s)
	h.press("enter")
	waitUntil(t, c.id+" in flight at the server", held.seen)
	h.waitFor(40*time.Second, fmt.Sprintf("%-18srunning", c.id), c.id+" · "+step.Title)
	showInFlight(h, held.screen)
	h.press("ctrl+c")
	h.waitFor(10*time.Second, "A step is running. Stop it?")
	m := h.quit("y")
	m.finish() // as Run does: the run goroutine is done, the environment closed
	held.release()
	var exit *app.ExitError
	if !errors.As(m.outcome, &exit) || exit.Code != 130 {
		t.Errorf("outcome after the interrupt = %v, want exit 130 (interrupted)", m.outcome)
	}
	st, err := s.store.Load(s.cc)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(s.store.Path(s.cc))
	if rec := st.Steps[c.id]; rec == nil || rec.Status != steps.StatusFailed || !strings.Contains(rec.Error, "interrupted") {
		t.Errorf("state of %s after the interrupt = %+v, want failed: interrupted\nstate file:\n%s", c.id, rec, raw)
	}

	// The second start, on the same inputs and state: the step menu, then
	// everything, through a clean preflight and the plan, to the end.
	h2 := newHarness(t, s.model(), interruptW, interruptH, colorprofile.ANSI256)
	menu := h2.waitFor(20*time.Second, "Step menu", c.id)
	if !strings.Contains(menu, "› ✗  "+c.id) {
		t.Errorf("the menu does not open on the interrupted step:\n%s", menu)
	}
	h2.press("a")
	pre := waitOneOf(h2, 30*time.Second, "All checks passed", "failed: nothing was changed")
	if strings.Contains(pre, "failed: nothing was changed") {
		t.Fatalf("preflight failed on the second start after an interrupt at %s:\n%s\nstate file:\n%s", c.id, pre, raw)
	}
	for _, rotation := range []string{"new secret", "rotat"} {
		if strings.Contains(pre, rotation) {
			t.Errorf("preflight asks for a rotation after an interrupt at %s:\n%s", c.id, pre)
		}
	}
	h2.press("enter")
	h2.waitFor(30*time.Second, "Plan: ", "will run")
	h2.press("enter")
	end := waitOneOf(h2, 60*time.Second, "Finished: 8 of 9 done; 1 for you to do by hand", "Stopped at", "✗ Stopped")
	if !strings.Contains(end, "Finished: 8 of 9 done; 1 for you to do by hand") {
		raw, _ := os.ReadFile(s.store.Path(s.cc))
		t.Fatalf("the second start did not finish after an interrupt at %s:\n%s\nstate file:\n%s", c.id, end, raw)
	}
	if strings.Contains(end, "R give the client a new secret") {
		t.Errorf("the run offers a rotation:\n%s", end)
	}
	m2 := h2.quit("q")
	m2.finish()
	if m2.outcome != nil {
		t.Errorf("outcome of the resumed run = %v, want none", m2.outcome)
	}

	// The server's side: one of everything, no rotation.
	checkResumedOnce(t, s)
}

// checkResumedOnce asserts that the sandbox holds exactly one of each thing
// the procedure makes, that the client secret was never rotated, and that
// the keyring agrees with the sandbox.
func checkResumedOnce(t *testing.T, s *sandboxRun) {
	t.Helper()
	ctx := context.Background()
	clients := s.sb.Clients()
	if len(clients) != 1 {
		t.Errorf("%d Auth clients, want 1", len(clients))
	}
	for _, r := range s.sb.Requests() {
		if r.Method == "PUT" && strings.HasPrefix(r.Path, gws.OpsClientsPath) {
			t.Errorf("the client was rotated: PUT %s", r.Path)
		}
	}
	if n := s.sb.Count("PUT", gws.OpsClientsPath+"/"+sandbox.DefaultClientID); n != 0 {
		t.Errorf("%d PUT(s) to the client: rotated", n)
	}
	n := 0
	for _, set := range s.sb.Settings(s.cc) {
		if set["name"] == "chat-service-uri" {
			n++
			if set["value"] != s.vals.Get(steps.KeyNexusURL) {
				t.Errorf("chat-service-uri = %v, want %s", set["value"], s.vals.Get(steps.KeyNexusURL))
			}
		}
	}
	if n != 1 {
		t.Errorf("%d chat-service-uri settings, want 1: %v", n, s.sb.Settings(s.cc))
	}
	tenants := s.sb.Tenants()
	if len(tenants) != 1 || tenants[0]["id"] != s.cc {
		t.Errorf("tenants = %d, want 1 for %s", len(tenants), s.cc)
	}
	ucs := 0
	for _, u := range s.sb.UCSServices() {
		if u["ccid"] == s.cc {
			ucs++
		}
	}
	if ucs != 1 {
		t.Errorf("%d PlatformUCS services, want 1", ucs)
	}

	secret, err := secrets.Store{}.Get(ctx, steps.KeyringAccount(s.vals, steps.OutClientSecret))
	if err != nil || secret == "" {
		t.Fatalf("no client secret in the keyring: %v", err)
	}
	if len(clients) == 1 && clients[0]["client_secret"] != secret {
		t.Error("the keyring's client secret is not the Auth client's")
	}
	conn, err := pgx.Connect(ctx, s.sb.DBURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, "SELECT url, clientid, COALESCE(clientsecret, '') FROM nex_gapis")
	if err != nil {
		t.Fatal(err)
	}
	type gapi struct{ url, clientID, secret string }
	gapis, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (gapi, error) {
		var g gapi
		return g, r.Scan(&g.url, &g.clientID, &g.secret)
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(gapis) != 1 {
		t.Errorf("%d nex_gapis rows, want 1", len(gapis))
	}
	for _, g := range gapis {
		if g.url != s.sb.GWSURL || g.clientID != s.vals.Get(steps.KeyClientID) || g.secret != secret {
			t.Errorf("nex_gapis row for %s / %s does not hold the keyring's client secret", g.url, g.clientID)
		}
	}

	if len(tenants) == 1 {
		key, err := secrets.Store{}.Get(ctx, steps.KeyringAccount(s.vals, steps.OutAPIKey))
		if err != nil || key == "" || key != tenants[0]["xapikey"] {
			t.Errorf("the keyring's Nexus API key is not the tenant's xapikey (err %v)", err)
		}
	}
}

// showInFlight waits until the run screen's preview shows the request in
// flight. The preview follows the running step's newest lines only while it
// is scrolled to its end, and it opens at the top of the step's plan: when
// that is longer than the pane, page down to the end, as a user would.
func showInFlight(h *harness, texts []string) {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s := h.screen()
		all := true
		for _, x := range texts {
			all = all && strings.Contains(s, x)
		}
		if all {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("the run screen never showed the request in flight (%q); it shows:\n%s", texts, s)
		}
		h.press("pgdown")
		time.Sleep(50 * time.Millisecond)
	}
}

// waitOneOf waits until the screen shows one of the texts.
func waitOneOf(h *harness, timeout time.Duration, texts ...string) string {
	h.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		s := h.screen()
		for _, x := range texts {
			if strings.Contains(s, x) {
				return s
			}
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("screen never showed one of %q within %s; it shows:\n%s", texts, timeout, s)
		}
		time.Sleep(15 * time.Millisecond)
	}
}

// waitUntil polls cond for up to 20 s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
