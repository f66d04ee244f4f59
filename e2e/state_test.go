package e2e

// The state dir: a contact center's lock, and state files that cannot be
// trusted.

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nexus-onboard/nexus-onboard/steps"
)

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

// A state file with null where it says whose it is or what was created is
// refused (exit 2), never read as "nothing created".
func TestNullStateFieldsAreRefused(t *testing.T) {
	w := newWorld(t)
	path := filepath.Join(w.stateDir, w.cc+".json")
	os.MkdirAll(w.stateDir, 0o700)
	for _, body := range []string{`null`, `{"version":1,"cc_id":"` + w.cc + `","steps":{},"created":null}`, `{"version":1,"cc_id":"` + w.cc + `","steps":null,"created":{}}`} {
		os.WriteFile(path, []byte(body), 0o600)
		for _, args := range [][]string{{"steps"}, {"reset", "--yes"}, {"run"}} {
			r := w.run(t, append(args, "--config", w.cfg, "--state-dir", w.stateDir)...)
			if r.code != 2 || !strings.Contains(r.stderr, path) {
				t.Errorf("%s with %s: exit %d, want 2 naming the file\n%s", args[0], body, r.code, r.stderr)
			}
		}
	}
	if n := len(w.sb.Requests()); n != 0 {
		t.Errorf("%d requests sent on a refused state", n)
	}
}
