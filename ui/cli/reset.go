package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nexus-onboard/nexus-onboard/steps"
)

func (a *App) resetCommand() *cobra.Command {
	var c common
	var only []string
	var yes bool
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
			ctx := cmd.Context()
			vals, warnings, problems := c.load(a)
			for _, w := range warnings {
				fmt.Fprintln(a.Stderr, "warning:", w)
			}
			if len(problems) > 0 {
				return &ExitError{Code: ExitUsage, Err: problems}
			}
			cc := vals.Get(steps.KeyCCID)
			if cc == "" {
				return usageErr("say which contact center to reset with cc_id (--cc-id)")
			}
			store := c.store(a.Environ)
			unlock, err := store.Lock(cc)
			if err != nil {
				return &ExitError{Code: ExitUsage, Err: err}
			}
			defer unlock()
			st, err := store.Load(cc)
			if err != nil {
				// A refused state (*steps.StateError) is an input error:
				// reset deletes what the state names, so it never guesses.
				return &ExitError{Code: ExitUsage, Err: err}
			}
			if st.Updated.IsZero() {
				// No state file: reset removes what the state says the tool
				// created, so with none it knows of nothing and guesses nothing.
				return &ExitError{Code: ExitUsage, Err: fmt.Errorf("no state for contact center %s in %s: nothing this tool created is known there (check --state-dir); nothing was changed", cc, store.Dir)}
			}
			for _, n := range st.Notes {
				fmt.Fprintln(a.Stderr, "warning:", n)
			}
			env, err := steps.NewEnv(vals, steps.Options{Warn: func(s string) { fmt.Fprintln(a.Stderr, "warning:", s) }})
			if err != nil {
				return &ExitError{Code: ExitUsage, Err: err}
			}
			defer env.Close()
			ids := splitIDs(only)
			plan, err := steps.ResetPlan(env, st, ids)
			if err != nil {
				return &ExitError{Code: ExitUsage, Err: err}
			}
			// The client and the nex_gapis row are the environment's: they
			// stay while another contact center uses them.
			plan = steps.KeepShared(plan, steps.SharedWith(store, st, vals))
			if ps := steps.Validate(vals, steps.ResetRequired(plan)); len(ps) > 0 {
				return &ExitError{Code: ExitUsage, Err: fmt.Errorf("%w\nNothing was changed.", ps)}
			}
			fmt.Fprintf(a.Stdout, "Reset of contact center %s (state %s):\n", cc, store.Path(cc))
			for i, u := range plan {
				mark := "-"
				if u.Manual {
					mark = "✋"
				}
				fmt.Fprintf(a.Stdout, "%2d. %s [%s] %s\n", i+1, mark, u.Step, u.What)
				for _, p := range u.Plan {
					fmt.Fprintln(a.Stdout, indent(p.String(), "       "))
				}
			}
			if len(ids) == 0 {
				fmt.Fprintf(a.Stdout, "%2d. - delete the state file\n", len(plan)+1)
			}
			if !yes && !confirm(a, "Go ahead?") {
				return &ExitError{Code: ExitUsage, Err: fmt.Errorf("reset not confirmed: nothing was changed")}
			}
			results, err := steps.Reset(ctx, env, store, st, plan, len(ids) == 0)
			failed := 0
			for _, r := range results {
				line := r.Note
				if r.Error != "" {
					line = r.Error
					failed++
				}
				fmt.Fprintf(a.Stdout, "%s %-16s %-8s %s\n", statusMark[r.Status], r.Undo.Step, r.Status, line)
			}
			if err != nil {
				return &ExitError{Code: ExitStepFailed, Err: fmt.Errorf("state: %w", err)}
			}
			if failed > 0 {
				return &ExitError{Code: ExitStepFailed, Err: fmt.Errorf("%s could not be removed; the state still lists them: fix and run reset again", steps.Plural(failed, "item"))}
			}
			if manual := countManual(results); manual > 0 {
				fmt.Fprintf(a.Stdout, "\n%s above for you to do by hand.\n", steps.Plural(manual, "manual item"))
			}
			return nil
		},
	}
	c.register(cmd.Flags())
	cmd.Flags().StringSliceVar(&only, "only", nil, "undo only these `STEPS` ("+strings.Join([]string{steps.IDAuthClient, steps.IDRegisterGWS, steps.IDChatServiceURI, steps.IDTenant}, ", ")+", …)")
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
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
