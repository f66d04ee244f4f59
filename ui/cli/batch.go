package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/nexus-onboard/nexus-onboard/clients/httpx"
	"github.com/nexus-onboard/nexus-onboard/clients/secrets"
	"github.com/nexus-onboard/nexus-onboard/steps"
	"github.com/nexus-onboard/nexus-onboard/ui/app"
)

// batchOptions are the flags of `batch` and its subcommands.
type batchOptions struct {
	app *App
	// common holds --state-dir and the timeouts; batch has no input flag:
	// inputs come from the manifest and the environment.
	common
	parallel int
	index    int // -1: every tenant
	output   string
	yes      bool
	// onDone, when set (tests), is told each tenant's result as it ends.
	onDone func(steps.BatchResult)
}

func newCmdBatch(a *App) *cobra.Command {
	opts := &batchOptions{app: a}
	cmd := &cobra.Command{
		Use:   "batch FILE",
		Short: "Onboard many tenants from one manifest",
		Long: `Onboard every tenant of a YAML manifest: defaults: (any input key) and
tenants: (one input map each; cc_id, tenant_name, tenant_user and its password
required). A tenant's inputs: its own map > NEXUS_ONBOARD_* environment >
defaults > default. Secrets are given as <key>_env: VAR or <key>_file: PATH;
a clear secret in a manifest readable by group or others is refused.

Each tenant keeps its own state and lock, so a re-run resumes only what is
unfinished. The environment's Auth client and nex_gapis row are made by the
first tenant of each environment before its other tenants start.

Output: one line per tenant as it ends (index, cc_id, tenant_name, status,
elapsed, failed step: error; tab-separated) and a summary line; a live table
on a terminal; --output json: {"tenants":[{cc_id, tenant_name, status, steps}]}.

Exit codes: 0 every tenant ok, 1 a tenant failed, 2 usage or manifest error
(nothing was sent), 130 interrupted (each tenant's state saved; run again).`,
		Example: `  nexus-onboard batch tenants.yaml --parallel 8
  nexus-onboard batch tenants.yaml --index "$JOB_COMPLETION_INDEX" --output json
  nexus-onboard batch plan tenants.yaml`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return batchRun(cmd.Context(), opts, args[0])
		},
	}
	opts.registerBatch(cmd.PersistentFlags())
	cmd.Flags().IntVar(&opts.parallel, "parallel", steps.DefaultParallel, "onboard at most `N` tenants at once (and as many connections per host)")
	cmd.Flags().StringVarP(&opts.output, "output", "o", "text", "output `FORMAT`: text or json (one JSON document on stdout)")
	cmd.AddCommand(newCmdBatchPlan(opts), newCmdBatchDoctor(opts), newCmdBatchReset(opts))
	return cmd
}

// registerBatch adds the flags every batch command shares.
func (o *batchOptions) registerBatch(fs *pflag.FlagSet) {
	o.flags = fs
	fs.IntVar(&o.index, "index", -1, "only the tenant at 0-based index `I` (a Kubernetes Indexed Job's JOB_COMPLETION_INDEX)")
	fs.StringVar(&o.stateDir, "state-dir", "", "keep the state in `DIR` (default $XDG_STATE_HOME/nexus-onboard; env "+steps.EnvPrefix+"STATE_DIR)")
	fs.DurationVar(&o.requestTimeout, "request-timeout", httpx.DefaultTimeout, "deadline of each HTTP request attempt (env "+envRequestTimeout+")")
	fs.DurationVar(&o.stepTimeout, "step-timeout", steps.DefaultStepTimeout, "time budget of each step, retries included (env "+envStepTimeout+")")
}

// batchTenants reads the manifest and resolves every tenant's inputs (or
// only --index's); every problem is reported at once, each with its
// tenant index, as a usage error: nothing has been sent.
func (o *batchOptions) batchTenants(file string, forPlan bool) ([]steps.BatchTenant, error) {
	a := o.app
	vals, problems := steps.ReadManifest(file, a.Environ, forPlan)
	if len(problems) > 0 {
		return nil, &app.ExitError{Code: app.ExitUsage, Err: fmt.Errorf("%s: %w\nNothing was sent.", file, problems)}
	}
	if o.index >= len(vals) || o.index < -1 {
		return nil, app.Usage("--index %d: the manifest has %s (0 to %d)", o.index, steps.Plural(len(vals), "tenant"), len(vals)-1)
	}
	var out []steps.BatchTenant
	for i, v := range vals {
		if o.index == -1 || o.index == i {
			out = append(out, steps.BatchTenant{Index: i, Values: v})
		}
	}
	return out, nil
}

