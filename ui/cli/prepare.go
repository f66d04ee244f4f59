package cli

import (
	"fmt"
	"slices"

	"github.com/nexus-onboard/nexus-onboard/steps"
	"github.com/nexus-onboard/nexus-onboard/ui/app"
)

// Preflight modes of prepare.
type preflightMode int

const (
	noChecks    preflightMode = iota // plan: nothing is sent, nothing is needed
	allChecks                        // run: every check of steps.PreflightChecks
	localChecks                      // run --no-preflight: the keyring only
)

// prepared is a validated run, ready to go.
type prepared struct {
	vals  steps.Values
	sel   steps.Selection
	env   *steps.Env
	store steps.Store
}

// prepare resolves and validates inputs and selection; every problem is
// reported at once and nothing remote has been touched. The steps keep
// their secrets in App.Keyring (nil: the OS keyring).
func (a *App) prepare(c *common, only, skip []string, opts steps.Options, mode preflightMode) (*prepared, error) {
	vals, warnings, problems := c.load(a)
	a.warn(warnings...)
	sel, err := steps.Select(splitIDs(only), splitIDs(skip), vals)
	if err != nil {
		return nil, &app.ExitError{Code: app.ExitUsage, Err: err}
	}
	required := sel.Required(vals)
	if mode == noChecks {
		// A plan masks every secret anyway: it needs none of them.
		required = slices.DeleteFunc(required, func(k string) bool { in, _ := steps.LookupInput(k); return in.Secret() })
	}
	problems = append(problems, steps.Validate(vals, required)...)
	if len(problems) > 0 {
		return nil, &app.ExitError{Code: app.ExitUsage, Err: fmt.Errorf("%w\nNothing was changed.", problems)}
	}
	if opts.Warn == nil {
		opts.Warn = func(s string) { a.warn(s) }
	}
	if opts.Keyring == nil {
		opts.Keyring = a.Keyring
	}
	opts.Invocation = c.invocation()
	env, err := steps.NewEnv(vals, opts)
	if err != nil {
		return nil, &app.ExitError{Code: app.ExitUsage, Err: err}
	}
	return &prepared{vals: vals, sel: sel, env: env, store: c.store(a.Environ)}, nil
}
