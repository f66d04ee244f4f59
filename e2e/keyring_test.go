package e2e

// The OS keyring: without one, run stops before any change; `secrets`
// lists, shows and deletes the accounts the tool uses.

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nexus-onboard/nexus-onboard/clients/secrets"
)

func TestNoKeyringIsAPreflightError(t *testing.T) {
	w := newWorld(t)
	// Point the keyring at a bus with no Secret Service: run must stop
	// before any remote change, exit 2, and say how to fix it.
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
	// The read-only checks run while the keyring is proven (their outcome
	// is withheld); nothing that changes anything is sent.
	for _, rq := range w.sb.Requests() {
		if rq.Method != http.MethodGet && rq.Method != http.MethodHead {
			t.Errorf("%s %s sent without a keyring", rq.Method, rq.Path)
		}
	}
}

// `secrets list` shows the environment's client secret account and the
// contact center's key; `secrets delete` takes an account as list prints it.
func TestSecretsListAndDeleteUseTheAccounts(t *testing.T) {
	w := newWorld(t)
	if r, _ := w.runJSON(t); r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	client, key := account(w.sb, w.cc, secrets.ClientSecret), account(w.sb, w.cc, secrets.NexusAPIKey)
	r := w.run(t, "secrets", "list", "--config", w.cfg, "--state-dir", w.stateDir)
	for _, acct := range []string{client, key} {
		if !strings.Contains(r.stdout, acct) {
			t.Errorf("secrets list lacks %s:\n%s", acct, r.stdout)
		}
	}
	if strings.Contains(r.stdout, " no") {
		t.Errorf("secrets list says an entry is missing:\n%s", r.stdout)
	}
	if r := w.run(t, "secrets", "show", "client_secret", "--config", w.cfg, "--state-dir", w.stateDir); r.code != 0 || !strings.Contains(r.stdout, client) {
		t.Errorf("secrets show client_secret: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := w.run(t, "secrets", "delete", key, "--config", w.cfg, "--state-dir", w.stateDir, "--yes"); r.code != 0 {
		t.Errorf("secrets delete %s: exit %d\n%s", key, r.code, r.stderr)
	}
	if _, err := (secrets.Store{}).Get(context.Background(), key); err == nil {
		t.Errorf("%s still in the keyring", key)
	}
}