// syncWriter serialises writes of concurrent tenants.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// batchRun onboards the manifest's tenants.
func batchRun(ctx context.Context, opts *batchOptions, file string) error {
	secrets.ProbeAhead() // the keyring check, while the configuration is read
	a := opts.app
	if opts.output != "text" && opts.output != "json" {
		return app.Usage("--output must be text or json (got %q)", opts.output)
	}
	if opts.parallel < 1 {
		return app.Usage("--parallel must be at least 1 (got %d)", opts.parallel)
	}
	reqTimeout, stepTimeout, err := opts.timeouts(a.Environ)
	if err != nil {
		return err
	}
	tenants, err := opts.batchTenants(file, false)
	if err != nil {
		return err
	}
	if err := opts.useTenantStore(a, tenants); err != nil {
		return err
	}
	// The keyring is proven once, before anything is sent: every tenant
	// keeps its secrets there.
	kr := a.keyring()
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	kerr := kr.Probe(pctx)
	cancel()
	if kerr != nil {
		return &app.ExitError{Code: app.ExitUsage, Err: fmt.Errorf("the OS keyring cannot keep the tenants' secrets: %w\nNothing was sent.", kerr)}
	}
	stderr := &syncWriter{w: a.Stderr}
	b := &steps.Batch{
		Tenants:     tenants,
		Store:       opts.store(a.Environ),
		Parallel:    opts.parallel,
		StepTimeout: stepTimeout,
		Options: steps.Options{
			HTTP:       httpx.Options{Timeout: reqTimeout},
			Keyring:    kr,
			Warn:       func(s string) { fmt.Fprintln(stderr, "warning:", s) },
			Invocation: steps.Invocation{StateDir: absPath(opts.stateDir)},
		},
	}
	defer b.CloseIdle()
	start := time.Now()
	var results []steps.BatchResult
	if opts.output == "text" && isTerminal(a.Stdout) {
		results = runBatchView(ctx, a, b)
		for _, r := range results {
			if r.Status() == steps.TenantFailed {
				fmt.Fprintln(a.Stdout, tenantLine(r)) // the error, in full, stays in the scrollback
			}
		}
	} else {
		stdout := &syncWriter{w: a.Stdout}
		b.OnDone = func(r steps.BatchResult) {
			if opts.output == "text" {
				fmt.Fprintln(stdout, tenantLine(r))
			}
			if opts.onDone != nil {
				opts.onDone(r)
			}
		}
		results = b.Run(ctx)
	}
	if opts.output == "json" {
		if err := writeBatchJSON(a.Stdout, results); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(a.Stdout, batchSummary(results, time.Since(start)))
	}
	return batchOutcome(results, b.Store)
}

// tenantLine is a finished tenant as batch prints it, tab-separated:
// index, cc_id, tenant_name, status, elapsed, and the failed step and its
// error when it failed.
func tenantLine(r steps.BatchResult) string {
	line := fmt.Sprintf("%d\t%s\t%s\t%s\t%s", r.Index, r.CCID, r.TenantName, r.Status(), fmtMS(r.Elapsed.Milliseconds()))
	if r.Status() == steps.TenantFailed {
		step, why := r.Failure()
		if step == "" {
			step = "-"
		}
		line += "\t" + step + ": " + clipLine(why, 300)
	}
	return line
}

// batchSummary counts the tenants by status.
func batchSummary(results []steps.BatchResult, elapsed time.Duration) string {
	n := map[string]int{}
	for _, r := range results {
		n[r.Status()]++
	}
	return fmt.Sprintf("batch: %s in %s: %d ok, %d failed, %d interrupted", steps.Plural(len(results), "tenant"), elapsed.Round(time.Millisecond), n[steps.TenantOK], n[steps.TenantFailed], n[steps.TenantInterrupted])
}

// jsonTenant is one element of `batch --output json`: a public contract.
type jsonTenant struct {
	CCID       string     `json:"cc_id"`
	TenantName string     `json:"tenant_name"`
	Status     string     `json:"status"`
	Steps      []jsonStep `json:"steps"`
}

// writeBatchJSON writes {"tenants":[…]}, each tenant's steps as run
// --output json has them.
func writeBatchJSON(w io.Writer, results []steps.BatchResult) error {
	doc := struct {
		Tenants []jsonTenant `json:"tenants"`
	}{Tenants: []jsonTenant{}}
	for _, r := range results {
		// The contract's status is ok or failed: a tenant stopped by
		// Ctrl+C/SIGTERM did not finish, so it is failed here (its steps
		// say "interrupted"; the exit code is 130).
		status := r.Status()
		if status == steps.TenantInterrupted {
			status = steps.TenantFailed
		}
		doc.Tenants = append(doc.Tenants, jsonTenant{CCID: r.CCID, TenantName: r.TenantName, Status: status, Steps: jsonSteps(r.Records, "")})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}

// batchOutcome is the command's exit: 130 when interrupted, 1 when a
// tenant failed, 0 when every tenant is ok.
func batchOutcome(results []steps.BatchResult, store steps.Store) error {
	var failed, interrupted int
	for _, r := range results {
		switch r.Status() {
		case steps.TenantFailed:
			failed++
		case steps.TenantInterrupted:
			interrupted++
		}
	}
	switch {
	case interrupted > 0:
		return &app.ExitError{Code: app.ExitInterrupted, Err: fmt.Errorf("interrupted: each tenant's state is saved in %s; run the batch again to resume", store.Dir)}
	case failed > 0:
		return &app.ExitError{Code: app.ExitStepFailed, Err: errors.New(steps.Plural(failed, "tenant") + " failed: fix the cause and run the batch again; finished steps are checked, not repeated")}
	}
	return nil
}

// useTenantStore connects secret_store: kubernetes for a batch. Its
// Secrets, ConfigMaps and Leases are per contact center, so a batch keeps
// them in Kubernetes one tenant per process: with --index, as the Indexed
// Job in deploy/kubernetes runs it.
func (c *common) useTenantStore(a *App, tenants []steps.BatchTenant) error {
	kubernetes := 0
	for _, t := range tenants {
		if t.Values.Get(steps.KeySecretStore) == steps.StoreKubernetes {
			kubernetes++
		}
	}
	switch {
	case kubernetes == 0:
		return nil
	case len(tenants) != 1:
		return app.Usage("secret_store: kubernetes keeps each tenant's secrets, state and lock in its own Secret, ConfigMap and Lease: run one tenant per process with --index I (deploy/kubernetes/indexed-job.yaml does, with $JOB_COMPLETION_INDEX)\nNothing was sent.")
	}
	if err := c.useSecretStore(a, tenants[0].Values); err != nil {
		return &app.ExitError{Code: app.ExitUsage, Err: err}
	}
	return nil
}
