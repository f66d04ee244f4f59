package cli

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/nexus-onboard/nexus-onboard/steps"
	"github.com/nexus-onboard/nexus-onboard/ui/app"
)

// stepsOptions are the flags of `steps`.
type stepsOptions struct {
	app *App
	common
	output string
}

func newCmdSteps(a *App) *cobra.Command {
	opts := &stepsOptions{app: a}
	cmd := &cobra.Command{
		Use:   "steps",
		Short: "List the steps with their status from the last run",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return stepsRun(cmd.Context(), opts)
		},
	}
	opts.registerNoSecrets(cmd.Flags())
	cmd.Flags().StringVarP(&opts.output, "output", "o", "text", "output `FORMAT`: text or json (the shape of run --output json)")
	return cmd
}

// stepsRun lists every step with its status in the contact center's state.
func stepsRun(_ context.Context, opts *stepsOptions) error {
	a := opts.app
	if opts.output != "text" && opts.output != "json" {
		return app.Usage("--output must be text or json (got %q)", opts.output)
	}
	vals, warnings, problems := opts.load(a)
	a.warn(warnings...)
	store := opts.store(a.Environ)
	cc := vals.Get(steps.KeyCCID)
	var st *steps.State
	if cc != "" {
		var err error
		if st, err = store.Load(cc); err != nil {
			// A refused state (*steps.StateError) is an input error.
			return &app.ExitError{Code: app.ExitUsage, Err: err}
		}
	} else if ps := stateProblems(problems); len(ps) > 0 {
		// The last contact center's state, which names it, is refused.
		return &app.ExitError{Code: app.ExitUsage, Err: ps}
	}
	if opts.output == "json" {
		return writeJSON(a.Stdout, savedRecords(st), "")
	}
	if cc != "" {
		fmt.Fprintf(a.Stdout, "contact center %s (state %s)\n\n", cc, store.Path(cc))
	} else {
		fmt.Fprintln(a.Stdout, "no contact center known yet: no run has saved a state")
		fmt.Fprintln(a.Stdout)
	}
	return writeStepsTable(a.Stdout, st)
}

// savedRecords are the records of every step in st, in the shape of `run
// --output json`; steps never run (or no state at all) are "not-run".
func savedRecords(st *steps.State) []*steps.Record {
	var recs []*steps.Record
	for _, s := range steps.All {
		r := &steps.Record{ID: s.ID, Status: steps.StatusNotRun}
		if st != nil && st.Steps[s.ID] != nil {
			r = st.Steps[s.ID]
		}
		recs = append(recs, r)
	}
	return recs
}

// writeStepsTable is one row per step: its last status, when, and what
// it said (st nil: no state, every status "-").
func writeStepsTable(w io.Writer, st *steps.State) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STEP\tTITLE\tLAST STATUS\tWHEN\tDETAIL")
	for _, s := range steps.All {
		status, when, detail := "-", "", ""
		if st != nil {
			if r := st.Steps[s.ID]; r != nil {
				status = string(r.Status)
				if !r.Finished.IsZero() {
					when = r.Finished.Local().Format(time.DateTime)
				}
				detail = oneLine(r)
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.ID, s.Title, status, when, clipLine(detail, 70))
	}
	return tw.Flush()
}
