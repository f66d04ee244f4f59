package cli

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nexus-onboard/nexus-onboard/clients/gws"
	"github.com/nexus-onboard/nexus-onboard/clients/httpx"
	"github.com/nexus-onboard/nexus-onboard/clients/nexusdb"
	"github.com/nexus-onboard/nexus-onboard/clients/sandbox"
	"github.com/nexus-onboard/nexus-onboard/clients/secrets"
	"github.com/nexus-onboard/nexus-onboard/steps"
	"github.com/nexus-onboard/nexus-onboard/testkit"
	"github.com/nexus-onboard/nexus-onboard/ui/app"
)

// doctorWorld is a sandbox with a real PostgreSQL, onboarded by run; the
// tool's secrets live in an in-memory keyring.
type doctorWorld struct {
	sb       *sandbox.Sandbox
	kr       *secrets.Memory
	stateDir string
}

func newDoctorWorld(t *testing.T) *doctorWorld {
	t.Helper()
	dir := t.TempDir()
	sb, err := sandbox.Start(context.Background(), sandbox.Options{WithDB: true, Dir: dir, RandomIdentity: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	if sb.DBURL == "" {
		testkit.Missing(t, "PostgreSQL: %s", sb.DBNote)
	}
	w := &doctorWorld{sb: sb, kr: secrets.NewMemory(), stateDir: filepath.Join(dir, "state")}
	if code, out, errOut := w.cli(t, "run"); code != app.ExitOK {
		t.Fatalf("run: exit %d\n%s\n%s", code, out, errOut)
	}
	return w
}

// cli runs the tool with the sandbox's config and state dir.
func (w *doctorWorld) cli(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	a, stdout, stderr := testApp(w.kr)
	args = append(args, "--config", w.sb.ConfigFile, "--state-dir", w.stateDir)
	return a.Main(args), stdout.String(), stderr.String()
}

// runFix runs a printed fix command as printed (its words after the
// program name).
func (w *doctorWorld) runFix(t *testing.T, fix string) {
	t.Helper()
	words := strings.Fields(fix)
	if len(words) < 2 || words[0] != "nexus-onboard" {
		t.Fatalf("fix %q is not a nexus-onboard command", fix)
	}
	a, stdout, stderr := testApp(w.kr)
	if code := a.Main(words[1:]); code != app.ExitOK {
		t.Fatalf("the printed fix %q: exit %d\n%s\n%s", fix, code, stdout, stderr)
	}
}

func (w *doctorWorld) doctorJSON(t *testing.T) (int, map[string]steps.Diagnosis) {
	t.Helper()
	code, out, errOut := w.cli(t, "doctor", "--output", "json")
	var doc struct {
		Checks []steps.Diagnosis `json:"checks"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("doctor --output json: %v\n%s\n%s", err, out, errOut)
	}
	byID := map[string]steps.Diagnosis{}
	for _, d := range doc.Checks {
		byID[d.ID] = d
	}
	if len(doc.Checks) != len(steps.All) {
		t.Errorf("%d checks for %d steps", len(doc.Checks), len(steps.All))
	}
	for _, v := range []string{w.sb.Opts.OpsPassword, w.sb.Opts.TenantPassword} {
		if v != "" && (strings.Contains(out, v) || strings.Contains(errOut, v)) {
			t.Errorf("doctor printed a secret")
		}
	}
	return code, byID
}

// A drifted setting, a deleted nex_gapis row and a changed client secret
// are each found (exit 3), and the printed fix repairs them: doctor is
// then clean again (exit 0). Doctor itself never writes.
func TestDoctorFindsDriftAndItsFixRepairsIt(t *testing.T) {
	w := newDoctorWorld(t)
	if code, ds := w.doctorJSON(t); code != app.ExitOK {
		t.Fatalf("doctor after a clean run: exit %d: %+v", code, ds)
	}
	ctx := context.Background()
	vals, _, problems := steps.Load(steps.Sources{ConfigPath: w.sb.ConfigFile})
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	hc, err := httpx.New(httpx.Options{CAPEM: w.sb.CAPEM})
	if err != nil {
		t.Fatal(err)
	}
	auth := gws.New(hc, vals.Get(steps.KeyAuthURL), vals.Get(steps.KeyAdminUser), vals.Get(steps.KeyAdminPassword))
	db, err := nexusdb.Connect(ctx, w.sb.DBURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	cases := []struct {
		name, step string
		drift      func(t *testing.T)
	}{
		{"drifted setting", steps.IDChatServiceURI, func(t *testing.T) {
			if err := auth.CreateSetting(ctx, w.sb.CCID, gws.Setting{Name: "chat-service-uri", Location: "/", Value: "https://elsewhere.example.com"}); err != nil {
				t.Fatal(err)
			}
		}},
		{"deleted row", steps.IDRegisterGWS, func(t *testing.T) {
			if n, err := db.DeleteGapis(ctx, vals.Get(steps.KeyGWSURL), vals.Get(steps.KeyClientID)); err != nil || n != 1 {
				t.Fatalf("delete the row: %d %v", n, err)
			}
		}},
		{"changed client secret", steps.IDAuthClient, func(t *testing.T) {
			c := gws.NexusClient(vals.Get(steps.KeyClientID), "a-secret-someone-set-in-auth-0123456789", vals.Get(steps.KeyNexusURL))
			if err := auth.UpdateClient(ctx, c); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.drift(t)
			writes := countWrites(w.sb)
			code, ds := w.doctorJSON(t)
			if n := countWrites(w.sb); n != writes {
				t.Errorf("doctor sent %d writes", n-writes)
			}
			d := ds[c.step]
			if code != app.ExitDrift || d.Status != steps.HealthDrift || d.Fix == "" {
				t.Fatalf("exit %d, %s: %+v; want exit 3 and drift with a fix", code, c.step, d)
			}
			// The text face prints the same fix.
			_, text, _ := w.cli(t, "doctor")
			if !strings.Contains(text, "fix: "+d.Fix) {
				t.Errorf("text output lacks the fix %q:\n%s", d.Fix, text)
			}
			w.runFix(t, d.Fix)
			if code, ds := w.doctorJSON(t); code != app.ExitOK {
				t.Fatalf("after the fix: exit %d: %+v", code, ds[c.step])
			}
		})
	}
}

// countWrites counts the requests that change something at the services
// (anything but a GET or a token request).
func countWrites(sb *sandbox.Sandbox) int {
	n := 0
	for _, r := range sb.Requests() {
		if r.Method != "GET" && r.Path != "/auth/v3/oauth/token" {
			n++
		}
	}
	return n
}

// Doctor checks what a run onboarded: without a state it is an input error.
func TestDoctorWithoutAStateIsAUsageError(t *testing.T) {
	dir := t.TempDir()
	sb, err := sandbox.Start(context.Background(), sandbox.Options{Dir: dir, RandomIdentity: true})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	a, stdout, stderr := testApp(secrets.NewMemory())
	code := a.Main([]string{"doctor", "--config", sb.ConfigFile, "--state-dir", filepath.Join(dir, "none")})
	if code != app.ExitUsage || !strings.Contains(stderr.String(), "no state for contact center") {
		t.Errorf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if n := len(sb.Requests()); n != 0 {
		t.Errorf("%d requests sent without a state", n)
	}
}
