package cli

// plan without cobra: every selected step, in order, with no secret shown.

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/nexus-onboard/nexus-onboard/clients/secrets"
	"github.com/nexus-onboard/nexus-onboard/steps"
	"github.com/nexus-onboard/nexus-onboard/ui/app"
)

func TestPlanListsEveryStepAndSendsNothing(t *testing.T) {
	a, stdout, stderr := testApp(secrets.NewMemory(), steps.EnvPrefix+"GWS_ADMIN_PASSWORD=ops-pw-1234")
	opts := &planOptions{app: a}
	opts.stateDir = t.TempDir()
	opts.config = writeConfig(t, planConfig, 0o600)
	if err := planRun(context.Background(), opts); err != nil {
		t.Fatalf("plan: %v\n%s", err, stderr)
	}
	var headers []string
	for _, l := range strings.Split(stdout.String(), "\n") {
		if strings.HasPrefix(l, "== ") {
			headers = append(headers, l)
		}
	}
	if len(headers) != len(steps.All) {
		t.Fatalf("%d steps planned, want %d:\n%s", len(headers), len(steps.All), stdout)
	}
	for i, s := range steps.All {
		if want := fmt.Sprintf("== %d/%d %s: %s", i+1, len(steps.All), s.ID, s.Title); headers[i] != want {
			t.Errorf("header %d: %q, want %q", i+1, headers[i], want)
		}
	}
	if strings.Contains(stdout.String(), "ops-pw-1234") {
		t.Errorf("the plan shows a secret:\n%s", stdout)
	}
	// --only narrows it to the step and the read-only steps it needs; an
	// unknown step is a usage error.
	stdout.Reset()
	opts.only = []string{steps.IDTenant}
	if err := planRun(context.Background(), opts); err != nil {
		t.Fatalf("plan --only tenant: %v", err)
	}
	if n := strings.Count(stdout.String(), "== "); n >= len(steps.All) || !strings.Contains(stdout.String(), fmt.Sprintf("== %d/%d %s: ", n, n, steps.IDTenant)) {
		t.Errorf("plan --only tenant: not the tenant step last of fewer steps:\n%s", stdout)
	}
	opts.only = []string{"no-such-step"}
	if err := planRun(context.Background(), opts); exitCodeOf(err) != app.ExitUsage {
		t.Errorf("plan --only no-such-step: %v", err)
	}
}
