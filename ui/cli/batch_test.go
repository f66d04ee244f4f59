package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/nexus-onboard/nexus-onboard/clients/gws"
	"github.com/nexus-onboard/nexus-onboard/clients/httpx"
	"github.com/nexus-onboard/nexus-onboard/clients/sandbox"
	"github.com/nexus-onboard/nexus-onboard/clients/secrets"
	"github.com/nexus-onboard/nexus-onboard/steps"
	"github.com/nexus-onboard/nexus-onboard/ui/app"
)

// batchWorld is a sandbox of n contact centers with a real PostgreSQL and
// the manifest it writes (secrets as files); the tool's secrets live in an
// in-memory keyring.
type batchWorld struct {
	sb       *sandbox.Sandbox
	kr       steps.Keyring
	stateDir string
	manifest string
}

func newBatchWorld(t testing.TB, n int, kr steps.Keyring) *batchWorld {
	t.Helper()
	dir := t.TempDir()
	sb, err := sandbox.Start(context.Background(), sandbox.Options{WithDB: true, Dir: dir, RandomIdentity: true, ContactCenters: sandbox.RandomContactCenters(n)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	if sb.DBURL == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("PostgreSQL required in CI: %s", sb.DBNote)
		}
		t.Skip(sb.DBNote)
	}
	w := &batchWorld{sb: sb, kr: kr, stateDir: filepath.Join(dir, "state"), manifest: filepath.Join(dir, sandbox.ManifestFileName)}
	if _, err := sb.WriteManifest(w.manifest); err != nil {
		t.Fatal(err)
	}
	return w
}

// cli runs the tool with the world's state dir, environ as its environment.
func (w *batchWorld) cli(t testing.TB, environ []string, args ...string) (int, string, string) {
	t.Helper()
	a, stdout, stderr := testApp(w.kr, environ...)
	args = append(args, "--state-dir", w.stateDir)
	code := a.Main(args)
	w.noSecrets(t, stdout.String()+stderr.String())
	return code, stdout.String(), stderr.String()
}

// secrets are every secret the sandbox knows or issued.
func (w *batchWorld) secrets() []string {
	o := w.sb.Opts
	out := []string{o.OpsPassword, o.TenantPassword, o.UCSAPIKey}
	if u := strings.SplitN(strings.TrimPrefix(w.sb.DBURL, "postgres://"), "@", 2)[0]; strings.Contains(u, ":") {
		out = append(out, strings.SplitN(u, ":", 2)[1])
	}
	for _, c := range w.sb.Clients() {
		out = append(out, fmt.Sprint(c["client_secret"]))
	}
	for _, tn := range w.sb.Tenants() {
		out = append(out, fmt.Sprint(tn["xapikey"]))
	}
	return append(out, w.sb.IssuedTokens()...)
}

func (w *batchWorld) noSecrets(t testing.TB, text string) {
	t.Helper()
	for _, s := range w.secrets() {
		if len(s) >= 6 && strings.Contains(text, s) {
			t.Errorf("a secret appears in the output")
		}
	}
}

// assertOnce checks that the environment has exactly one Auth client and
// one nex_gapis row, and each contact center one chat-service-uri setting
// and one tenant.
func (w *batchWorld) assertOnce(t testing.TB) {
	t.Helper()
	if n := len(w.sb.Clients()); n != 1 {
		t.Errorf("%d Auth clients, want 1", n)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, w.sb.DBURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var rows int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM nex_gapis").Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != 1 {
		t.Errorf("%d nex_gapis rows, want 1", rows)
	}
	tenants := map[string]int{}
	for _, tn := range w.sb.Tenants() {
		tenants[fmt.Sprint(tn["id"])]++
	}
	for _, cc := range w.sb.Opts.ContactCenters {
		n := 0
		for _, s := range w.sb.Settings(cc) {
			if s["name"] == "chat-service-uri" {
				n++
			}
		}
		if n != 1 || tenants[cc] != 1 {
			t.Errorf("contact center %s: %d chat-service-uri settings and %d tenants, want 1 each", cc, n, tenants[cc])
		}
	}
	if len(tenants) != len(w.sb.Opts.ContactCenters) {
		t.Errorf("%d tenants for %d contact centers", len(tenants), len(w.sb.Opts.ContactCenters))
	}
}

type batchDoc struct {
	Tenants []struct {
		CCID       string     `json:"cc_id"`
		TenantName string     `json:"tenant_name"`
		Status     string     `json:"status"`
		Steps      []jsonStep `json:"steps"`
	} `json:"tenants"`
}

func parseBatch(t testing.TB, out string) batchDoc {
	t.Helper()
	var doc batchDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("batch --output json: %v\n%s", err, out)
	}
	return doc
}

