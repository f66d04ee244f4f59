package cli

// A refused state file (damaged, another contact center's) is an input
// error: exit 2 in every command, mapped from *steps.StateError, never from
// the message text. A state with null records is shown, not a panic.

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nexus-onboard/nexus-onboard/ui/app"
)

const (
	stateCC    = "578ec98e-f07c-46ad-9675-f36c22f3ba9f"
	stateOther = "11111111-2222-4333-8444-555555555555"
)

type cliResult struct {
	code           int
	stdout, stderr string
}

func runCLI(t *testing.T, environ []string, args ...string) cliResult {
	t.Helper()
	var stdout, stderr bytes.Buffer
	a := &App{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Environ: environ}
	code := a.Main(args)
	return cliResult{code, stdout.String(), stderr.String()}
}

// stateWorld is a state dir holding content as <cc>.json, and a config
// file with every non-secret input plan and run need.
func stateWorld(t *testing.T, content string) (dir, cfg, path string) {
	t.Helper()
	base := t.TempDir()
	dir = filepath.Join(base, "state")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path = filepath.Join(dir, stateCC+".json")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "last"), []byte(stateCC+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg = filepath.Join(base, "tenant.yaml")
	os.WriteFile(cfg, []byte(`gws_url: https://gws.example.invalid
auth_url: https://auth.example.invalid
nexus_url: https://nexus.example.invalid
gws_admin_user: ops
tenant_user: nexus
tenant_name: premise_tenant
cc_id: `+strings.ToUpper(stateCC)+"\n"), 0o600)
	return dir, cfg, path
}

func TestRefusedStateIsExit2InEveryCommand(t *testing.T) {
	for name, content := range map[string]string{
		"another contact center's": `{"version":1,"cc_id":"` + stateOther + `","created":{"auth_client":"nexus_client"}}`,
		"damaged":                  `{"version":1,"cc_id":`,
		"auth client ..":           `{"version":1,"cc_id":"` + stateCC + `","created":{"auth_client":".."}}`,
	} {
		t.Run(name, func(t *testing.T) {
			dir, cfg, path := stateWorld(t, content)
			env := []string{"NEXUS_ONBOARD_STATE_DIR=" + dir, "NEXUS_ONBOARD_GWS_ADMIN_PASSWORD=ops-pw-1234", "NEXUS_ONBOARD_TENANT_PASSWORD=tenant-pw-1234"}
			for _, args := range [][]string{
				{"steps", "--cc-id", stateCC},
				{"steps", "--output", "json", "--cc-id", strings.ToUpper(stateCC)},
				{"steps"}, // the last contact center's state
				{"reset", "--config", cfg, "--yes"},
				{"plan", "--config", cfg},
				{"run", "--config", cfg},
			} {
				r := runCLI(t, env, args...)
				if r.code != app.ExitUsage {
					t.Errorf("%v: exit %d, want %d\nstdout: %s\nstderr: %s", args, r.code, app.ExitUsage, r.stdout, r.stderr)
					continue
				}
				if !strings.Contains(r.stderr, path) {
					t.Errorf("%v: the error does not name %s:\n%s", args, path, r.stderr)
				}
			}
		})
	}
}

func TestStepsShowsAStateWithNullRecords(t *testing.T) {
	dir, _, _ := stateWorld(t, `{"version":1,"cc_id":"`+stateCC+`","steps":{"tenant":null,"auth-client":{"id":"auth-client","status":"done","error":""},"designer-env":null},"created":{}}`)
	for _, output := range []string{"text", "json"} {
		r := runCLI(t, []string{"NEXUS_ONBOARD_STATE_DIR=" + dir}, "steps", "--output", output, "--cc-id", stateCC)
		if r.code != app.ExitOK || !strings.Contains(r.stdout, "auth-client") || !strings.Contains(r.stdout, "tenant") {
			t.Errorf("%s: exit %d\n%s\n%s", output, r.code, r.stdout, r.stderr)
		}
		if !strings.Contains(r.stderr, "ignored") {
			t.Errorf("%s: no warning names the dropped records:\n%s", output, r.stderr)
		}
	}
}
