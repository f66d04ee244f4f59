package e2e

// Inputs: a bad config is refused before any request, the last run's
// inputs fill in only for the same environment, and discovery without a
// contact center id.

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

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

// Discovery (no cc_id) of a second contact center, when the environment's
// client already exists: the tenant login waits for the contact center
// instead of logging in as "\user".
func TestDiscoveryWithAnExistingClient(t *testing.T) {
	w := newWorld(t)
	if r, _ := w.runJSON(t, "--only", "auth-client"); r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	cfg := filepath.Join(w.dir, "nocc.yaml")
	data, _ := os.ReadFile(w.cfg)
	var lines []string
	for _, l := range strings.Split(string(data), "\n") {
		if !strings.HasPrefix(l, "cc_id:") {
			lines = append(lines, l)
		}
	}
	os.WriteFile(cfg, []byte(strings.Join(lines, "\n")), 0o600)
	r := w.run(t, "run", "--config", cfg, "--state-dir", filepath.Join(w.dir, "s2"), "--output", "json")
	if r.code != 0 {
		t.Fatalf("discovery run: exit %d\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "Tenant user can log in: not checked") {
		t.Errorf("the tenant login was not left to tenant-token:\n%s", r.stderr)
	}
}
