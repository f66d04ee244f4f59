package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/nexus-onboard/nexus-onboard/clients/secrets"
	"github.com/nexus-onboard/nexus-onboard/steps"
	"github.com/nexus-onboard/nexus-onboard/ui/app"
)

// secretsOptions are the flags every `secrets` command shares: which
// environment and contact centers (--config, --cc-id, --state-dir). The
// entries are read from App.Keyring (nil: the OS keyring).
type secretsOptions struct {
	app *App
	common
}

// secretsListOptions are the flags of `secrets list`.
type secretsListOptions struct {
	*secretsOptions
}

// secretsShowOptions are the flags and argument of `secrets show`.
type secretsShowOptions struct {
	*secretsOptions
	name   string // client_secret, nexus_api_key or an account
	reveal bool
}

// secretsDeleteOptions are the flags and argument of `secrets delete`.
type secretsDeleteOptions struct {
	*secretsOptions
	name string // client_secret, nexus_api_key or an account
	yes  bool
}

func newCmdSecrets(a *App) *cobra.Command {
	opts := &secretsOptions{app: a}
	cmd := &cobra.Command{
		Use:   "secrets",
		Short: "What the tool keeps in the OS keyring (list, show, delete)",
		Long: `The tool keeps its secrets in the OS keyring, service "nexus-onboard":
the Auth client's secret per environment, account <auth host>/<client_id>/client_secret,
and each tenant's Nexus API key per contact center, account <cc_id>/nexus_api_key.
show and delete take a name (client_secret, nexus_api_key: of the config's environment
and contact center) or an account exactly as list prints it.`,
	}
	fs := cmd.PersistentFlags()
	fs.StringVarP(&opts.config, "config", "c", "", "read the environment and cc_id from the YAML `FILE`")
	fs.StringVar(&opts.stateDir, "state-dir", "", "the state is in `DIR` (default $XDG_STATE_HOME/nexus-onboard; env "+steps.EnvPrefix+"STATE_DIR)")
	opts.inputs = map[string]*string{steps.KeyCCID: fs.String("cc-id", "", "contact center `ID` (default: the config's cc_id)")}
	opts.flags = fs
	cmd.AddCommand(newCmdSecretsList(opts), newCmdSecretsShow(opts), newCmdSecretsDelete(opts))
	return cmd
}

func newCmdSecretsList(shared *secretsOptions) *cobra.Command {
	opts := &secretsListOptions{secretsOptions: shared}
	return &cobra.Command{
		Use:   "list",
		Short: "List the keyring entries of the environment and every known contact center (values masked)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return secretsListRun(cmd.Context(), opts)
		},
	}
}

func newCmdSecretsShow(shared *secretsOptions) *cobra.Command {
	opts := &secretsShowOptions{secretsOptions: shared}
	cmd := &cobra.Command{
		Use:   "show client_secret|nexus_api_key|ACCOUNT",
		Short: "Show one entry (masked unless --reveal)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.name = args[0]
			return secretsShowRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.reveal, "reveal", false, "print the secret value")
	return cmd
}

