package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nexus-onboard/nexus-onboard/steps"
	"github.com/nexus-onboard/nexus-onboard/ui/app"
)

// resetOptions are the flags of `reset`.
type resetOptions struct {
	app *App
	common
	only []string
	yes  bool
}

func newCmdReset(a *App) *cobra.Command {
	opts := &resetOptions{app: a}
	cmd := &cobra.Command{
		Use:   "reset",
		Short: "Undo what nexus-onboard created for a contact center",
		Long: `Remove what the state file says this tool created: the Auth client, the
nex_gapis row (only while it still holds our secret), the chat-service-uri
setting (only while its value is still ours), the keyring entries and the
state file. Nothing the tool did not create is touched. Tenants and PlatformUCS
services have no documented delete API: reset lists them as manual steps.

It shows the plan first and asks for confirmation (or --yes).`,
		Example: `  nexus-onboard reset --config tenant.yaml
  nexus-onboard reset --config tenant.yaml --only auth-client --yes`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return resetRun(cmd.Context(), opts)
		},
	}
	opts.register(cmd.Flags())
	cmd.Flags().StringSliceVar(&opts.only, "only", nil, "undo only these `STEPS` ("+strings.Join([]string{steps.IDAuthClient, steps.IDRegisterGWS, steps.IDChatServiceURI, steps.IDTenant}, ", ")+", …)")
	cmd.Flags().BoolVarP(&opts.yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}

// resetRun shows what the state says the tool created and, once
// confirmed (or opts.yes), removes it. Without a state it refuses: it
// never guesses what to delete.
func resetRun(ctx context.Context, opts *resetOptions) error {
	a := opts.app
	vals, warnings, problems := opts.load(a)
	a.warn(warnings...)
	if len(problems) > 0 {
		return &app.ExitError{Code: app.ExitUsage, Err: problems}
	}
	cc := vals.Get(steps.KeyCCID)
	if cc == "" {
		return app.Usage("say which contact center to reset with cc_id (--cc-id)")
	}
	store := opts.store(a.Environ)
	unlock, err := store.Lock(cc)
	if err != nil {
		return &app.ExitError{Code: app.ExitUsage, Err: err}
	}
	defer unlock()
	st, err := loadResetState(store, cc)
	if err != nil {
		return err
	}
	a.warn(st.Notes...)
	env, err := steps.NewEnv(vals, steps.Options{Warn: func(s string) { a.warn(s) }, Keyring: a.Keyring})
	if err != nil {
		return &app.ExitError{Code: app.ExitUsage, Err: err}
	}
	defer env.Close()
	ids := splitIDs(opts.only)
	plan, err := resetPlan(env, store, st, vals, ids)
	if err != nil {
		return err
	}
	writeResetPlan(a.Stdout, cc, store.Path(cc), plan, len(ids) == 0)
	if !opts.yes && !confirm(a, "Go ahead?") {
		return &app.ExitError{Code: app.ExitUsage, Err: errors.New("reset not confirmed: nothing was changed")}
	}
	results, err := steps.Reset(ctx, env, store, st, plan, len(ids) == 0)
	return resetOutcome(a.Stdout, results, err)
}

// loadResetState is the contact center's state, which must exist and be
// trusted: reset deletes what the state names, so it never guesses.
func loadResetState(store steps.Store, cc string) (*steps.State, error) {
	st, err := store.Load(cc)
	if err != nil {
		// A refused state (*steps.StateError) is an input error.
		return nil, &app.ExitError{Code: app.ExitUsage, Err: err}
	}
	if st.Updated.IsZero() {
		// No state file: reset removes what the state says the tool
		// created, so with none it knows of nothing and guesses nothing.
		return nil, &app.ExitError{Code: app.ExitUsage, Err: fmt.Errorf("no state for contact center %s in %s: nothing this tool created is known there (check --state-dir); nothing was changed", cc, store.Dir)}
	}
	return st, nil
}

// resetPlan is what reset removes for ids (none: everything), less what
// other contact centers share; the inputs it needs must all be valid.
func resetPlan(env *steps.Env, store steps.Store, st *steps.State, vals steps.Values, ids []string) ([]steps.Undo, error) {
	plan, err := steps.ResetPlan(env, st, ids)
	if err != nil {
		return nil, &app.ExitError{Code: app.ExitUsage, Err: err}
	}
	// The client and the nex_gapis row are the environment's: they
	// stay while another contact center uses them.
	plan = steps.KeepShared(plan, steps.SharedWith(store, st, vals))
	if ps := steps.Validate(vals, steps.ResetRequired(plan)); len(ps) > 0 {
		return nil, &app.ExitError{Code: app.ExitUsage, Err: fmt.Errorf("%w\nNothing was changed.", ps)}
	}
	return plan, nil
}

// writeResetPlan numbers what reset will do, with the requests each
// sends; wholeState adds the state file's deletion.
func writeResetPlan(w io.Writer, cc, statePath string, plan []steps.Undo, wholeState bool) {
	fmt.Fprintf(w, "Reset of contact center %s (state %s):\n", cc, statePath)
	for i, u := range plan {
		mark := "-"
		if u.Manual {
			mark = "✋"
		}
		fmt.Fprintf(w, "%2d. %s [%s] %s\n", i+1, mark, u.Step, u.What)
		for _, p := range u.Plan {
			fmt.Fprintln(w, indent(p.String(), "       "))
		}
	}
	if wholeState {
		fmt.Fprintf(w, "%2d. - delete the state file\n", len(plan)+1)
	}
}

// resetOutcome prints a line per undo and is the command's error: err
// (the state could not be saved) or any undo that failed.
func resetOutcome(w io.Writer, results []steps.UndoResult, err error) error {
	failed := 0
	for _, r := range results {
		line := r.Note
		if r.Error != "" {
			line = r.Error
			failed++
		}
		fmt.Fprintf(w, "%s %-16s %-8s %s\n", statusMark[r.Status], r.Undo.Step, r.Status, line)
	}
	if err != nil {
		return &app.ExitError{Code: app.ExitStepFailed, Err: fmt.Errorf("state: %w", err)}
	}
	if failed > 0 {
		return &app.ExitError{Code: app.ExitStepFailed, Err: fmt.Errorf("%s could not be removed; the state still lists them: fix and run reset again", steps.Plural(failed, "item"))}
	}
	if manual := countManual(results); manual > 0 {
		fmt.Fprintf(w, "\n%s above for you to do by hand.\n", steps.Plural(manual, "manual item"))
	}
	return nil
}

func countManual(rs []steps.UndoResult) int {
	n := 0
	for _, r := range rs {
		if r.Status == steps.StatusManual {
			n++
		}
	}
	return n
}
