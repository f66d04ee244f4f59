package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/nexus-onboard/nexus-onboard/clients/httpx"
	"github.com/nexus-onboard/nexus-onboard/clients/secrets"
	"github.com/nexus-onboard/nexus-onboard/steps"
	"github.com/nexus-onboard/nexus-onboard/ui/app"
)

// runOptions are the flags of `run`.
type runOptions struct {
	app *App
	common
	only, skip   []string
	rotateSecret bool
	output       string
	report       string
	reveal       bool
	noPreflight  bool
}

func newCmdRun(a *App) *cobra.Command {
	opts := &runOptions{app: a}
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the onboarding steps headless",
		Long: `Run the selected steps in order, from a config file, environment variables
and flags. Each step checks first whether its work is already done, so run is
safe to repeat: a second run changes nothing.

Steps: ` + strings.Join(steps.IDs(), ", ") + `

Exit codes: 0 every selected step ok, 1 a step failed, 2 usage, input or
preflight error (nothing was changed), 130 interrupted.`,
		Example: `  nexus-onboard run --config tenant.yaml
  nexus-onboard run --config tenant.yaml --only tenant --output json
  NEXUS_ONBOARD_GWS_ADMIN_PASSWORD=... nexus-onboard run -c tenant.yaml --skip ucs-service`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runRun(cmd.Context(), opts)
		},
	}
	opts.register(cmd.Flags())
	cmd.Flags().StringSliceVar(&opts.only, "only", nil, "run only these `STEPS` (comma-separated ids); read-only steps they need are pulled in")
	cmd.Flags().StringSliceVar(&opts.skip, "skip", nil, "leave these `STEPS` out (comma-separated ids)")
	cmd.Flags().BoolVar(&opts.rotateSecret, "rotate-secret", false, "auth-client: give an existing client a new secret (register-gws must follow)")
	cmd.Flags().StringVarP(&opts.output, "output", "o", "text", "output `FORMAT`: text or json (one JSON document on stdout)")
	cmd.Flags().StringVar(&opts.report, "report", "", "write a redacted Markdown report of the run to `FILE`")
	cmd.Flags().BoolVar(&opts.reveal, "reveal", false, "print the Nexus API key in the DesignerEnv values instead of masking it")
	cmd.Flags().BoolVar(&opts.noPreflight, "no-preflight", false, "skip the network preflight checks (the keyring is still proven; each step still checks before it acts)")
	return cmd
}

// runRun validates the inputs, proves the preflight checks, runs the
// selected steps and tells what they did.
func runRun(ctx context.Context, opts *runOptions) error {
	secrets.ProbeAhead() // the keyring check, while the configuration is read
	a := opts.app
	if opts.output != "text" && opts.output != "json" {
		return app.Usage("--output must be text or json (got %q)", opts.output)
	}
	reqTimeout, stepTimeout, err := opts.timeouts(a.Environ)
	if err != nil {
		return err
	}
	mode := allChecks
	if opts.noPreflight {
		mode = localChecks
	}
	p, err := a.prepare(&opts.common, opts.only, opts.skip, steps.Options{RotateSecret: opts.rotateSecret, Reveal: opts.reveal, HTTP: httpx.Options{Timeout: reqTimeout}}, mode)
	if err != nil {
		return err
	}
	defer p.env.Close()
	runner := &steps.Runner{Env: p.env, Store: p.store, StepTimeout: stepTimeout}
	defer runner.Close()
	// The contact center's lock first (when it is known): a second run is
	// refused before it asks anything of anyone.
	if err := runner.Attach(); err != nil {
		return &app.ExitError{Code: app.ExitUsage, Err: fmt.Errorf("%w\nNothing was changed.", p.env.Redactor.Wrap(err))}
	}
	if err := a.preflight(ctx, p.env, p.sel, mode == localChecks); err != nil {
		return err
	}
	if len(p.sel.Pulled) > 0 {
		fmt.Fprintf(a.Stderr, "also running %s: the selected steps need what it makes\n", strings.Join(p.sel.Pulled, ", "))
	}
	prog := newRunProgress(a.Stderr, p.sel, opts.verbose, stepTimeout)
	defer prog.stop()
	runner.OnEvent = prog.event
	start := time.Now()
	records, runErr := runner.Run(ctx, p.sel)
	if err := writeRunOutcome(ctx, opts, p, records, time.Since(start)); err != nil {
		return err
	}
	var sf *steps.StepFailedError
	if st := runner.State(); st != nil && (runErr == nil || errors.As(runErr, &sf) || errors.Is(runErr, steps.ErrInterrupted)) {
		fmt.Fprintln(a.Stderr, "state saved in", p.store.Path(st.CCID))
	}
	return exitFor(runErr, p.env)
}

// writeRunOutcome writes the records as --output asks, and the report
// when --report asks for one.
func writeRunOutcome(ctx context.Context, opts *runOptions, p *prepared, records []*steps.Record, elapsed time.Duration) error {
	a := opts.app
	var reveal string
	if opts.reveal {
		// Only a key known to be this environment's tenant's.
		reveal, _, _, _, _ = steps.TenantKey(context.WithoutCancel(ctx), p.env)
	}
	if opts.output == "json" {
		if err := writeJSON(a.Stdout, records, reveal); err != nil {
			return err
		}
	} else {
		writeSummary(a.Stdout, records, p.env, reveal, elapsed)
	}
	if opts.report != "" {
		md := steps.Report(p.vals, records, p.env.Redactor, time.Now())
		if err := os.WriteFile(opts.report, []byte(md), 0o600); err != nil {
			fmt.Fprintln(a.Stderr, "warning: could not write the report:", err)
		} else {
			fmt.Fprintln(a.Stderr, "report written to", opts.report)
		}
	}
	return nil
}

// exitFor is the error a run's outcome ends the command with: its code is
// app.RunCode's, its message says what to do next.
func exitFor(err error, env *steps.Env) error {
	code := app.RunCode(err)
	switch code {
	case app.ExitOK:
		return nil
	case app.ExitInterrupted:
		return &app.ExitError{Code: code, Err: errors.New("interrupted: the state is saved; run again to resume")}
	}
	var sf *steps.StepFailedError
	if errors.As(err, &sf) {
		return &app.ExitError{Code: code, Err: fmt.Errorf("%s\nFix the cause and run again: finished steps are checked, not repeated.", env.Redactor.String(err.Error()))}
	}
	// Locked by another run, or a refused state (ExitUsage: nothing was
	// changed), or a failure outside any step (ExitStepFailed).
	return &app.ExitError{Code: code, Err: env.Redactor.Wrap(err)}
}