func newCmdSecretsDelete(shared *secretsOptions) *cobra.Command {
	opts := &secretsDeleteOptions{secretsOptions: shared}
	cmd := &cobra.Command{
		Use:   "delete client_secret|nexus_api_key|ACCOUNT",
		Short: "Delete one entry from the keyring",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.name = args[0]
			return secretsDeleteRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVarP(&opts.yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}

// secretsListRun prints, for every account the tool may hold, whether the
// keyring holds it. It never prints a value.
func secretsListRun(ctx context.Context, opts *secretsListOptions) error {
	a := opts.app
	accts, _ := opts.accounts() // loads the inputs, and so picks the store
	kr := a.keyring()
	tw := tabwriter.NewWriter(a.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVICE\tACCOUNT\tPRESENT")
	for _, acct := range accts {
		_, err := kr.Get(ctx, acct)
		present := "yes"
		switch {
		case errors.Is(err, secrets.ErrNotFound):
			present = "no"
		case err != nil:
			return &app.ExitError{Code: app.ExitUsage, Err: err}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", secrets.Service, acct, present)
	}
	if len(accts) == 0 {
		fmt.Fprintln(a.Stderr, "no environment or contact center known: give --config (or --cc-id) or the --state-dir of your runs")
	}
	return tw.Flush()
}

// secretsShowRun prints one entry, masked unless opts.reveal.
func secretsShowRun(ctx context.Context, opts *secretsShowOptions) error {
	a := opts.app
	acct, err := opts.account(opts.name)
	if err != nil {
		return err
	}
	v, err := a.keyring().Get(ctx, acct)
	if err != nil {
		return &app.ExitError{Code: app.ExitStepFailed, Err: fmt.Errorf("%s / %s: %w", secrets.Service, acct, err)}
	}
	if !opts.reveal {
		fmt.Fprintf(a.Stdout, "%s / %s: %s (%d characters; --reveal prints it)\n", secrets.Service, acct, "****", len(v))
		return nil
	}
	fmt.Fprintln(a.Stdout, v)
	return nil
}

// secretsDeleteRun deletes one entry, once confirmed (or opts.yes).
func secretsDeleteRun(ctx context.Context, opts *secretsDeleteOptions) error {
	a := opts.app
	acct, err := opts.account(opts.name)
	if err != nil {
		return err
	}
	if !opts.yes && !confirm(a, fmt.Sprintf("Delete %s / %s from the keyring? It cannot be read back from Genesys.", secrets.Service, acct)) {
		return &app.ExitError{Code: app.ExitUsage, Err: errors.New("not deleted: confirm at the prompt, or give --yes (without a terminal there is no prompt)")}
	}
	if err := a.keyring().Delete(ctx, acct); err != nil {
		return &app.ExitError{Code: app.ExitStepFailed, Err: err}
	}
	fmt.Fprintf(a.Stdout, "deleted %s / %s\n", secrets.Service, acct)
	return nil
}

// accounts lists the accounts the tool may hold: those of the inputs
// (config, environment, --cc-id) and those every state file of the
// state dir records, in a stable order without repeats.
func (o *secretsOptions) accounts() ([]string, steps.Values) {
	vals, _, _ := o.load(o.app)
	var out []string
	seen := map[string]bool{}
	add := func(acct string) {
		if acct != "" && !seen[acct] {
			seen[acct] = true
			out = append(out, acct)
		}
	}
	add(steps.KeyringAccount(vals, steps.OutClientSecret))
	add(steps.KeyringAccount(vals, steps.OutAPIKey))
	for _, acct := range stateAccounts(o.store(o.app.Environ)) {
		add(acct)
	}
	return out, vals
}

// stateAccounts are the accounts each readable state file of store names:
// those of its saved inputs and those it records storing.
func stateAccounts(store steps.Store) []string {
	var out []string
	for _, cc := range store.List() {
		st, err := store.Load(cc)
		if err != nil {
			continue
		}
		saved := steps.NewValues()
		saved.FillSaved(st.Inputs)
		saved.Set(steps.KeyCCID, cc, steps.FromUser)
		out = append(out, steps.KeyringAccount(saved, steps.OutClientSecret), steps.KeyringAccount(saved, steps.OutAPIKey))
		for _, o := range st.Secrets {
			out = append(out, o.Account)
		}
	}
	return out
}

// account resolves a name (client_secret, nexus_api_key) for the inputs'
// environment and contact center, or an account as list prints it.
func (o *secretsOptions) account(name string) (string, error) {
	accts, vals := o.accounts()
	switch {
	case name == secrets.ClientSecret:
		if acct := steps.KeyringAccount(vals, steps.OutClientSecret); acct != "" {
			return acct, nil
		}
		return "", app.Usage("client_secret belongs to an environment: give its auth_url (--config), or the account as `secrets list` prints it")
	case name == secrets.NexusAPIKey:
		if acct := steps.KeyringAccount(vals, steps.OutAPIKey); acct != "" {
			return acct, nil
		}
		return "", app.Usage("nexus_api_key belongs to a contact center: say which with --cc-id, or give the account as `secrets list` prints it")
	case slices.Contains(accts, name), strings.HasSuffix(name, "/"+secrets.ClientSecret), strings.HasSuffix(name, "/"+secrets.NexusAPIKey):
		return name, nil
	}
	return "", app.Usage("unknown secret %q: give client_secret, nexus_api_key, or an account as `secrets list` prints it", name)
}
