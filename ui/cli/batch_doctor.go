package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/nexus-onboard/nexus-onboard/clients/httpx"
	"github.com/nexus-onboard/nexus-onboard/steps"
	"github.com/nexus-onboard/nexus-onboard/ui/app"
)

func newCmdBatchDoctor(opts *batchOptions) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "doctor FILE",
		Short: "Check, live and read-only, every tenant of the manifest",
		Long: `Run doctor for each tenant of the manifest (or --index's): only GETs, SELECTs
and token requests. A drifted step prints the command that repairs it.

Exit codes: 0 everything consistent, 3 drift found in any tenant, 1 a check
could not run (or a tenant has no state), 2 usage or manifest error.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return batchDoctorRun(cmd.Context(), opts, args[0], output)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output `FORMAT`: text or json ({\"tenants\":[{cc_id, tenant_name, checks}]})")
	return cmd
}

// jsonDoctorTenant is one element of `batch doctor --output json`.
type jsonDoctorTenant struct {
	CCID       string            `json:"cc_id"`
	TenantName string            `json:"tenant_name"`
	Error      string            `json:"error,omitempty"`
	Checks     []steps.Diagnosis `json:"checks"`
}

// batchDoctorRun checks every tenant in turn.
func batchDoctorRun(ctx context.Context, opts *batchOptions, file, output string) error {
	a := opts.app
	if output != "text" && output != "json" {
		return app.Usage("--output must be text or json (got %q)", output)
	}
	reqTimeout, _, err := opts.timeouts(a.Environ)
	if err != nil {
		return err
	}
	tenants, err := opts.batchTenants(file, false)
	if err != nil {
		return err
	}
	store := opts.store(a.Environ)
	var doc []jsonDoctorTenant
	var all []steps.Diagnosis
	for _, t := range tenants {
		jt := jsonDoctorTenant{CCID: t.Values.Get(steps.KeyCCID), TenantName: t.Values.Get(steps.KeyTenantName), Checks: []steps.Diagnosis{}}
		if output == "text" {
			fmt.Fprintf(a.Stdout, "#### tenant %d: %s %s\n", t.Index, jt.CCID, jt.TenantName)
		}
		ds, err := doctorTenant(ctx, a, store, t, reqTimeout)
		if ctx.Err() != nil {
			return app.Exit(app.ExitInterrupted, "interrupted: doctor changes nothing; run it again")
		}
		if err != nil {
			// A tenant that cannot be checked counts as a check that could not run.
			jt.Error = err.Error()
			ds = []steps.Diagnosis{{ID: "state", Status: steps.HealthError, Detail: jt.Error}}
			if output == "text" {
				fmt.Fprintf(a.Stdout, "! %s\n", jt.Error)
			}
		} else {
			jt.Checks = ds
			if output == "text" {
				writeDoctor(a.Stdout, ds)
			}
		}
		all = append(all, ds...)
		doc = append(doc, jt)
	}
	if output == "json" {
		enc := json.NewEncoder(a.Stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(struct {
			Tenants []jsonDoctorTenant `json:"tenants"`
		}{doc}); err != nil {
			return err
		}
	}
	return doctorOutcome(all)
}

// doctorTenant runs the doctor for one tenant; an error when it has no
// state (or a refused one) or its clients cannot be built.
func doctorTenant(ctx context.Context, a *App, store steps.Store, t steps.BatchTenant, reqTimeout time.Duration) ([]steps.Diagnosis, error) {
	cc := t.Values.Get(steps.KeyCCID)
	st, err := store.Load(cc)
	if err != nil {
		return nil, err
	}
	if len(st.Steps) == 0 {
		return nil, fmt.Errorf("no state for contact center %s in %s: run the batch first, or give the --state-dir it used", cc, store.Dir)
	}
	opts := steps.Options{Keyring: a.Keyring, Warn: func(s string) { a.warn(steps.TenantPart(t.Index) + ": " + s) },
		Invocation: steps.Invocation{StateDir: store.Dir, Flags: t.Values.NonSecret()}}
	opts.HTTP = httpx.Options{Timeout: reqTimeout}
	env, err := steps.NewEnv(t.Values, opts)
	if err != nil {
		return nil, err
	}
	defer env.Close()
	ds := steps.Doctor(ctx, env, st)
	for i := range ds {
		ds[i].Detail = strings.TrimSpace(ds[i].Detail)
	}
	return ds, nil
}
