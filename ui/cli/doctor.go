package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nexus-onboard/nexus-onboard/clients/secrets"
	"github.com/nexus-onboard/nexus-onboard/steps"
	"github.com/nexus-onboard/nexus-onboard/ui/app"
)

// doctorOptions are the flags of `doctor`.
type doctorOptions struct {
	app *App
	common
	output string
}

func newCmdDoctor(a *App) *cobra.Command {
	opts := &doctorOptions{app: a}
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check, live and read-only, that the tenant is still onboarded",
		Long: `Check, live and read-only, whether the work of every step is still in place:
the Auth client exists and accepts the secret in the keyring, nex_gapis holds
that secret (without db_url: a read-only SQL to check by hand), chat-service-uri
is nexus_url, the tenant's API key is in the keyring; UCS and DesignerEnv have
no read API and say what to look at. Only GETs, SELECTs and token requests are
sent. A drifted step prints the command that repairs it.

Exit codes: 0 everything consistent, 3 drift found, 1 a check could not run,
2 usage or input error.`,
		Example: `  nexus-onboard doctor --config tenant.yaml
  nexus-onboard doctor --config tenant.yaml --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return doctorRun(cmd.Context(), opts)
		},
	}
	opts.register(cmd.Flags())
	cmd.Flags().StringVarP(&opts.output, "output", "o", "text", "output `FORMAT`: text or json")
	return cmd
}

// doctorRun checks every step against the live services.
func doctorRun(ctx context.Context, opts *doctorOptions) error {
	secrets.Warm() // while the configuration is read
	a := opts.app
	if opts.output != "text" && opts.output != "json" {
		return app.Usage("--output must be text or json (got %q)", opts.output)
	}
	p, err := a.prepare(&opts.common, nil, nil, steps.Options{}, allChecks)
	if err != nil {
		return err
	}
	defer p.env.Close()
	cc := p.vals.Get(steps.KeyCCID)
	st, err := p.store.Load(cc)
	if err != nil {
		return &app.ExitError{Code: app.ExitUsage, Err: err}
	}
	if len(st.Steps) == 0 {
		return app.Usage("no state for contact center %s in %s: doctor checks what a run onboarded; run it first, or give the --state-dir it used", cc, p.store.Dir)
	}
	ds := steps.Doctor(ctx, p.env, st)
	if ctx.Err() != nil {
		return app.Exit(app.ExitInterrupted, "interrupted: doctor changes nothing; run it again")
	}
	if opts.output == "json" {
		if err := writeDoctorJSON(a.Stdout, ds); err != nil {
			return err
		}
	} else {
		writeDoctor(a.Stdout, ds)
	}
	return doctorOutcome(ds)
}

// doctorOutcome is the exit of a doctor: drift first (it is actionable),
// then a check that could not run.
func doctorOutcome(ds []steps.Diagnosis) error {
	var drift, failed []string
	for _, d := range ds {
		switch d.Status {
		case steps.HealthDrift:
			drift = append(drift, d.ID)
		case steps.HealthError, steps.HealthUnknown:
			failed = append(failed, d.ID)
		}
	}
	switch {
	case len(drift) > 0:
		return app.Exit(app.ExitDrift, "drift found in %s: run the fix printed under each", strings.Join(drift, ", "))
	case len(failed) > 0:
		return app.Exit(app.ExitStepFailed, "could not check %s: see why above, then run doctor again", strings.Join(failed, ", "))
	}
	return nil
}

var healthMark = map[steps.Health]string{
	steps.HealthOK: "✓", steps.HealthDrift: "✗", steps.HealthManual: "✋",
	steps.HealthUnknown: "–", steps.HealthError: "!",
}

func writeDoctor(w io.Writer, ds []steps.Diagnosis) {
	for _, d := range ds {
		fmt.Fprintf(w, "%s %-17s %-8s %s\n", healthMark[d.Status], d.ID, d.Status, d.Detail)
		if d.Fix != "" {
			fmt.Fprintf(w, "    fix: %s\n", d.Fix)
		}
		if d.SQL != "" {
			fmt.Fprintln(w, "    check by hand with psql:")
			fmt.Fprintln(w, indent(strings.TrimRight(d.SQL, "\n"), "      "))
		}
	}
}

// writeDoctorJSON writes {"checks":[{id,status,detail,fix}]}: a public
// contract.
func writeDoctorJSON(w io.Writer, ds []steps.Diagnosis) error {
	doc := struct {
		Checks []steps.Diagnosis `json:"checks"`
	}{Checks: ds}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}
