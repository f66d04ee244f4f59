package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/nexus-onboard/nexus-onboard/steps"
)

// planOptions are the flags of `plan`.
type planOptions struct {
	app *App
	common
	only, skip   []string
	rotateSecret bool
}

func newCmdPlan(a *App) *cobra.Command {
	opts := &planOptions{app: a}
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Show what run would send, changing nothing",
		Long:  "Print, for each selected step, the exact requests and SQL that run would send, with every secret masked. Nothing is sent.",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return planRun(cmd.Context(), opts)
		},
	}
	opts.registerNoSecrets(cmd.Flags())
	cmd.Flags().StringSliceVar(&opts.only, "only", nil, "plan only these `STEPS` (comma-separated ids)")
	cmd.Flags().StringSliceVar(&opts.skip, "skip", nil, "leave these `STEPS` out (comma-separated ids)")
	cmd.Flags().BoolVar(&opts.rotateSecret, "rotate-secret", false, "plan a secret rotation for an existing client")
	return cmd
}

// planRun prints, step by step, what run would send. It sends nothing.
func planRun(_ context.Context, opts *planOptions) error {
	a := opts.app
	p, err := a.prepare(&opts.common, opts.only, opts.skip, steps.Options{RotateSecret: opts.rotateSecret}, noChecks)
	if err != nil {
		return err
	}
	defer p.env.Close()
	for i, st := range p.sel.Steps {
		fmt.Fprintf(a.Stdout, "== %d/%d %s: %s\n%s\n\n", i+1, len(p.sel.Steps), st.ID, st.Title, st.Doc)
		for _, pl := range steps.PlanOf(st, p.env) {
			fmt.Fprintln(a.Stdout, indent(pl.String(), "    "))
		}
	}
	return nil
}
