package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/nexus-onboard/nexus-onboard/steps"
	"github.com/nexus-onboard/nexus-onboard/ui/app"
)

// preflight runs the same checks as the wizard's preflight screen, one
// line each on stderr; any failure stops the run before any change (exit 2).
func (a *App) preflight(ctx context.Context, env *steps.Env, sel steps.Selection, localOnly bool) error {
	checks := steps.PreflightChecks(env, sel)
	if localOnly {
		checks = slices.DeleteFunc(checks, func(c steps.Check) bool { return !c.Local })
	}
	// Each line as soon as it and the checks listed before it have ended:
	// the list order, while a slow endpoint still shows where it waits.
	ended := make([]*steps.CheckResult, len(checks))
	next := 0
	results := steps.RunChecks(ctx, env, checks, func(r steps.CheckResult) {
		ended[r.Index] = &r
		for ; next < len(ended) && ended[next] != nil; next++ {
			fmt.Fprintln(a.Stderr, preflightLine(ended[next]))
		}
	})
	var failed []string
	for _, r := range results {
		if r.Failed() {
			failed = append(failed, r.Name)
		}
	}
	if ctx.Err() != nil {
		return &app.ExitError{Code: app.ExitInterrupted, Err: errors.New("interrupted during preflight: nothing was changed")}
	}
	if len(failed) > 0 {
		// Each failure was told in full on its line above: name them only.
		return &app.ExitError{Code: app.ExitUsage, Err: fmt.Errorf("preflight: %s failed (%s: the remedy is on its line above). Nothing was changed.", steps.Plural(len(failed), "check"), strings.Join(failed, "; "))}
	}
	return nil
}

// preflightLine is one check's line: ✓ passed, ✗ failed, – not checked.
func preflightLine(d *steps.CheckResult) string {
	mark, text := "✓", d.Note
	switch {
	case d.Failed():
		mark, text = "✗", d.Err
	case d.NotChecked:
		mark = "–"
	}
	return fmt.Sprintf("preflight %s %s: %s", mark, d.Name, text)
}
