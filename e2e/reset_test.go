package e2e

// `reset` removes what this tool created, and only that.

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nexus-onboard/nexus-onboard/clients/gws"
	"github.com/nexus-onboard/nexus-onboard/clients/secrets"
	"github.com/nexus-onboard/nexus-onboard/steps"
)

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

// Reset acts only on what the state vouches for: with no state for the
// contact center it refuses; a state that did not store the keys leaves
// them alone.
func TestResetNeverDeletesWhatTheStateDoesNotVouchFor(t *testing.T) {
	w := newWorld(t)
	if r, _ := w.runJSON(t); r.code != 0 {
		t.Fatalf("run exit %d\n%s", r.code, r.stderr)
	}
	ctx := context.Background()
	keys := map[string]string{}
	for _, n := range []string{secrets.ClientSecret, secrets.NexusAPIKey} {
		v, err := secrets.Store{}.Get(ctx, account(w.sb, w.cc, n))
		if err != nil {
			t.Fatal(err)
		}
		keys[n] = v
	}
	empty := filepath.Join(w.dir, "mistyped-state")
	r := w.run(t, "reset", "--config", w.cfg, "--state-dir", empty, "--yes")
	if r.code != 2 || !strings.Contains(r.stderr, "no state for contact center") {
		t.Errorf("reset without a state: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// A second state dir whose run found everything done: it created nothing
	// and stored no key, so its reset deletes neither.
	other := filepath.Join(w.dir, "other-state")
	if r := w.run(t, "run", "--config", w.cfg, "--state-dir", other); r.code != 0 {
		t.Fatalf("run in another state dir: exit %d\n%s", r.code, r.stderr)
	}
	if r := w.run(t, "reset", "--config", w.cfg, "--state-dir", other, "--yes"); r.code != 0 {
		t.Fatalf("reset of the other state: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for n, want := range keys {
		if got, err := (secrets.Store{}).Get(ctx, account(w.sb, w.cc, n)); err != nil || got != want {
			t.Errorf("%s was deleted or changed by a reset that never stored it (%v)", n, err)
		}
	}
	if n := len(w.sb.Clients()); n != 1 {
		t.Errorf("%d clients: a reset deleted a client it did not create", n)
	}
}
