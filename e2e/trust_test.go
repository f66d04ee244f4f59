package e2e

// The "done means done" cases, end to end through the command line against
// the sandbox, real PostgreSQL and the real keyring.

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nexus-onboard/nexus-onboard/clients/sandbox"
	"github.com/nexus-onboard/nexus-onboard/clients/secrets"
	"github.com/nexus-onboard/nexus-onboard/testkit"
)

// Case 5: no request the tool sends carries a secret in its URL, as the
// server saw them, over a full run, a second run and a rotation.
func TestNoSecretInAnyRequestURL(t *testing.T) {
	w := newWorld(t)
	if r, _ := w.runJSON(t); r.code != 0 {
		t.Fatalf("first run exit %d\n%s", r.code, r.stderr)
	}
	if r, _ := w.runJSON(t); r.code != 0 {
		t.Fatalf("second run exit %d\n%s", r.code, r.stderr)
	}
	if r, _ := w.runJSON(t, "--only", "auth-client,register-gws", "--rotate-secret"); r.code != 0 {
		t.Fatalf("rotation exit %d\n%s", r.code, r.stderr)
	}
	if bad := w.sb.RequestsWithSecretInURL(); len(bad) > 0 {
		t.Errorf("%d request(s) carried a secret in the URL: %v", len(bad), bad)
	}
	secret, _ := secrets.Store{}.Get(context.Background(), account(w.sb, w.cc, secrets.ClientSecret))
	for _, r := range w.sb.Requests() {
		if secret != "" && strings.Contains(r.URI, secret) {
			t.Errorf("%s %s carries the client secret", r.Method, r.Path)
		}
	}
}

// Case 4: an upper-case contact center id is one identity with the
// lower-case one: one state file, one keyring account, one setting.
func TestUpperCaseContactCenterIsOneIdentity(t *testing.T) {
	w := newWorld(t)
	upper := strings.ToUpper(w.cc)
	cfg := filepath.Join(w.dir, "upper.yaml")
	data, _ := os.ReadFile(w.cfg)
	os.WriteFile(cfg, []byte(strings.ReplaceAll(string(data), w.cc, upper)), 0o600)
	r := w.run(t, "run", "--config", cfg, "--state-dir", w.stateDir, "--output", "json")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	// The lower-case config sees all of it done.
	r2, got := w.runJSON(t)
	if r2.code != 0 {
		t.Fatalf("exit %d\n%s", r2.code, r2.stderr)
	}
	for _, id := range []string{"auth-client", "chat-service-uri", "tenant"} {
		if got[id] != "already-done" {
			t.Errorf("%s: %s after the upper-case run, want already-done", id, got[id])
		}
	}
	files, _ := filepath.Glob(filepath.Join(w.stateDir, "*.json"))
	if len(files) != 1 || filepath.Base(files[0]) != w.cc+".json" {
		t.Errorf("state files %v, want one named %s.json", files, w.cc)
	}
	if _, err := (secrets.Store{}).Get(context.Background(), upper+"/"+secrets.NexusAPIKey); err == nil {
		t.Errorf("an upper-case keyring entry was written")
	}
	if n := len(w.sb.Settings(w.cc)); n != 1 {
		t.Errorf("%d settings", n)
	}
}

// Case 2: a remedy the tool prints runs as printed.
func TestPrintedRotateCommandRunsAsPrinted(t *testing.T) {
	w := newWorld(t)
	if r, _ := w.runJSON(t); r.code != 0 {
		t.Fatalf("first run exit %d\n%s", r.code, r.stderr)
	}
	// The secret changes at Auth behind the tool's back.
	ctx := context.Background()
	acct := account(w.sb, w.cc, secrets.ClientSecret)
	if err := (secrets.Store{}).Set(ctx, acct, "changed-elsewhere-0123456789abcdefghijklmno"); err != nil {
		t.Fatal(err)
	}
	r := w.run(t, "run", "--config", w.cfg, "--state-dir", w.stateDir)
	if r.code == 0 {
		t.Fatalf("a refused secret passed:\n%s", r.stderr)
	}
	i := strings.Index(r.stderr, "`nexus-onboard run ")
	if i < 0 {
		t.Fatalf("no command to run:\n%s", r.stderr)
	}
	cmdline := r.stderr[i+1:]
	cmdline = cmdline[:strings.Index(cmdline, "`")]
	args := strings.Fields(strings.TrimPrefix(cmdline, "nexus-onboard "))
	if r := w.run(t, args...); r.code != 0 {
		t.Fatalf("the printed command %q: exit %d\n%s", cmdline, r.code, r.stderr)
	}
	if r, got := w.runJSON(t); r.code != 0 || got["verify-client"] != "done" {
		t.Fatalf("after the printed rotation: exit %d %v\n%s", r.code, got, r.stderr)
	}
}

