package wizard

// The wizard's exit codes follow the README's table (Exit codes): each way
// of quitting, driven through the program as a user would, and the code
// its outcome carries.

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/nexus-onboard/nexus-onboard/steps"
	"github.com/nexus-onboard/nexus-onboard/testkit"
	"github.com/nexus-onboard/nexus-onboard/ui/app"
)

// exitCode is the exit code of a final model's outcome (0 for none).
func exitCode(t *testing.T, m *model) int {
	t.Helper()
	if m.outcome == nil {
		return app.ExitOK
	}
	var ee *app.ExitError
	if !errors.As(m.outcome, &ee) {
		t.Fatalf("outcome %v is not a app.ExitError", m.outcome)
	}
	return ee.Code
}

func wantExit(t *testing.T, m *model, code int, says ...string) {
	t.Helper()
	if got := exitCode(t, m); got != code {
		t.Fatalf("exit %d (%v), want %d", got, m.outcome, code)
	}
	for _, s := range says {
		if m.outcome == nil || !strings.Contains(m.outcome.Error(), s) {
			t.Errorf("outcome %v does not say %q", m.outcome, s)
		}
	}
}

// Ctrl+C on the form, before anything ran: interrupted, nothing changed.
func TestExitCtrlCOnTheFormIs130(t *testing.T) {
	m := fixtureModel(t, 80, 24) // no saved state: the wizard opens on the form
	h := newHarness(t, m, 80, 24, colorprofile.Ascii)
	h.waitFor(10*time.Second, "Digital Channels URL")
	wantExit(t, h.quit("ctrl+c"), app.ExitInterrupted, "nothing was changed")
}

// A signal (the CLI's context ends) on the form: the same.
func TestExitSignalOnTheFormIs130(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	m := fixtureModel(t, 80, 24)
	m.ctx = ctx
	h := newHarness(t, m, 80, 24, colorprofile.Ascii)
	h.waitFor(10*time.Second, "Digital Channels URL")
	cancel()
	h.tm.Send(ctxDoneMsg{}) // what Run's context.AfterFunc sends
	fm := h.tm.FinalModel(t, teatest.WithFinalTimeout(20*time.Second))
	h.done = true
	wantExit(t, fm.(*model), app.ExitInterrupted, "nothing was changed")
}

// failedPreflight places m on a preflight whose ops credentials check failed.
func failedPreflight(m *model) {
	m.pre = &preflightScreen{sh: m.session, gen: 1, cancel: func() {}}
	m.show(m.pre)
	names := []struct{ name, key string }{{"OS keyring writable", "keyring"}, {"Auth URL reachable", steps.KeyAuthURL},
		{"Ops credentials accepted", steps.KeyAdminPassword}, {"Tenant user can log in", steps.KeyTenantPass}}
	results := []steps.CheckResult{
		{Note: "write, read and delete of a probe entry worked", Duration: 21 * time.Millisecond},
		{Note: "reachable, certificate valid", Duration: 35 * time.Millisecond},
		{Err: "GWS rejected the ops credentials (401 Unauthorized): check gws_admin_user and gws_admin_password", Duration: 52 * time.Millisecond},
		{NotChecked: true, Waits: "Ops credentials accepted", Note: "not checked: needs Ops credentials accepted"},
	}
	for _, n := range names {
		m.pre.rows = append(m.pre.rows, checkRow{name: n.name, key: n.key})
	}
	for i, r := range results {
		r.Index, r.Name = i, names[i].name
		m.forward(checkDoneMsg{gen: 1, result: r})
	}
}

// Quitting (q or Ctrl+C) after a failed preflight: a preflight error,
// nothing changed; also once the user went back to the form from it.
func TestExitAfterAFailedPreflightIs2(t *testing.T) {
	for _, c := range []struct {
		name string
		keys []string
	}{{"q", []string{"q"}}, {"ctrl+c", []string{"ctrl+c"}}, {"enter then ctrl+c on the form", []string{"enter", "ctrl+c"}}} {
		t.Run(c.name, func(t *testing.T) {
			m := fixtureModel(t, 80, 24)
			failedPreflight(m)
			h := newHarness(t, m, 80, 24, colorprofile.Ascii)
			h.waitFor(10*time.Second, "check gws_admin_password")
			if len(c.keys) > 1 {
				h.press(c.keys[:len(c.keys)-1]...)
				h.waitFor(10*time.Second, "GWS ops password")
			}
			wantExit(t, h.quit(c.keys[len(c.keys)-1]), app.ExitUsage,
				"preflight: 1 check failed", "Ops credentials accepted: GWS rejected", "Nothing was changed.")
		})
	}
}

