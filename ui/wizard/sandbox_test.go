package wizard

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/colorprofile"

	"github.com/nexus-onboard/nexus-onboard/clients/gws"
	"github.com/nexus-onboard/nexus-onboard/clients/sandbox"
	"github.com/nexus-onboard/nexus-onboard/clients/secrets"
	"github.com/nexus-onboard/nexus-onboard/steps"
	"github.com/nexus-onboard/nexus-onboard/testkit"
	"github.com/nexus-onboard/nexus-onboard/ui/app"
)

// The key paths against the real sandbox (HTTPS with its own CA, a real
// PostgreSQL) and the real OS keyring, driven by keystrokes.

type sandboxRun struct {
	sb    *sandbox.Sandbox
	cc    string
	vals  steps.Values
	store steps.Store
}

// startSandbox starts a sandbox for a fresh contact center and loads its
// config the way the CLI does.
func startSandbox(t *testing.T, faults ...sandbox.Fault) *sandboxRun {
	t.Helper()
	testkit.RequireKeyring(t)
	testkit.RequirePostgres(t)
	cc := testkit.UUID()
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sb, err := sandbox.Start(ctx, sandbox.Options{ContactCenters: []string{cc}, WithDB: true, Dir: dir})
	if err != nil {
		t.Fatalf("start the sandbox: %v", err)
	}
	t.Cleanup(func() { _ = sb.Close() })
	sb.Faults.Add(faults...)
	cfg := filepath.Join(dir, "nexus-onboard.yaml")
	if err := sb.WriteConfig(cfg); err != nil {
		t.Fatal(err)
	}
	vals, _, problems := steps.Load(steps.Sources{ConfigPath: cfg})
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	cleanupKeyring(t, vals)
	return &sandboxRun{sb: sb, cc: cc, vals: vals, store: steps.Store{Dir: filepath.Join(dir, "state")}}
}

func (s *sandboxRun) model() *model {
	m := newModel(context.Background(), app.WizardParams{Values: s.vals.Clone(), Store: s.store,
		Sandbox: &app.SandboxInfo{AuthURL: s.sb.AuthURL, CCID: s.cc}})
	m.retryDelay = 10 * time.Millisecond
	return m
}

// secretValues are the sandbox's secrets that no screen may show.
func (s *sandboxRun) secretValues() map[string]string {
	out := map[string]string{
		"ops password": s.sb.Opts.OpsPassword, "tenant password": s.sb.Opts.TenantPassword, "UCS key": s.sb.Opts.UCSAPIKey,
	}
	for _, c := range s.sb.Clients() {
		out["client secret"], _ = c["client_secret"].(string)
	}
	for _, tn := range s.sb.Tenants() {
		out["xapikey"], _ = tn["xapikey"].(string)
	}
	if i := strings.Index(s.vals.Get(steps.KeyDBURL), "@"); i > 0 {
		userinfo := s.vals.Get(steps.KeyDBURL)[len("postgres://"):i]
		_, pw, _ := strings.Cut(userinfo, ":")
		out["db password"] = pw
	}
	return out
}

func (s *sandboxRun) assertNoSecret(t *testing.T, where, text string) {
	t.Helper()
	for name, v := range s.secretValues() {
		if v != "" && strings.Contains(text, v) {
			t.Errorf("%s shows the %s", where, name)
		}
	}
}

// fillForm goes through the four pages, keeping the pre-filled values, and
// waits for preflight to pass.
func fillForm(h *harness, s *sandboxRun) {
	h.t.Helper()
	fillFormUntil(h, s, "All checks passed")
}

// fillFormUntil walks the form and waits for the preflight to show want.
func fillFormUntil(h *harness, s *sandboxRun, want string) {
	h.t.Helper()
	h.waitFor(10*time.Second, "GWS URL", "1 Endpoints")
	h.press("enter", "enter", "enter", "enter")
	h.waitFor(10*time.Second, "GWS ops user")
	h.press("enter", "enter", "enter", "enter")
	// The Tenant page lists the sandbox's contact centers first.
	h.waitFor(20*time.Second, "listed by", s.cc)
	h.press("enter", "enter")
	h.waitFor(10*time.Second, "Nexus database URL")
	s.assertNoSecret(h.t, "the Database page", h.screen())
	h.press("enter", "enter", "enter")
	h.waitFor(30*time.Second, want)
}

