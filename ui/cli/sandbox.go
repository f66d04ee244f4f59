package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/nexus-onboard/nexus-onboard/clients/redact"
	"github.com/nexus-onboard/nexus-onboard/clients/secrets"
	"github.com/nexus-onboard/nexus-onboard/steps"
	"github.com/nexus-onboard/nexus-onboard/ui/app"
)

// sandboxOptions are the flags of `sandbox`.
type sandboxOptions struct {
	app        *App
	serve      bool
	accessible bool
	dir        string // "": a new temp dir, removed on exit
	tenants    int    // --tenants: contact centers, and a batch manifest
}

func newCmdSandbox(a *App) *cobra.Command {
	opts := &sandboxOptions{app: a}
	cmd := &cobra.Command{
		Use:   "sandbox",
		Short: "Start the built-in sandbox (simulated Auth, Environment and Digital Channels)",
		Long: `Start a simulated Genesys (Auth, Environment, Digital Channels, and a throwaway
PostgreSQL with nex_gapis when PostgreSQL is installed) on loopback, over HTTPS
with its own CA. Without --serve it opens the wizard against it, pre-filled.
With --serve it prints the URLs and a ready config file and waits for Ctrl+C.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return sandboxRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.serve, "serve", false, "serve only: print the URLs and config path, wait for Ctrl+C")
	cmd.Flags().StringVar(&opts.dir, "dir", "", "keep the CA, config and state in `DIR` (default: a new temp dir, removed on exit)")
	cmd.Flags().BoolVar(&opts.accessible, "accessible", false, "plain prompts and no animation")
	cmd.Flags().IntVar(&opts.tenants, "tenants", 0, "with --serve: serve `N` contact centers and write a batch manifest of N tenants (secrets as files)")
	return cmd
}

// sandboxRun starts the sandbox, then opens the wizard against it or,
// with --serve, tells its URLs and waits for ctx to end. Either way it
// leaves no secret or directory of its own behind.
func sandboxRun(ctx context.Context, opts *sandboxOptions) error {
	a := opts.app
	if a.StartSandbox == nil {
		return app.Usage("the sandbox is not available in this build")
	}
	if !opts.serve && (!isTerminal(a.Stdin) || !isTerminal(a.Stdout)) {
		return app.Usage("the wizard needs a terminal (stdin and stdout); for scripts use `nexus-onboard sandbox --serve` and `nexus-onboard run --config FILE`")
	}
	// `sandbox --serve | tee log` then Ctrl+C: tee dies first, and a
	// write to the broken pipe must not kill the sandbox before it
	// has removed its secrets and directory.
	signal.Ignore(syscall.SIGPIPE)
	dir, ownDir := opts.dir, opts.dir == ""
	if ownDir {
		d, err := os.MkdirTemp("", "nexus-sandbox-")
		if err != nil {
			return err
		}
		dir = d
	}
	var sb *app.SandboxInfo
	var err error
	switch {
	case opts.tenants < 0 || opts.tenants > 0 && !opts.serve:
		err = app.Usage("--tenants N needs --serve and N ≥ 1")
	case opts.tenants > 0 && a.StartSandboxTenants == nil:
		err = app.Usage("sandbox --tenants is not available in this build")
	case opts.tenants > 0:
		sb, err = a.StartSandboxTenants(ctx, dir, opts.tenants)
	default:
		sb, err = a.StartSandbox(ctx, dir)
	}
	if ee := (*app.ExitError)(nil); errors.As(err, &ee) {
		if ownDir {
			os.RemoveAll(dir)
		}
		return err
	}
	if err != nil {
		if ownDir {
			os.RemoveAll(dir)
		}
		return &app.ExitError{Code: app.ExitUsage, Err: fmt.Errorf("start the sandbox: %w", err)}
	}
	// A sandbox is a throwaway world: when it stops, the secrets it
	// made leave the keyring and its directory (a config holding
	// its passwords) goes, so the next sandbox meets none of them.
	defer func() {
		sb.Close()
		a.forgetSandbox(sb, steps.Store{Dir: dir + "/state"})
		if ownDir {
			os.RemoveAll(dir)
		}
	}()
	// The sandbox brings its own keyring when the OS has none: its
	// secrets then live in this process and vanish with it. Only the
	// sandbox: real runs refuse without a keyring.
	pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	kerr := a.keyring().Probe(pctx)
	cancel()
	if !opts.serve {
		return sandboxWizard(ctx, opts, sb, dir, kerr)
	}
	return sandboxServe(ctx, opts, sb, dir, kerr)
}

// sandboxWizard opens the wizard pre-filled with the sandbox's config and
// state; kerr, the OS keyring's failure, makes it keep secrets in memory.
func sandboxWizard(ctx context.Context, opts *sandboxOptions, sb *app.SandboxInfo, dir string, kerr error) error {
	a := opts.app
	var c common
	c.register(pflag.NewFlagSet("sandbox", pflag.ContinueOnError)) // the defaults, and no input given by flag
	c.config = sb.ConfigPath
	c.stateDir = dir + "/state"
	var kr steps.Keyring
	note := ""
	if kerr != nil {
		kr = secrets.NewMemory()
		note = "no OS keyring answered: this sandbox keeps its secrets in memory, and they vanish when it stops (real runs need a keyring)"
	}
	return a.openWizardWith(ctx, &c, opts.accessible || envBool(a.Environ, steps.EnvPrefix+"ACCESSIBLE"), sb, kr, note)
}

// sandboxServe tells the sandbox's URLs and config, and waits for ctx.
func sandboxServe(ctx context.Context, opts *sandboxOptions, sb *app.SandboxInfo, dir string, kerr error) error {
	a := opts.app
	if kerr != nil {
		fmt.Fprintf(a.Stderr, "warning: %v\n  `nexus-onboard run` against this sandbox needs an OS keyring; `nexus-onboard sandbox` (the wizard) works without one.\n", kerr)
	}
	writeSandboxInfo(a.Stdout, sb, dir)
	<-ctx.Done()
	fmt.Fprintln(a.Stderr, "sandbox stopped")
	return nil
}

// writeSandboxInfo tells where the sandbox listens and how to run against it.
func writeSandboxInfo(w io.Writer, sb *app.SandboxInfo, dir string) {
	fmt.Fprintf(w, "sandbox running (Ctrl+C stops it)\n  auth_url   %s\n  gws_url    %s\n  nexus_url  %s\n  ucs_url    %s\n", sb.AuthURL, sb.GWSURL, sb.NexusURL, sb.UCSURL)
	if sb.DBURL != "" {
		fmt.Fprintf(w, "  database   %s\n", redactDSN(sb.DBURL))
	} else {
		fmt.Fprintf(w, "  database   none (%s): register-gws will be manual\n", sb.DBNote)
	}
	if sb.Faults != nil {
		if f := sb.Faults(); f != "" {
			fmt.Fprintf(w, "  faults     %s\n", f)
		}
	}
	fmt.Fprintf(w, "  cc_id      %s\nconfig: %s\n\ntry:\n  nexus-onboard run --config %s --state-dir %s/state\n", sb.CCID, sb.ConfigPath, sb.ConfigPath, dir)
	if sb.ManifestPath != "" {
		fmt.Fprintf(w, "\nbatch manifest: %s\n  its secrets are files in %s (<key>_file); to use variables instead, replace\n  <key>_file: PATH by <key>_env: VAR and export VAR=\"$(cat PATH)\"\ntry:\n  nexus-onboard batch %s --state-dir %s/state\n", sb.ManifestPath, sb.SecretsDir, sb.ManifestPath, dir)
	}
}

func redactDSN(dsn string) string { return redact.New().URL(dsn) }

// forgetSandbox deletes the keyring entries a sandbox's runs stored: those
// its state files record, and the accounts of its own default inputs.
func (a *App) forgetSandbox(sb *app.SandboxInfo, store steps.Store) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	accounts := map[string]bool{
		secrets.ClientSecretAccount(sb.AuthURL, defaultClientID()): true,
		secrets.Account(sb.CCID, secrets.NexusAPIKey):              true,
	}
	for _, cc := range store.List() {
		if st, err := store.Load(cc); err == nil {
			for _, o := range st.Secrets {
				accounts[o.Account] = true
			}
		}
	}
	kr := a.keyring()
	for acct := range accounts {
		if acct != "" {
			_ = kr.Delete(ctx, acct)
		}
	}
}

func defaultClientID() string {
	in, _ := steps.LookupInput(steps.KeyClientID)
	return in.Default
}
