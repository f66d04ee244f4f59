package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nexus-onboard/nexus-onboard/clients/secrets"
	"github.com/nexus-onboard/nexus-onboard/steps"
	"github.com/nexus-onboard/nexus-onboard/ui/app"
)

// rotateOptions are the flags of `rotate`.
type rotateOptions struct {
	app *App
	common
	yes, cont bool
}

func newCmdRotate(a *App) *cobra.Command {
	opts := &rotateOptions{app: a}
	cmd := &cobra.Command{
		Use:   "rotate",
		Short: "Give the Auth client a new secret, everywhere it is kept",
		Long: `Generate a new client secret, give it to the Auth client, write it to
nex_gapis, verify it with a client_credentials token, and only then make it
the keyring's entry. Until then the new secret waits in the keyring under its
own account (<client secret account>_pending), and the state says which side
holds which secret: a failure or Ctrl+C at any point is finished by the next
rotate or run. Afterwards Auth refuses the old secret.

Without db_url the rotation stops after Auth with the SQL to run; run it,
then rotate --continue. Digital Channels may need a restart to pick up the
new secret from nex_gapis.

Exit codes: 0 rotated (or waiting for its SQL), 1 a stage failed (run rotate
again to finish), 2 usage or input error (nothing was changed), 130
interrupted (run rotate again to finish).`,
		Example: `  nexus-onboard rotate --config tenant.yaml --yes
  nexus-onboard rotate --config tenant.yaml --continue`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return rotateRun(cmd.Context(), opts)
		},
	}
	opts.register(cmd.Flags())
	cmd.Flags().BoolVarP(&opts.yes, "yes", "y", false, "do not ask for confirmation")
	cmd.Flags().BoolVar(&opts.cont, "continue", false, "the SQL a rotation without db_url printed has been run: finish it")
	return cmd
}

// rotateRun rotates the client secret, or finishes a rotation in flight.
func rotateRun(ctx context.Context, opts *rotateOptions) error {
	secrets.Warm() // while the configuration is read
	a := opts.app
	p, err := a.prepare(&opts.common, steps.RotationSteps(nil), nil, steps.Options{}, allChecks)
	if err != nil {
		return err
	}
	defer p.env.Close()
	cc := p.vals.Get(steps.KeyCCID)
	if cc == "" {
		return app.Usage("rotate needs cc_id: the state of a contact center records the rotation")
	}
	unlock, err := p.store.Lock(cc)
	if err != nil {
		return &app.ExitError{Code: app.ExitUsage, Err: err}
	}
	defer unlock()
	unlockEnv, err := p.store.LockEnvironment(p.vals)
	if err != nil {
		return &app.ExitError{Code: app.ExitUsage, Err: err}
	}
	defer unlockEnv()
	st, err := p.store.Load(cc)
	if err != nil {
		return &app.ExitError{Code: app.ExitUsage, Err: err}
	}
	id := p.vals.Get(steps.KeyClientID)
	if st.Rotation == nil && !opts.yes && !confirm(a, fmt.Sprintf("Give Auth client %s a new secret? Auth, nex_gapis and the keyring get it; the old secret stops working.", id)) {
		return app.Usage("rotation not confirmed: nothing was changed")
	}
	res, err := steps.Rotate(ctx, p.env, st, func() error { return p.store.Save(st) }, steps.RotateOptions{Continue: opts.cont})
	for _, n := range res.Notes {
		a.warn(n)
	}
	if err != nil {
		where := ""
		if r := st.Rotation; r != nil {
			where = fmt.Sprintf(" Now: Auth holds the %s secret, nex_gapis the %s one, the keyring's entry the %s one; the new one waits in %s.", r.Auth, r.Database, r.Keyring, r.Pending)
		}
		if ctx.Err() != nil {
			return app.Exit(app.ExitInterrupted, "interrupted: run rotate again to finish.%s", where)
		}
		return &app.ExitError{Code: app.ExitStepFailed, Err: fmt.Errorf("%s%s", p.env.Redactor.Error(err), where)}
	}
	switch {
	case res.Manual:
		fmt.Fprintf(a.Stdout, "Auth client %s has the new secret; nex_gapis does not yet (db_url is not set).\nRun this with psql against the Digital Channels database:\n\n%s\nthen finish the rotation with:\n  %s\n", id, indent(strings.TrimRight(res.SQL, "\n"), "  "), res.Continue)
	case res.Done:
		verb := "rotated"
		if res.Resumed {
			verb = "finished the interrupted rotation of"
		}
		fmt.Fprintf(a.Stdout, "✓ %s the secret of Auth client %s: Auth, nex_gapis and the keyring (%s) hold the new secret", verb, id, p.env.Account(steps.OutClientSecret))
		if res.OldRefused {
			fmt.Fprint(a.Stdout, "; Auth refuses the old one")
		}
		fmt.Fprintln(a.Stdout)
	}
	return nil
}