func TestSandboxOnboardingByKeyboard(t *testing.T) {
	s := startSandbox(t)
	h := newHarness(t, s.model(), 80, 24, colorprofile.ANSI256)
	fillForm(h, s)
	h.press("enter")
	h.waitFor(20*time.Second, "Plan: 8 steps will run, 1 already done")
	h.press("enter")
	run := h.waitFor(60*time.Second, "Finished: 8 of 9 done; 1 for you to do by hand")
	s.assertNoSecret(t, "the run screen", run)
	// The preview of a step shows its exchanges: walk them all.
	for i := 0; i < 9; i++ {
		h.press("up")
		s.assertNoSecret(t, "a run preview", h.screen())
	}
	h.press("enter")
	sum := h.waitFor(10*time.Second, "8 of 9 steps done for contact center "+s.cc, "r reveals it")
	s.assertNoSecret(t, "the summary", sum)

	tenants := s.sb.Tenants()
	if len(tenants) != 1 || tenants[0]["id"] != s.cc {
		t.Fatalf("sandbox tenants = %v", tenants)
	}
	xapikey := tenants[0]["xapikey"].(string)
	h.press("r")
	h.waitFor(10*time.Second, xapikey)
	h.press("r")
	if hidden := h.waitFor(5*time.Second, "r reveals it"); strings.Contains(hidden, xapikey) {
		t.Error("r did not hide the key again")
	}
	h.press("c")
	h.waitRaw(10*time.Second, []byte(base64.StdEncoding.EncodeToString([]byte(xapikey))))
	h.waitFor(5*time.Second, "Sent the Nexus API key to the terminal's clipboard")
	h.press("x")
	h.waitFor(10*time.Second, "The report is in")
	reports, _ := filepath.Glob(filepath.Join(s.store.Dir, "report-*.md"))
	if len(reports) != 1 {
		t.Fatalf("reports: %v", reports)
	}
	md, err := os.ReadFile(reports[0])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(md), "# nexus-onboard report") || !strings.Contains(string(md), "/nexus/v3/provisioning/tenants") {
		t.Errorf("the report lacks the run:\n%s", md)
	}
	s.assertNoSecret(t, "the report", string(md))

	m := h.quit("q")
	if m.outcome != nil {
		t.Errorf("exit error after a complete run: %v", m.outcome)
	}

	// The state file: every step OK, no secret.
	st, err := s.store.Load(s.cc)
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range steps.All {
		if rec := st.Steps[step.ID]; rec == nil || !rec.Status.OK() {
			t.Errorf("state: %s = %+v", step.ID, rec)
		}
	}
	raw, _ := os.ReadFile(s.store.Path(s.cc))
	s.assertNoSecret(t, "the state file", string(raw))

	// The keyring holds what the sandbox knows, read back by another tool.
	clientSecret, _ := s.sb.Clients()[0]["client_secret"].(string)
	for account, want := range map[string]string{
		steps.KeyringAccount(s.vals, steps.OutClientSecret): clientSecret,
		secrets.Account(s.cc, secrets.NexusAPIKey):          xapikey,
	} {
		if got := readKeyring(t, account); got != want || got == "" {
			t.Errorf("keyring %s = %q, want the sandbox's value", account, got)
		}
	}
	if set := s.sb.Settings(s.cc); len(set) != 1 || set[0]["value"] != s.vals.Get(steps.KeyNexusURL) {
		t.Errorf("chat-service-uri settings = %v", set)
	}
}

// readKeyring reads an entry with secret-tool when present (outside
// go-keyring), else through the secrets package.
func readKeyring(t *testing.T, account string) string {
	t.Helper()
	if _, err := exec.LookPath("secret-tool"); err == nil {
		out, err := exec.Command("secret-tool", "lookup", "service", secrets.Service, "username", account).Output()
		if err != nil {
			t.Fatalf("secret-tool lookup %s: %v", account, err)
		}
		return string(out)
	}
	v, err := secrets.Store{}.Get(context.Background(), account)
	if err != nil {
		t.Fatalf("keyring %s: %v", account, err)
	}
	return v
}

