package cli

// run's exit: the code is app.RunCode's, the message says what to do next.

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/nexus-onboard/nexus-onboard/clients/secrets"
	"github.com/nexus-onboard/nexus-onboard/steps"
	"github.com/nexus-onboard/nexus-onboard/ui/app"
)

func TestExitForKeepsCodesAndMessages(t *testing.T) {
	vals := steps.NewValues()
	vals.Set(steps.KeyAdminPassword, "ops-pw-1234", steps.FromEnv)
	env, err := steps.NewEnv(vals, steps.Options{Keyring: secrets.NewMemory()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(env.Close)
	for _, tc := range []struct {
		name string
		err  error
		code int
		msg  string // the message begins so
	}{
		{"ok", nil, app.ExitOK, ""},
		{"interrupted", steps.ErrInterrupted, app.ExitInterrupted, "interrupted: the state is saved; run again to resume"},
		{"step failed", &steps.StepFailedError{Step: "tenant", Err: "401 for ops-pw-1234"}, app.ExitStepFailed, "step tenant failed: 401 for ****\nFix the cause and run again"},
		{"locked", fmt.Errorf("%w (cc): wait for it to finish", steps.ErrLocked), app.ExitUsage, steps.ErrLocked.Error()},
		{"refused state", &steps.StateError{Path: "/s/cc.json", Reason: "is damaged"}, app.ExitUsage, "state /s/cc.json: is damaged"},
		{"state not saved", errors.New("step tenant ended done, but the state could not be saved"), app.ExitStepFailed, "step tenant ended done"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := exitFor(tc.err, env)
			if exitCodeOf(got) != tc.code {
				t.Errorf("exit %d, want %d (%v)", exitCodeOf(got), tc.code, got)
			}
			if got != nil && !strings.HasPrefix(got.Error(), tc.msg) {
				t.Errorf("message %q, want it to begin %q", got, tc.msg)
			}
			if got != nil && strings.Contains(got.Error(), "ops-pw-1234") {
				t.Errorf("a secret in %q", got)
			}
		})
	}
}
