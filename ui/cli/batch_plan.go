package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/nexus-onboard/nexus-onboard/steps"
	"github.com/nexus-onboard/nexus-onboard/ui/app"
)

func newCmdBatchPlan(opts *batchOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "plan FILE",
		Short: "Show what batch would send for each tenant, changing nothing",
		Long:  "Print, for each tenant of the manifest (or --index's), the exact requests and SQL that batch would send, with every secret masked. Nothing is sent.",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return batchPlanRun(cmd.Context(), opts, args[0])
		},
	}
}

// batchPlanRun prints each tenant's plan. It sends nothing.
func batchPlanRun(_ context.Context, opts *batchOptions, file string) error {
	a := opts.app
	tenants, err := opts.batchTenants(file, true)
	if err != nil {
		return err
	}
	for _, t := range tenants {
		env, err := steps.NewEnv(t.Values, steps.Options{Keyring: a.Keyring, Warn: func(s string) { a.warn(steps.TenantPart(t.Index) + ": " + s) }})
		if err != nil {
			return &app.ExitError{Code: app.ExitUsage, Err: fmt.Errorf("%s: %w", steps.TenantPart(t.Index), err)}
		}
		sel, _ := steps.Select(nil, nil, t.Values)
		fmt.Fprintf(a.Stdout, "#### tenant %d: %s %s\n\n", t.Index, t.Values.Get(steps.KeyCCID), t.Values.Get(steps.KeyTenantName))
		for i, st := range sel.Steps {
			fmt.Fprintf(a.Stdout, "== %d/%d %s: %s\n", i+1, len(sel.Steps), st.ID, st.Title)
			for _, pl := range steps.PlanOf(st, env) {
				fmt.Fprintln(a.Stdout, indent(pl.String(), "    "))
			}
			fmt.Fprintln(a.Stdout)
		}
		env.Close()
	}
	return nil
}