// A batch of tenants of one environment onboards with 4 at once: every
// tenant ok with every step, exactly one Auth client and nex_gapis row for
// the environment, one setting and one tenant per contact center, and no
// secret in any output. A second run changes nothing.
func TestBatchOnboardsEveryTenantOnce(t *testing.T) {
	w := newBatchWorld(t, 8, secrets.NewMemory())
	code, out, errOut := w.cli(t, nil, "batch", w.manifest, "--parallel", "4", "--output", "json")
	if code != app.ExitOK {
		t.Fatalf("batch: exit %d\n%s\n%s", code, out, errOut)
	}
	doc := parseBatch(t, out)
	if len(doc.Tenants) != 8 {
		t.Fatalf("%d tenants in the JSON", len(doc.Tenants))
	}
	for i, tn := range doc.Tenants {
		if tn.Status != steps.TenantOK || tn.CCID != w.sb.Opts.ContactCenters[i] || len(tn.Steps) != len(steps.All) {
			t.Errorf("tenant %d: %+v", i, tn)
		}
	}
	if n := w.sb.Count("POST", "/auth/v3/ops/clients"); n != 1 {
		t.Errorf("%d client creations sent, want 1", n)
	}
	// GWS answers with every contact center: the batch reads the list once
	// for all its tenants, not once each.
	if n := w.sb.Count("GET", gws.ContactCentersPath); n != 1 {
		t.Errorf("%d reads of the contact centers for 8 tenants of one environment, want 1", n)
	}
	w.assertOnce(t)
	// Text output: a line per tenant and the summary; nothing redone.
	code, out, errOut = w.cli(t, nil, "batch", w.manifest)
	if code != app.ExitOK || strings.Count(out, "\tok\t") != 8 || !strings.Contains(out, "batch: 8 tenants in ") || !strings.Contains(out, ": 8 ok, 0 failed, 0 interrupted") {
		t.Fatalf("second batch: exit %d\n%s\n%s", code, out, errOut)
	}
	w.assertOnce(t)
}

