package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/nexus-onboard/nexus-onboard/steps"
	"github.com/nexus-onboard/nexus-onboard/ui/app"
)

func newCmdBatchReset(opts *batchOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "reset FILE",
		Short: "Undo what nexus-onboard created for every tenant of the manifest",
		Long: `Run reset for each tenant of the manifest (or --index's), one after the other:
the plans are shown first and confirmed once (or --yes; without a terminal it
refuses unless --yes). The environment's Auth client and nex_gapis row go with
the last contact center of the state dir that uses them.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return batchResetRun(cmd.Context(), opts, args[0])
		},
	}
	cmd.Flags().BoolVarP(&opts.yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}

// batchResetRun shows every tenant's reset plan, asks once, then resets
// the tenants in turn, each plan made again just before (a tenant reset
// earlier may leave the environment's work to this one).
func batchResetRun(ctx context.Context, opts *batchOptions, file string) error {
	a := opts.app
	tenants, err := opts.batchTenants(file, false)
	if err != nil {
		return err
	}
	store := opts.store(a.Environ)
	var todo []steps.BatchTenant
	for _, t := range tenants {
		cc := t.Values.Get(steps.KeyCCID)
		st, err := store.Load(cc)
		if err != nil {
			return &app.ExitError{Code: app.ExitUsage, Err: fmt.Errorf("%s: %w", steps.TenantPart(t.Index), err)}
		}
		if st.Updated.IsZero() {
			fmt.Fprintf(a.Stdout, "tenant %d: no state for contact center %s in %s: nothing to reset\n", t.Index, cc, store.Dir)
			continue
		}
		env, plan, err := batchResetPlan(a, store, st, t)
		if err != nil {
			return err
		}
		env.Close()
		writeResetPlan(a.Stdout, cc, store.Path(cc), plan, true)
		todo = append(todo, t)
	}
	if len(todo) == 0 {
		return nil
	}
	if !opts.yes && !confirm(a, fmt.Sprintf("Reset %s?", steps.Plural(len(todo), "tenant"))) {
		return &app.ExitError{Code: app.ExitUsage, Err: errors.New("reset not confirmed: nothing was changed")}
	}
	var failed []string
	for _, t := range todo {
		if ctx.Err() != nil {
			return app.Exit(app.ExitInterrupted, "interrupted: run batch reset again for the tenants left")
		}
		fmt.Fprintf(a.Stdout, "#### tenant %d: %s\n", t.Index, t.Values.Get(steps.KeyCCID))
		if err := batchResetTenant(ctx, a, store, t); err != nil {
			fmt.Fprintln(a.Stdout, "!", err)
			failed = append(failed, steps.TenantPart(t.Index))
		}
	}
	if len(failed) > 0 {
		return app.Exit(app.ExitStepFailed, "%s not fully reset; fix and run batch reset again", steps.Plural(len(failed), "tenant"))
	}
	return nil
}

// batchResetPlan is one tenant's reset plan, shared work left while other
// contact centers use it.
func batchResetPlan(a *App, store steps.Store, st *steps.State, t steps.BatchTenant) (*steps.Env, []steps.Undo, error) {
	env, err := steps.NewEnv(t.Values, steps.Options{Warn: func(s string) { a.warn(steps.TenantPart(t.Index) + ": " + s) }, Keyring: a.Keyring})
	if err != nil {
		return nil, nil, &app.ExitError{Code: app.ExitUsage, Err: err}
	}
	plan, err := resetPlan(env, store, st, t.Values, nil)
	if err != nil {
		env.Close()
		return nil, nil, err
	}
	return env, plan, nil
}

// batchResetTenant resets one tenant under its lock.
func batchResetTenant(ctx context.Context, a *App, store steps.Store, t steps.BatchTenant) error {
	cc := t.Values.Get(steps.KeyCCID)
	unlock, err := store.Lock(cc)
	if err != nil {
		return err
	}
	defer unlock()
	st, err := loadResetState(store, cc)
	if err != nil {
		return err
	}
	env, plan, err := batchResetPlan(a, store, st, t)
	if err != nil {
		return err
	}
	defer env.Close()
	results, err := steps.Reset(ctx, env, store, st, plan, true)
	return resetOutcome(a.Stdout, results, err)
}