func TestSandboxFailingStepRetry(t *testing.T) {
	s := startSandbox(t, sandbox.Fault{Method: "POST", Path: "/nexus/v3/provisioning/tenants", Status: 500, Times: 1})
	h := newHarness(t, s.model(), 120, 40, colorprofile.ANSI256)
	fillForm(h, s)
	h.press("enter")
	h.waitFor(20*time.Second, "Plan: 8 steps will run")
	h.press("enter")
	failed := h.waitFor(60*time.Second, "Stopped at tenant", "r retry", "500")
	if !strings.Contains(failed, "✗  tenant") || !strings.Contains(failed, "not run") {
		t.Errorf("the failed run screen does not show the failure:\n%s", failed)
	}
	if n := len(s.sb.Tenants()); n != 0 {
		t.Fatalf("tenants after the failure: %d", n)
	}
	st, _ := s.store.Load(s.cc)
	if rec := st.Steps[steps.IDTenant]; rec == nil || rec.Status != steps.StatusFailed {
		t.Fatalf("the state does not record the failure: %+v", rec)
	}
	h.press("r")
	h.waitFor(60*time.Second, "Finished: 8 of 9 done; 1 for you to do by hand")
	if n := len(s.sb.Tenants()); n != 1 {
		t.Fatalf("tenants after the retry: %d", n)
	}
	st, _ = s.store.Load(s.cc)
	if rec := st.Steps[steps.IDTenant]; rec == nil || rec.Status != steps.StatusDone {
		t.Errorf("state after the retry: %+v", rec)
	}
	if m := h.quit("q"); m.outcome != nil {
		t.Errorf("exit error after a successful retry: %v", m.outcome)
	}
}

