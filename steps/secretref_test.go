package steps_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nexus-onboard/nexus-onboard/steps"
)

// A secret input of a config file may come from an environment variable
// (<key>_env) or a file (<key>_file, trailing newline trimmed); both forms,
// or a clear value beside one, are refused naming both; a missing variable
// or file is named, its value never quoted.
func TestConfigSecretReferences(t *testing.T) {
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "tenant-password")
	if err := os.WriteFile(secretFile, []byte("pw-from-file-0123\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"OPS_PW=pw-from-env-4567", "DB=postgres://nexus:db-pw-89ab@db.example.com:5432/nexus"}
	cases := []struct {
		name, yaml string
		want       map[string]string
		problem    []string // substrings of the one problem expected
	}{
		{"env and file", "gws_admin_password_env: OPS_PW\ntenant_password_file: " + secretFile + "\ndb_url_env: DB\n",
			map[string]string{steps.KeyAdminPassword: "pw-from-env-4567", steps.KeyTenantPass: "pw-from-file-0123", steps.KeyDBURL: "postgres://nexus:db-pw-89ab@db.example.com:5432/nexus"}, nil},
		{"both forms", "tenant_password_env: OPS_PW\ntenant_password_file: " + secretFile + "\n", nil, []string{"tenant_password_env", "tenant_password_file"}},
		{"clear and reference", "tenant_password: clear-pw\ntenant_password_env: OPS_PW\n", nil, []string{"tenant_password", "tenant_password_env"}},
		{"missing variable", "tenant_password_env: NOPE_NOT_SET\n", nil, []string{"tenant_password_env", "NOPE_NOT_SET"}},
		{"missing file", "tenant_password_file: " + filepath.Join(dir, "absent") + "\n", nil, []string{"tenant_password_file", filepath.Join(dir, "absent")}},
		{"not a secret", "tenant_name_env: OPS_PW\n", nil, []string{"tenant_name_env", "unknown key"}},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := filepath.Join(dir, "c"+string(rune('a'+i))+".yaml")
			if err := os.WriteFile(cfg, []byte(c.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			vs, _, problems := steps.Load(steps.Sources{ConfigPath: cfg, Environ: env})
			if c.problem == nil {
				if len(problems) > 0 {
					t.Fatal(problems)
				}
				for k, v := range c.want {
					if vs.Get(k) != v {
						t.Errorf("%s = %q, want %q", k, vs.Get(k), v)
					}
				}
				return
			}
			if len(problems) != 1 {
				t.Fatalf("want one problem, got %v", problems)
			}
			msg := problems[0].Error()
			for _, s := range c.problem {
				if !strings.Contains(msg, s) {
					t.Errorf("problem %q does not name %q", msg, s)
				}
			}
			for _, secret := range []string{"pw-from-env-4567", "pw-from-file-0123", "clear-pw"} {
				if strings.Contains(msg, secret) {
					t.Errorf("problem quotes a secret: %q", msg)
				}
			}
			if vs.Get(steps.KeyTenantPass) != "" {
				t.Errorf("a refused key still has a value")
			}
		})
	}
}