// A real preflight against endpoints that refuse connections fails, and
// quitting on it is exit 2.
func TestExitAfterARealFailedPreflightIs2(t *testing.T) {
	testkit.RequireKeyring(t) // the preflight's environment uses the OS keyring
	m := fixtureModel(t, 80, 24)
	for _, k := range []string{steps.KeyGWSURL, steps.KeyAuthURL, steps.KeyNexusURL, steps.KeyUCSURL} {
		m.vals.Set(k, "https://127.0.0.1:1", steps.FromConfig)
	}
	m.vals.Set(steps.KeyDBURL, "postgres://nexus:"+goldenSecrets["db_password"]+"@127.0.0.1:1/nexus", steps.FromConfig)
	m.pending = m.toPreflight()
	h := newHarness(t, m, 80, 24, colorprofile.Ascii)
	h.waitFor(50*time.Second, "nothing was changed")
	wantExit(t, h.quit("q"), app.ExitUsage, "preflight: ", "Nothing was changed.")
}

// q from the step menu, without running anything: nothing was attempted,
// exit 0, even when the saved state has a failed step. Ctrl+C there is an
// interrupt: 130.
func TestExitFromTheStepMenu(t *testing.T) {
	for _, c := range []struct {
		key  string
		code int
	}{{"q", app.ExitOK}, {"ctrl+c", app.ExitInterrupted}} {
		t.Run(c.key, func(t *testing.T) {
			m := fixtureModel(t, 80, 24)
			if err := m.store.Save(fixtureState(steps.IDTenant)); err != nil {
				t.Fatal(err)
			}
			h := newHarness(t, m, 80, 24, colorprofile.Ascii)
			h.waitFor(10*time.Second, "Contact center "+fixtureCC)
			wantExit(t, h.quit(c.key), c.code)
		})
	}
}

// q on the plan, nothing run: 0; Ctrl+C there: 130.
func TestExitFromThePlan(t *testing.T) {
	for _, c := range []struct {
		key  string
		code int
	}{{"q", app.ExitOK}, {"ctrl+c", app.ExitInterrupted}} {
		t.Run(c.key, func(t *testing.T) {
			m := fixtureModel(t, 80, 24)
			sel, err := steps.Select(nil, nil, m.vals)
			if err != nil {
				t.Fatal(err)
			}
			p := m.newPlan(sel)
			m.forward(planChecksMsg{gen: p.gen, st: map[string]steps.Status{}})
			h := newHarness(t, m, 80, 24, colorprofile.Ascii)
			h.waitFor(10*time.Second, "Plan:")
			wantExit(t, h.quit(c.key), c.code)
		})
	}
}

// standIn is a step that ends at once: failing when fail is set.
func standIn(id string, fail bool) steps.Step {
	return steps.Step{ID: id, Title: "Stand-in " + id, Run: func(context.Context, *steps.Env) (steps.Result, error) {
		if fail {
			return steps.Result{}, errors.New("the server said no")
		}
		return steps.Result{Message: "ok"}, nil
	}}
}

// After a run: its outcome, whichever quit key. A whole run is 0, a
// failed step 1.
func TestExitAfterARun(t *testing.T) {
	for _, c := range []struct {
		name, key, wait string
		fail            bool
		code            int
	}{
		{"ok q", "q", "Finished: 2 of 2 done", false, app.ExitOK},
		{"ok ctrl+c", "ctrl+c", "Finished: 2 of 2 done", false, app.ExitOK},
		{"failed q", "q", "failed; the state is saved", true, app.ExitStepFailed},
		{"failed ctrl+c", "ctrl+c", "failed; the state is saved", true, app.ExitStepFailed},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := fixtureModel(t, 80, 24)
			m.retryDelay = time.Millisecond
			sel := steps.Selection{Steps: []steps.Step{standIn("first-step", false), standIn("second-step", c.fail)}}
			m.pending = m.toRun(sel)
			h := newHarness(t, m, 80, 24, colorprofile.Ascii)
			h.waitFor(10*time.Second, c.wait)
			fm := h.quit(c.key)
			wantExit(t, fm, c.code)
			if c.code == app.ExitStepFailed && !strings.Contains(fm.outcome.Error(), "step second-step failed") {
				t.Errorf("outcome %v does not name the step", fm.outcome)
			}
		})
	}
}

// Stopping a running step (Ctrl+C, then y): interrupted, 130.
func TestExitAbandoningARunningStepIs130(t *testing.T) {
	m := fixtureModel(t, 80, 24)
	started := make(chan struct{})
	m.pending = m.toRun(steps.Selection{Steps: []steps.Step{blockingStep(started)}})
	h := newHarness(t, m, 80, 24, colorprofile.Ascii)
	<-started
	h.press("ctrl+c")
	h.waitFor(10*time.Second, "Stop it?")
	wantExit(t, h.quit("y"), app.ExitInterrupted)
}