// The support path: a run stopped at a failed step; the next start opens
// the menu on it; the engineer re-runs that step alone and reads its
// transcript.
func TestSandboxMenuRerunsOneStep(t *testing.T) {
	s := startSandbox(t)
	s.sb.Faults.Add(sandbox.Fault{Method: "POST", Path: fmt.Sprintf("/environment/v3/contact-centers/%s/settings", s.cc), Status: 500, Times: 1})
	// The first run, headless, as `nexus-onboard run` would do it.
	env, err := steps.NewEnv(s.vals.Clone(), steps.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sel, _ := steps.Select(nil, nil, s.vals)
	runner := &steps.Runner{Env: env, Store: s.store, RetryDelay: time.Millisecond}
	_, err = runner.Run(context.Background(), sel)
	runner.Close()
	env.Close()
	if err == nil || !strings.Contains(err.Error(), steps.IDChatServiceURI) {
		t.Fatalf("the first run should stop at chat-service-uri: %v", err)
	}

	h := newHarness(t, s.model(), 80, 24, colorprofile.ANSI256)
	menu := h.waitFor(10*time.Second, "Step menu", "chat-service-uri")
	if !strings.Contains(menu, "› ✗  chat-service-uri") {
		t.Errorf("the menu does not open on the failed step:\n%s", menu)
	}
	h.press("enter")
	h.waitFor(30*time.Second, "All checks passed")
	h.press("enter")
	h.waitFor(20*time.Second, "Re-run chat-service-uri: 1 step will run")
	h.press("enter")
	h.waitFor(30*time.Second, "Finished: 1 of 1 done")
	if set := s.sb.Settings(s.cc); len(set) != 1 || set[0]["value"] != s.vals.Get(steps.KeyNexusURL) {
		t.Errorf("chat-service-uri settings = %v", set)
	}
	if n := len(s.sb.Tenants()); n != 0 {
		t.Errorf("re-running one step ran others too: %d tenant(s)", n)
	}
	h.press("m")
	h.waitFor(10*time.Second, "› ✓  chat-service-uri")
	h.press("t")
	tr := h.waitFor(10*time.Second, "Last transcript of chat-service-uri: done, ", "→ GET https://")
	s.assertNoSecret(t, "the transcript", tr)
	// Page down until the write shows.
	for i := 0; i < 6 && !strings.Contains(h.screen(), "→ POST https://"); i++ {
		h.press("pgdown")
		time.Sleep(50 * time.Millisecond)
	}
	tr = h.waitFor(5*time.Second, "→ POST https://", "chat-service-uri")
	s.assertNoSecret(t, "the transcript", tr)
	h.press("esc")
	h.waitFor(10*time.Second, "Step menu")
	h.quit("q")
	st, _ := s.store.Load(s.cc)
	if rec := st.Steps[steps.IDChatServiceURI]; rec == nil || rec.Status != steps.StatusDone {
		t.Errorf("state after the re-run: %+v", rec)
	}
}

// The client exists in Auth with a secret this keyring does not hold (made
// by hand, or the keyring was wiped): auth-client refuses, and the run
// screen offers R, which rotates the secret and updates nex_gapis.
func TestSandboxRotateSecretFromRunScreen(t *testing.T) {
	s := startSandbox(t)
	env, err := steps.NewEnv(s.vals.Clone(), steps.Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = env.Auth.CreateClient(context.Background(), gws.NexusClient("nexus_client", "made-by-someone-else-0123456789", s.sb.NexusURL))
	env.Close()
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, s.model(), 120, 40, colorprofile.ANSI256)
	fillForm(h, s)
	h.press("enter")
	h.waitFor(20*time.Second, "Plan:")
	h.press("enter")
	h.waitFor(60*time.Second, "Stopped at auth-client", "R give the client a new secret")
	h.press("R")
	h.waitFor(10*time.Second, "Press R again")
	if n := s.sb.Count("PUT", "/auth/v3/ops/clients/nexus_client"); n != 0 {
		t.Fatalf("rotated before the confirmation (%d PUTs)", n)
	}
	h.press("R")
	h.waitFor(60*time.Second, "Finished:")
	secret, err := secrets.Store{}.Get(context.Background(), steps.KeyringAccount(s.vals, steps.OutClientSecret))
	if err != nil || secret == "" {
		t.Fatalf("no rotated secret in the keyring: %v", err)
	}
	if n := len(s.sb.Clients()); n != 1 {
		t.Errorf("%d clients after the rotation", n)
	}
	st, _ := s.store.Load(s.cc)
	for _, id := range []string{steps.IDAuthClient, steps.IDVerifyClient, steps.IDRegisterGWS, steps.IDTenant} {
		if rec := st.Steps[id]; rec == nil || !rec.Status.OK() {
			t.Errorf("%s after the rotation: %+v", id, rec)
		}
	}
	h.quit("q")
}

// Auth refuses the secret the keyring holds (changed elsewhere): preflight
// names it and offers the rotation as an action, after a confirmation.
func TestSandboxRotateSecretFromPreflight(t *testing.T) {
	s := startSandbox(t)
	env, err := steps.NewEnv(s.vals.Clone(), steps.Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = env.Auth.CreateClient(context.Background(), gws.NexusClient("nexus_client", "made-by-someone-else-0123456789", s.sb.NexusURL))
	env.Close()
	if err != nil {
		t.Fatal(err)
	}
	acct := steps.KeyringAccount(s.vals, steps.OutClientSecret)
	if err := (secrets.Store{}).Set(context.Background(), acct, "stale-secret-of-this-keyring-0123456789"); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, s.model(), 120, 40, colorprofile.ANSI256)
	fillFormUntil(h, s, "failed: nothing was changed")
	h.waitFor(5*time.Second, "R gives the client a new secret")
	h.press("R")
	h.waitFor(10*time.Second, "Press R again")
	h.press("R")
	h.waitFor(60*time.Second, "Finished:")
	secret, err := secrets.Store{}.Get(context.Background(), acct)
	if err != nil || secret == "stale-secret-of-this-keyring-0123456789" {
		t.Fatalf("the keyring still holds the stale secret (%v)", err)
	}
	if n := s.sb.Count("PUT", "/auth/v3/ops/clients/nexus_client"); n != 1 {
		t.Errorf("%d rotations, want 1", n)
	}
	h.quit("q")
}