// The preflight meets a fault before any change: exit 2, nothing created.
func TestPreflightFaultsStopBeforeAnyChange(t *testing.T) {
	for _, f := range []sandbox.Fault{
		{Method: "GET", Path: "/environment/v3/contact-centers", Status: 500},
		{Method: "GET", Path: "/environment/v3/contact-centers", Status: 401},
	} {
		t.Run(f.Method+" "+f.Path, func(t *testing.T) {
			w := newWorld(t)
			w.sb.Faults.Add(f)
			defer w.sb.Faults.Clear()
			r := w.run(t, "run", "--config", w.cfg, "--state-dir", w.stateDir)
			if r.code != 2 || !strings.Contains(r.stderr, "preflight") || !strings.Contains(r.stderr, "Nothing was changed") {
				t.Fatalf("exit %d, want 2 naming the preflight\n%s", r.code, r.stderr)
			}
			for _, q := range w.sb.Requests() {
				if q.Method != "GET" && !strings.HasSuffix(q.Path, "/oauth/token") {
					t.Errorf("a write went out: %s %s", q.Method, q.Path)
				}
			}
			if n := len(w.sb.Clients()); n != 0 {
				t.Errorf("%d clients", n)
			}
		})
	}
}

// Case 8 through the command line: the second contact center of an
// environment reuses the client and the row; reset of one leaves them to
// the other.
func TestSecondContactCenterSharesTheEnvironment(t *testing.T) {
	a, b := testkit.UUID(), testkit.UUID()
	dir := t.TempDir()
	sb, err := sandbox.Start(context.Background(), sandbox.Options{ContactCenters: []string{a, b}, WithDB: true, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	if sb.DBURL == "" {
		testkit.Need(t, "PostgreSQL", os.ErrNotExist)
	}
	t.Cleanup(func() {
		for _, cc := range []string{a, b} {
			secrets.Store{}.Delete(context.Background(), account(sb, cc, secrets.NexusAPIKey))
		}
		secrets.Store{}.Delete(context.Background(), account(sb, a, secrets.ClientSecret))
	})
	wa := &world{sb: sb, dir: dir, cfg: filepath.Join(dir, "a.yaml"), stateDir: filepath.Join(dir, "state"), cc: a}
	sb.WriteConfig(wa.cfg)
	wb := &world{sb: sb, dir: dir, cfg: filepath.Join(dir, "b.yaml"), stateDir: wa.stateDir, cc: b}
	data, _ := os.ReadFile(wa.cfg)
	os.WriteFile(wb.cfg, []byte(strings.ReplaceAll(string(data), a, b)), 0o600)

	if r, _ := wa.runJSON(t); r.code != 0 {
		t.Fatalf("first contact center: exit %d\n%s", r.code, r.stderr)
	}
	r, got := wb.runJSON(t)
	if r.code != 0 || got["auth-client"] != "already-done" || got["register-gws"] != "already-done" || got["tenant"] != "done" {
		t.Fatalf("second contact center: exit %d %v\n%s", r.code, got, r.stderr)
	}
	if n := sb.Count("PUT", "/auth/v3/ops/clients/"+sandbox.DefaultClientID); n != 0 {
		t.Errorf("%d rotations", n)
	}
	if rows := gapiRows(t, wa); len(rows) != 1 {
		t.Errorf("%d nex_gapis rows, want the environment's one", len(rows))
	}
	// Resetting the first leaves the environment's client to the second.
	if r := wa.run(t, "reset", "--config", wa.cfg, "--state-dir", wa.stateDir, "--yes"); r.code != 0 || !strings.Contains(r.stdout, b) {
		t.Fatalf("reset of the first: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if n := len(sb.Clients()); n != 1 {
		t.Errorf("%d clients after resetting the first contact center, want the shared one kept", n)
	}
	if r, got := wb.runJSON(t); r.code != 0 || got["verify-client"] != "done" {
		t.Errorf("the second contact center after the first's reset: exit %d %v\n%s", r.code, got, r.stderr)
	}
}
