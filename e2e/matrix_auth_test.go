package e2e

// Fault matrix: credentials and the keyring — a wrong password or key the
// sandbox itself refuses, and no Secret Service on the bus.

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nexus-onboard/nexus-onboard/steps"
	"github.com/nexus-onboard/nexus-onboard/testkit"
)

// wrongCredentialCase gives the step a wrong credential (no injection: the
// sandbox itself refuses it).
func wrongCredentialCase(t *testing.T, sh *shard, st matrixStep, key string) {
	c := sh.next(t)
	wrong := "wrong-" + testkit.UUID()[:8]
	c.extra = append(c.extra, wrong)
	cfg := filepath.Join(c.dir, "wrong.yaml")
	c.writeConfig(t, cfg, map[string]string{key: wrong})
	host, status, remedy := hostOfURL(c.sb.AuthURL), "401", "check the credentials"
	switch key {
	case steps.KeyTenantPass:
		// OAuth answers a bad user password with 400 invalid_grant.
		status, remedy = "400", "Bad credentials"
	case steps.KeyUCSAPIKey:
		host = hostOfURL(c.sb.NexusURL)
	}
	r, d := c.cli(t, "wrong "+key, "--config", cfg)
	c.checkRun(t, st, r, d, matrixExpect{code: 1, status: steps.StatusFailed, rest: steps.StatusNotRun, msg: []string{host, status, remedy}})
	c.recover(t)
}

// keyringAbsentCase: no Secret Service on the bus: exit 2 before any request.
func keyringAbsentCase(t *testing.T, sh *shard, st matrixStep) {
	c := sh.next(t)
	before := len(c.sb.Requests())
	r := c.runChild(t, []string{"DBUS_SESSION_BUS_ADDRESS=unix:path=" + filepath.Join(c.dir, "no-bus")},
		"run", "--config", c.cfg, "--state-dir", c.stateDir, "--only", st.id)
	c.texts["no keyring stderr"] = r.stderr
	if r.code != 2 {
		t.Errorf("exit %d, want 2\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"keyring", "gnome-keyring", "Nothing was changed"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	// Read-only checks run while the keyring is proven; nothing that
	// changes anything goes out.
	for _, rq := range c.sb.Requests()[before:] {
		if rq.Method != http.MethodGet && rq.Method != http.MethodHead {
			t.Errorf("%s %s sent without a keyring", rq.Method, rq.Path)
		}
	}
	if _, err := os.Stat(filepath.Join(c.stateDir, c.cc+".json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a state file was written without a keyring: %v", err)
	}
	c.recover(t)
}
