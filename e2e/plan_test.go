package e2e

// `plan`: what would be sent, with secrets masked, and without needing them.

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

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