// A batch interrupted after some tenants finished exits 130 with each
// tenant's state saved; the re-run finishes it with exactly one client,
// row, setting and tenant each.
// The case: 100 tenants, interrupted half-way (after 50 ended),
// resume and finish with exactly one client, row, setting and tenant each.
func TestBatchInterruptedResumes(t *testing.T) {
	const tenants, stopAfter = 100, 50
	w := newBatchWorld(t, tenants, secrets.NewMemory())
	a, stdout, stderr := testApp(w.kr)
	a.setDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var done atomic.Int32
	opts := &batchOptions{app: a, parallel: 4, index: -1, output: "text",
		onDone: func(steps.BatchResult) {
			if done.Add(1) == stopAfter {
				cancel()
			}
		}}
	opts.stateDir, opts.requestTimeout, opts.stepTimeout = w.stateDir, httpx.DefaultTimeout, steps.DefaultStepTimeout
	err := batchRun(ctx, opts, w.manifest)
	if code := exitCodeOf(err); code != app.ExitInterrupted {
		t.Fatalf("interrupted batch: exit %d (%v)\n%s\n%s", code, err, stdout, stderr)
	}
	if n := strings.Count(stdout.String(), "\tinterrupted\t"); n == 0 || strings.Count(stdout.String(), "\tok\t") < stopAfter-4 {
		t.Fatalf("want some tenants ok and some interrupted:\n%s", stdout)
	}
	w.noSecrets(t, stdout.String()+stderr.String())
	code, out, errOut := w.cli(t, nil, "batch", w.manifest, "--output", "json")
	if code != app.ExitOK {
		t.Fatalf("re-run: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, tn := range parseBatch(t, out).Tenants {
		if tn.Status != steps.TenantOK {
			t.Errorf("re-run: %+v", tn)
		}
	}
	w.assertOnce(t)
}

// --index runs only that tenant (a Kubernetes Indexed Job's pod).
func TestBatchIndexRunsOneTenant(t *testing.T) {
	w := newBatchWorld(t, 3, secrets.NewMemory())
	code, out, errOut := w.cli(t, nil, "batch", w.manifest, "--index", "2", "--output", "json")
	if code != app.ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	doc := parseBatch(t, out)
	cc := w.sb.Opts.ContactCenters[2]
	if len(doc.Tenants) != 1 || doc.Tenants[0].CCID != cc {
		t.Fatalf("want tenant 2 only: %+v", doc)
	}
	if tns := w.sb.Tenants(); len(tns) != 1 || tns[0]["id"] != cc {
		t.Errorf("provisioned: %v", tns)
	}
	if code, _, errOut := w.cli(t, nil, "batch", w.manifest, "--index", "3"); code != app.ExitUsage || !strings.Contains(errOut, "--index 3") {
		t.Errorf("--index out of range: exit %d\n%s", code, errOut)
	}
}

// Every problem of a manifest is listed with its tenant index, exit 2,
// and nothing is sent; a clear secret in a manifest others can read is
// refused naming the tenant and key; _env and _file work in a manifest.
func TestBatchManifestProblems(t *testing.T) {
	w := newBatchWorld(t, 2, secrets.NewMemory())
	dir := t.TempDir()
	cc := w.sb.Opts.ContactCenters
	write := func(name, text string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	defaults := strings.Replace(mustRead(t, w.manifest), "tenants:", "tenants_unused:", 1)
	defaults = defaults[:strings.Index(defaults, "tenants_unused:")]
	bad := write("bad.yaml", defaults+"tenants:\n"+
		"  - cc_id: "+cc[0]+"\n    tenant_name: a\n"+
		"  - tenant_name: b\n"+
		"  - cc_id: not-a-uuid\n    tenant_name: c\n    tenant_nmae: x\n"+
		"  - cc_id: "+cc[0]+"\n    tenant_name: d\n    tenant_password_env: NOT_SET_ANYWHERE\n", 0o600)
	code, _, errOut := w.cli(t, nil, "batch", bad)
	if code != app.ExitUsage {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	for _, want := range []string{"tenants[1].cc_id", "tenants[2].cc_id", "tenants[2].tenant_nmae", "did you mean tenant_name", "tenants[3].cc_id: the contact center of tenants[0]", "tenants[3].tenant_password_env", "NOT_SET_ANYWHERE", "Nothing was sent"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if n := len(w.sb.Requests()); n != 0 {
		t.Errorf("%d requests sent for an invalid manifest", n)
	}
	// A clear secret in a group-readable manifest is refused.
	open := write("open.yaml", defaults+"tenants:\n  - cc_id: "+cc[0]+"\n    tenant_name: a\n  - cc_id: "+cc[1]+"\n    tenant_name: b\n    tenant_password: "+strconv.Quote(w.sb.Opts.TenantPassword)+"\n", 0o644)
	code, _, errOut = w.cli(t, nil, "batch", open)
	if code != app.ExitUsage || !strings.Contains(errOut, "tenants[1].tenant_password: a secret in clear in a manifest readable by group or others") {
		t.Errorf("clear secret in a 0644 manifest: exit %d\n%s", code, errOut)
	}
	// _env in the manifest: the ops password from a variable.
	envForm := write("env.yaml", strings.Replace(mustRead(t, w.manifest), "gws_admin_password_file:", "gws_admin_password_env: OPS_PW\n    unused_file:", 1), 0o600)
	envForm = write("env.yaml", strings.Replace(mustRead(t, envForm), "    unused_file:", "    #", 1), 0o600)
	code, out, errOut := w.cli(t, []string{"OPS_PW=" + w.sb.Opts.OpsPassword}, "batch", envForm)
	if code != app.ExitOK {
		t.Errorf("manifest with _env: exit %d\n%s\n%s", code, out, errOut)
	}
	if n := len(w.sb.Requests()); n == 0 {
		t.Errorf("nothing sent")
	}
}

// A config file for run may give secrets as <key>_env and <key>_file.
func TestRunConfigSecretReferences(t *testing.T) {
	w := newBatchWorld(t, 1, secrets.NewMemory())
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "tenant-password")
	if err := os.WriteFile(pwFile, []byte(w.sb.Opts.TenantPassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	vals, problems := steps.ParseConfig([]byte(mustRead(t, w.sb.ConfigFile)))
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	delete(vals, steps.KeyAdminPassword)
	delete(vals, steps.KeyTenantPass)
	vals[steps.KeyAdminPassword+steps.RefEnv] = "OPS_PW"
	vals[steps.KeyTenantPass+steps.RefFile] = pwFile
	var cfgText strings.Builder
	for k, v := range vals {
		cfgText.WriteString(k + ": " + strconv.Quote(v) + "\n")
	}
	cfg := cfgText.String()
	path := filepath.Join(dir, "cfg.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := w.cli(t, []string{"OPS_PW=" + w.sb.Opts.OpsPassword}, "run", "--config", path)
	if code != app.ExitOK {
		t.Fatalf("run: exit %d\n%s\n%s", code, out, errOut)
	}
	// Still a warning for the clear ucs_api_key and db_url of a 0644 file, none for the references.
	if strings.Contains(errOut, "(gws_admin_password)") || strings.Contains(errOut, "(tenant_password)") {
		t.Errorf("a reference counted as a clear secret:\n%s", errOut)
	}
	code, _, errOut = w.cli(t, nil, "run", "--config", path)
	if code != app.ExitUsage || !strings.Contains(errOut, "gws_admin_password_env") || !strings.Contains(errOut, "OPS_PW") {
		t.Errorf("missing variable: exit %d\n%s", code, errOut)
	}
}

func mustRead(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The JSON contract's status is ok or failed: an interrupted tenant is
// failed there (the text line and the exit code say interrupted).
func TestBatchJSONStatusIsOkOrFailed(t *testing.T) {
	var b strings.Builder
	results := []steps.BatchResult{
		{Index: 0, CCID: "a", TenantName: "ta"},
		{Index: 1, CCID: "b", TenantName: "tb", Err: &steps.StepFailedError{Step: steps.IDTenant, Err: "x"}},
		{Index: 2, CCID: "c", TenantName: "tc", Err: steps.ErrInterrupted},
	}
	if err := writeBatchJSON(&b, results); err != nil {
		t.Fatal(err)
	}
	doc := parseBatch(t, b.String())
	var got []string
	for _, tn := range doc.Tenants {
		got = append(got, tn.Status)
	}
	if strings.Join(got, ",") != "ok,failed,failed" {
		t.Errorf("statuses %v, want ok,failed,failed", got)
	}
}
