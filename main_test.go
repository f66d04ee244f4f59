package main

// End-to-end tests of the headless tool: the real command line, in process,
// against the built-in sandbox over real HTTPS, a real PostgreSQL and the real
// Secret Service. They fail (not skip) in CI when a component is missing.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/nexus-onboard/nexus-onboard/clients/gws"
	"github.com/nexus-onboard/nexus-onboard/clients/sandbox"
	"github.com/nexus-onboard/nexus-onboard/clients/secrets"
	"github.com/nexus-onboard/nexus-onboard/steps"
	"github.com/nexus-onboard/nexus-onboard/ui/cli"
)

// TestMain lets a test run the real command in a child process (for what
// a process sets up once, like its D-Bus connection): the test binary acts
// as nexus-onboard when NEXUS_ONBOARD_TEST_AS_MAIN is set.
func TestMain(m *testing.M) {
	if os.Getenv("NEXUS_ONBOARD_TEST_AS_MAIN") == "1" {
		app := &cli.App{Version: "test", StartSandbox: startSandbox}
		os.Exit(app.Main(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// runChild runs the command in a child process with extra environment.
func (w *world) runChild(t testing.TB, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(append(os.Environ(), "NEXUS_ONBOARD_TEST_AS_MAIN=1"), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

func need(t testing.TB, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is required in CI: %v", what, err)
	}
	t.Skipf("%s not available: %v", what, err)
}

func randomCC(t testing.TB) string {
	b := make([]byte, 16)
	rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// account is the keyring account of a secret of the sandbox: the client
// secret is the environment's, the API key the contact center's.
func account(sb *sandbox.Sandbox, cc, name string) string {
	if name == secrets.ClientSecret {
		return secrets.ClientSecretAccount(sb.AuthURL, sandbox.DefaultClientID)
	}
	return secrets.Account(cc, name)
}

type world struct {
	sb       *sandbox.Sandbox
	dir      string
	cfg      string
	stateDir string
	cc       string
}

// newWorld starts a sandbox with a fresh contact center (so keyring entries
// of parallel or earlier tests never collide) and writes its config.
func newWorld(t testing.TB) *world {
	t.Helper()
	need(t, "the OS keyring (Secret Service)", secrets.Store{}.Probe(context.Background()))
	cc := randomCC(t)
	dir := t.TempDir()
	sb, err := sandbox.Start(context.Background(), sandbox.Options{ContactCenters: []string{cc}, WithDB: true, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	if sb.DBURL == "" {
		need(t, "PostgreSQL", fmt.Errorf("sandbox has no database: %s", sb.DBNote))
	}
	w := &world{sb: sb, dir: dir, cfg: filepath.Join(dir, "nexus-onboard.yaml"), stateDir: filepath.Join(dir, "state"), cc: cc}
	if err := sb.WriteConfig(w.cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, n := range []string{secrets.ClientSecret, secrets.NexusAPIKey} {
			secrets.Store{}.Delete(context.Background(), account(sb, cc, n))
		}
	})
	return w
}

type result struct {
	code           int
	stdout, stderr string
}

func (w *world) run(t testing.TB, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	app := &cli.App{Version: "test", StartSandbox: startSandbox, Stdout: &out, Stderr: &errb, Stdin: strings.NewReader(""),
		Environ: []string{"HOME=" + w.dir, "PATH=" + os.Getenv("PATH")}}
	code := app.Main(args)
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

type jsonDoc struct {
	Steps []struct {
		ID         string            `json:"id"`
		Status     string            `json:"status"`
		DurationMS *int64            `json:"duration_ms"`
		Outputs    map[string]string `json:"outputs"`
		Error      *string           `json:"error"`
	} `json:"steps"`
}

func parseDoc(t testing.TB, r result) map[string]string {
	t.Helper()
	var doc jsonDoc
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("stdout is not one JSON document: %v\n%s\nstderr:\n%s", err, r.stdout, r.stderr)
	}
	got := map[string]string{}
	for _, s := range doc.Steps {
		if s.DurationMS == nil || s.Error == nil || s.Outputs == nil {
			t.Errorf("step %s lacks duration_ms, error or outputs", s.ID)
		}
		got[s.ID] = s.Status
	}
	return got
}

func (w *world) runJSON(t testing.TB, extra ...string) (result, map[string]string) {
	t.Helper()
	r := w.run(t, append([]string{"run", "--config", w.cfg, "--state-dir", w.stateDir, "--output", "json"}, extra...)...)
	return r, parseDoc(t, r)
}

func secretToolLookup(t testing.TB, account string) string {
	t.Helper()
	out, err := exec.Command("secret-tool", "lookup", "service", secrets.Service, "username", account).Output()
	need(t, "secret-tool (libsecret-tools)", err)
	return string(out)
}

func gapiRows(t testing.TB, w *world) [][2]string {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), w.sb.DBURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(context.Background(), "SELECT url, clientsecret FROM nex_gapis ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	var out [][2]string
	for rows.Next() {
		var u, s string
		if err := rows.Scan(&u, &s); err != nil {
			t.Fatal(err)
		}
		out = append(out, [2]string{u, s})
	}
	return out
}

// leaks returns where any form of any secret appears in the texts and files.
func leaks(secretsList []string, texts map[string]string, dirs ...string) []string {
	for _, d := range dirs {
		filepath.Walk(d, func(p string, fi os.FileInfo, err error) error {
			if err == nil && fi.Mode().IsRegular() && !strings.Contains(p, "/sandbox-") && !strings.HasSuffix(p, ".yaml") && !strings.Contains(p, "/pg") {
				if data, err := os.ReadFile(p); err == nil {
					texts[p] = string(data)
				}
			}
			return nil
		})
	}
	var found []string
	for _, s := range secretsList {
		if len(s) < 4 {
			continue
		}
		js, _ := json.Marshal(s)
		forms := []string{s, url.QueryEscape(s), string(js[1 : len(js)-1]), base64.StdEncoding.EncodeToString([]byte(s))}
		for where, text := range texts {
			for _, f := range forms {
				if strings.Contains(text, f) {
					found = append(found, fmt.Sprintf("%s contains a secret (%d chars)", where, len(s)))
				}
			}
		}
	}
	return found
}

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

func TestBadConfigRefusedBeforeAnyRequest(t *testing.T) {
	w := newWorld(t)
	data, _ := os.ReadFile(w.cfg)
	lines := []string{}
	for _, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, "gws_url:") || strings.HasPrefix(l, "cc_id:") || strings.HasPrefix(l, "tenant_name:") {
			continue
		}
		lines = append(lines, l)
	}
	lines = append(lines, "gws_url: http://x", "cc_id: nope")
	bad := filepath.Join(w.dir, "bad.yaml")
	os.WriteFile(bad, []byte(strings.Join(lines, "\n")), 0o600)
	before := len(w.sb.Requests())
	r := w.run(t, "run", "--config", bad, "--state-dir", w.stateDir)
	if r.code != 2 {
		t.Fatalf("exit %d, want 2\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"gws_url: must use https", "cc_id: must be a UUID", "tenant_name: required"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if n := len(w.sb.Requests()) - before; n != 0 {
		t.Errorf("%d requests sent despite bad input", n)
	}
}

func TestPlanShowsRequestsWithSecretsMasked(t *testing.T) {
	w := newWorld(t)
	r := w.run(t, "plan", "--config", w.cfg, "--state-dir", w.stateDir)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	for _, want := range []string{
		"POST " + w.sb.AuthURL + "/auth/v3/ops/clients",
		"POST " + w.sb.NexusURL + "/nexus/v3/provisioning/tenants",
		"POST " + w.sb.AuthURL + "/environment/v3/contact-centers/" + w.cc + "/settings",
		"INSERT INTO nex_gapis",
		`"genesysenantid": 1`,
		"Authorization: Basic ops:****",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("plan lacks %q", want)
		}
	}
	if l := leaks([]string{w.sb.Opts.OpsPassword, w.sb.Opts.TenantPassword}, map[string]string{"plan": r.stdout + r.stderr}); len(l) > 0 {
		t.Errorf("plan leaks: %v", l)
	}
	if n := len(w.sb.Requests()); n != 0 {
		t.Errorf("plan sent %d requests", n)
	}
}

// BenchmarkHeadlessRun measures a full second (idempotent) run and a first
// run against the in-process sandbox, real keyring and PostgreSQL included.
func BenchmarkHeadlessRun(b *testing.B) {
	w := newWorld(b)
	if r := w.run(b, "run", "--config", w.cfg, "--state-dir", w.stateDir, "--output", "json"); r.code != 0 {
		b.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if r := w.run(b, "run", "--config", w.cfg, "--state-dir", w.stateDir, "--output", "json"); r.code != 0 {
			b.Fatalf("exit %d: %s", r.code, r.stderr)
		}
	}
}

func TestNoKeyringIsAPreflightError(t *testing.T) {
	w := newWorld(t)
	// Point go-keyring at a bus with no Secret Service: run must stop before
	// any remote change, exit 2, and say how to fix it.
	r := w.runChild(t, []string{"DBUS_SESSION_BUS_ADDRESS=unix:path=" + filepath.Join(w.dir, "no-bus")},
		"run", "--config", w.cfg, "--state-dir", w.stateDir)
	if r.code != 2 {
		t.Fatalf("exit %d, want 2\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "keyring") || !strings.Contains(r.stderr, "gnome-keyring") || !strings.Contains(r.stderr, "Nothing was changed") {
		t.Errorf("stderr lacks the remedy:\n%s", r.stderr)
	}
	// One cause, told once: the checks that need it say "not checked", and
	// the closing error names the failed check without repeating its text.
	if n := strings.Count(r.stderr, "dbus-run-session"); n != 1 {
		t.Errorf("the remedy is printed %d times, want 1:\n%s", n, r.stderr)
	}
	if n := len(w.sb.Requests()); n != 0 {
		t.Errorf("%d requests sent without a keyring", n)
	}
}

func TestSecondRunOnLockedContactCenterIsRefused(t *testing.T) {
	w := newWorld(t)
	unlock, err := (steps.Store{Dir: w.stateDir}).Lock(w.cc)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	r := w.run(t, "run", "--config", w.cfg, "--state-dir", w.stateDir)
	if r.code != 2 || !strings.Contains(r.stderr, "another nexus-onboard run") {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if n := len(w.sb.Requests()); n != 0 {
		t.Errorf("%d requests sent while locked", n)
	}
}

func TestResetRemovesOnlyWhatItCreated(t *testing.T) {
	w := newWorld(t)
	if r := w.run(t, "run", "--config", w.cfg, "--state-dir", w.stateDir); r.code != 0 {
		t.Fatalf("run: exit %d\n%s", r.code, r.stderr)
	}
	r := w.run(t, "reset", "--config", w.cfg, "--state-dir", w.stateDir)
	if r.code != 2 || len(w.sb.Clients()) != 1 {
		t.Fatalf("reset without --yes on a non-terminal must change nothing: exit %d, %d clients", r.code, len(w.sb.Clients()))
	}
	r = w.run(t, "reset", "--config", w.cfg, "--state-dir", w.stateDir, "--yes")
	if r.code != 0 {
		t.Fatalf("reset: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if n := len(w.sb.Clients()); n != 0 {
		t.Errorf("%d clients after reset", n)
	}
	if rows := gapiRows(t, w); len(rows) != 0 {
		t.Errorf("%d nex_gapis rows after reset", len(rows))
	}
	for _, s := range w.sb.Settings(w.cc) {
		if s["name"] == "chat-service-uri" {
			t.Errorf("setting left: %v", s)
		}
	}
	for _, n := range []string{secrets.ClientSecret, secrets.NexusAPIKey} {
		if _, err := (secrets.Store{}).Get(context.Background(), account(w.sb, w.cc, n)); err == nil {
			t.Errorf("keyring still has %s", n)
		}
	}
	if _, err := os.Stat(filepath.Join(w.stateDir, w.cc+".json")); !os.IsNotExist(err) {
		t.Errorf("state file still there: %v", err)
	}
	if !strings.Contains(r.stdout, "no API to delete a tenant") {
		t.Errorf("reset does not list the manual tenant step:\n%s", r.stdout)
	}
	// The tenant remains (no API): a new run says so instead of failing.
	r2, got := w.runJSON(t)
	if r2.code != 0 || got["tenant"] != "already-done" || got["auth-client"] != "done" {
		t.Errorf("run after reset: exit %d %v\n%s", r2.code, got, r2.stderr)
	}
}

func TestResetLeavesWhatIsNoLongerOurs(t *testing.T) {
	w := newWorld(t)
	if r := w.run(t, "run", "--config", w.cfg, "--state-dir", w.stateDir, "--only", "chat-service-uri"); r.code != 0 {
		t.Fatalf("run: exit %d\n%s", r.code, r.stderr)
	}
	// Someone points chat-service-uri elsewhere after our run.
	other := changeSetting(t, w, "https://elsewhere.example")
	r := w.run(t, "reset", "--config", w.cfg, "--state-dir", w.stateDir, "--yes", "--only", "chat-service-uri")
	if r.code != 0 || !strings.Contains(r.stdout, "left alone") {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	found := false
	for _, s := range w.sb.Settings(w.cc) {
		if s["name"] == "chat-service-uri" && s["value"] == other {
			found = true
		}
	}
	if !found {
		t.Error("reset removed a setting value it did not set")
	}
}

// changeSetting sets chat-service-uri as another admin would, with curl-like
// calls of our own HTTP client.
func changeSetting(t *testing.T, w *world, value string) string {
	t.Helper()
	vals, _, _ := steps.Load(steps.Sources{ConfigPath: w.cfg})
	vals.Set(steps.KeyNexusURL, value, steps.FromUser)
	e, err := steps.NewEnv(vals, steps.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if err := e.Auth.CreateSetting(context.Background(), w.cc, gws.Setting{Name: "chat-service-uri", Location: "/", Value: value}); err != nil {
		t.Fatal(err)
	}
	return value
}

// TestSecretLeakScan performs a full onboarding and a failing one, in
// every output mode, and searches every byte the tool wrote — stdout,
// stderr, JSON, verbose transcripts, the Markdown report, the state dir,
// its temp dir — for every secret in plain, URL-encoded, base64 and
// JSON-escaped forms. It also scans every process's arguments while a run
// is in flight. The only allowed hit is the API key under --reveal.
func TestSecretLeakScan(t *testing.T) {
	w := newWorld(t)
	tmp := filepath.Join(w.dir, "tmp")
	os.MkdirAll(tmp, 0o700)
	env := []string{"TMPDIR=" + tmp}
	texts := map[string]string{}
	add := func(name string, r result) {
		texts[name+".stdout"] = r.stdout
		texts[name+".stderr"] = r.stderr
	}
	base := []string{"--config", w.cfg, "--state-dir", w.stateDir}

	// A failing run first: the server echoes the tenant password and the
	// client secret field in its error body, which must be masked too.
	echo := fmt.Sprintf(`{"status":{"code":500,"message":"internal error for token %s"}}`, w.sb.Opts.TenantPassword)
	w.sb.Faults.Add(sandbox.Fault{Method: "POST", Path: "/nexus/v3/provisioning/tenants", Status: 500, Body: echo, ContentType: "application/json"})
	r := w.runChild(t, env, append([]string{"run", "-v", "--report", filepath.Join(w.stateDir, "failed.md")}, base...)...)
	if r.code != 1 {
		t.Fatalf("failing run: exit %d\n%s", r.code, r.stderr)
	}
	add("failed-text-verbose", r)
	add("failed-json", w.runChild(t, env, append([]string{"run", "-o", "json"}, base...)...))
	w.sb.Faults.Clear()

	// While a run is in flight (a slow tenant answer), every process's
	// arguments are scanned: secrets come from the config file and
	// environment, never from argv of anything the tool starts.
	w.sb.Faults.Add(sandbox.Fault{Method: "POST", Path: "/nexus/v3/provisioning/tenants", Latency: 700 * time.Millisecond, Times: 1})
	cmd := exec.Command(os.Args[0], append([]string{"run", "-v", "--report", filepath.Join(w.stateDir, "ok.md")}, base...)...)
	cmd.Env = append(append(os.Environ(), "NEXUS_ONBOARD_TEST_AS_MAIN=1"), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for w.sb.Count("POST", "/nexus/v3/provisioning/tenants") < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	args := map[string]string{}
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		if data, err := os.ReadFile(p); err == nil {
			args[p] = strings.ReplaceAll(string(data), "\x00", " ")
		}
	}
	if len(args) < 2 {
		t.Fatalf("could not read process arguments (%d)", len(args))
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("full run: %v\n%s", err, errb.String())
	}
	add("ok-text-verbose", result{stdout: out.String(), stderr: errb.String()})
	add("ok-json", w.runChild(t, env, append([]string{"run", "-o", "json", "--only", "designer-env"}, base...)...))
	add("plan", w.runChild(t, env, append([]string{"plan"}, base...)...))
	add("steps", w.runChild(t, env, append([]string{"steps"}, base...)...))
	add("secrets-list", w.runChild(t, env, append([]string{"secrets", "list"}, base...)...))
	add("secrets-show", w.runChild(t, env, "secrets", "show", "nexus_api_key", "--config", w.cfg, "--state-dir", w.stateDir))

	ctx := context.Background()
	clientSecret, _ := secrets.Store{}.Get(ctx, account(w.sb, w.cc, secrets.ClientSecret))
	apiKey, _ := secrets.Store{}.Get(ctx, account(w.sb, w.cc, secrets.NexusAPIKey))
	dbPass := ""
	if u, err := url.Parse(w.sb.DBURL); err == nil {
		dbPass, _ = u.User.Password()
	}
	all := []string{clientSecret, apiKey, w.sb.Opts.OpsPassword, w.sb.Opts.TenantPassword, w.sb.Opts.UCSAPIKey, dbPass}
	tokens := w.sb.IssuedTokens()
	if len(tokens) < 4 || clientSecret == "" || apiKey == "" {
		t.Fatalf("scan needs every secret: %d tokens, secret %v, key %v", len(tokens), clientSecret != "", apiKey != "")
	}
	all = append(all, tokens...)
	for name, a := range args {
		texts["argv "+name] = a
	}
	if l := leaks(all, texts, w.stateDir, tmp); len(l) > 0 {
		t.Errorf("%d leak(s):\n%s", len(l), strings.Join(l, "\n"))
	}
	if _, err := os.Stat(filepath.Join(w.stateDir, "ok.md")); err != nil {
		t.Errorf("report not written: %v", err)
	}
	t.Logf("scanned %d texts and files for %d secrets in 4 forms each", len(texts), len(all))

	// Positive control: the user explicitly asks to reveal the key.
	rev := w.runChild(t, env, append([]string{"run", "--only", "designer-env", "--reveal"}, base...)...)
	if len(leaks([]string{apiKey}, map[string]string{"reveal": rev.stdout})) == 0 {
		t.Errorf("--reveal does not show the API key (or the scanner is blind):\n%s", rev.stdout)
	}
	if strings.Contains(rev.stderr, apiKey) {
		t.Error("--reveal printed the key to stderr too")
	}
}

func TestPlanNeedsNoSecrets(t *testing.T) {
	w := newWorld(t)
	data, _ := os.ReadFile(w.cfg)
	var keep []string
	for _, l := range strings.Split(string(data), "\n") {
		if !strings.HasPrefix(l, "gws_admin_password:") && !strings.HasPrefix(l, "tenant_password:") && !strings.HasPrefix(l, "ucs_api_key:") {
			keep = append(keep, l)
		}
	}
	cfg := filepath.Join(w.dir, "nosecrets.yaml")
	os.WriteFile(cfg, []byte(strings.Join(keep, "\n")), 0o600)
	r := w.run(t, "plan", "--config", cfg, "--state-dir", w.stateDir)
	if r.code != 0 || !strings.Contains(r.stdout, "POST "+w.sb.AuthURL+"/auth/v3/ops/clients") {
		t.Fatalf("plan without secrets: exit %d\n%s", r.code, r.stderr)
	}
	if r := w.run(t, "run", "--config", cfg, "--state-dir", w.stateDir); r.code != 2 || !strings.Contains(r.stderr, "gws_admin_password: required") {
		t.Fatalf("run without secrets: exit %d\n%s", r.code, r.stderr)
	}
}

// Without a config, the last-used contact center and its saved inputs are
// used, but never for a run aimed at another environment.
func TestLastRunFillsInOnlyForTheSameEnvironment(t *testing.T) {
	w := newWorld(t)
	if r := w.run(t, "run", "--config", w.cfg, "--state-dir", w.stateDir, "--only", "chat-service-uri"); r.code != 0 {
		t.Fatalf("run: exit %d\n%s", r.code, r.stderr)
	}
	r := w.run(t, "plan", "--state-dir", w.stateDir, "--only", "chat-service-uri")
	if r.code != 0 || !strings.Contains(r.stdout, w.sb.AuthURL+"/environment/v3/contact-centers/"+w.cc+"/settings") {
		t.Errorf("plan from the last run's inputs: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = w.run(t, "plan", "--state-dir", w.stateDir, "--only", "chat-service-uri", "--auth-url", "https://other-auth.example")
	if r.code != 2 || !strings.Contains(r.stderr, "nexus_url: required") || strings.Contains(r.stdout, w.cc) {
		t.Errorf("another environment got the last run's inputs: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
