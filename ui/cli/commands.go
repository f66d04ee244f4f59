package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/nexus-onboard/nexus-onboard/clients/redact"
	"github.com/nexus-onboard/nexus-onboard/clients/secrets"
	"github.com/nexus-onboard/nexus-onboard/steps"
)

func (a *App) planCommand() *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Show what run would send, changing nothing",
		Long:  "Print, for each selected step, the exact requests and SQL that run would send, with every secret masked. Nothing is sent.",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := a.prepare(&f.common, f.only, f.skip, steps.Options{RotateSecret: f.rotateSecret}, noChecks)
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
		},
	}
	f.registerNoSecrets(cmd.Flags())
	cmd.Flags().StringSliceVar(&f.only, "only", nil, "plan only these `STEPS` (comma-separated ids)")
	cmd.Flags().StringSliceVar(&f.skip, "skip", nil, "leave these `STEPS` out (comma-separated ids)")
	cmd.Flags().BoolVar(&f.rotateSecret, "rotate-secret", false, "plan a secret rotation for an existing client")
	return cmd
}

func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return strings.Join(lines, "\n")
}

func (a *App) stepsCommand() *cobra.Command {
	var c common
	var output string
	cmd := &cobra.Command{
		Use:   "steps",
		Short: "List the steps with their status from the last run",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if output != "text" && output != "json" {
				return usageErr("--output must be text or json (got %q)", output)
			}
			vals, warnings, problems := c.load(a)
			for _, w := range warnings {
				fmt.Fprintln(a.Stderr, "warning:", w)
			}
			store := c.store(a.Environ)
			cc := vals.Get(steps.KeyCCID)
			var st *steps.State
			if cc != "" {
				var err error
				if st, err = store.Load(cc); err != nil {
					// A refused state (*steps.StateError) is an input error.
					return &ExitError{Code: ExitUsage, Err: err}
				}
			} else if ps := stateProblems(problems); len(ps) > 0 {
				// The last contact center's state, which names it, is refused.
				return &ExitError{Code: ExitUsage, Err: ps}
			}
			if output == "json" {
				// The same shape as `run --output json`, from the saved state;
				// steps never run are "not-run".
				var recs []*steps.Record
				for _, s := range steps.All {
					r := &steps.Record{ID: s.ID, Status: steps.StatusNotRun}
					if st != nil && st.Steps[s.ID] != nil {
						r = st.Steps[s.ID]
					}
					recs = append(recs, r)
				}
				return writeJSON(a.Stdout, recs, "")
			}
			if cc != "" {
				fmt.Fprintf(a.Stdout, "contact center %s (state %s)\n\n", cc, store.Path(cc))
			} else {
				fmt.Fprintln(a.Stdout, "no contact center known yet: no run has saved a state")
				fmt.Fprintln(a.Stdout)
			}
			tw := tabwriter.NewWriter(a.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "STEP\tTITLE\tLAST STATUS\tWHEN\tDETAIL")
			for _, s := range steps.All {
				status, when, detail := "-", "", ""
				if st != nil {
					if r := st.Steps[s.ID]; r != nil {
						status = string(r.Status)
						if !r.Finished.IsZero() {
							when = r.Finished.Local().Format(time.DateTime)
						}
						detail = r.Message
						if r.Error != "" {
							detail = r.Error
						}
					}
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.ID, s.Title, status, when, clipLine(detail, 70))
			}
			return tw.Flush()
		},
	}
	c.registerNoSecrets(cmd.Flags())
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output `FORMAT`: text or json (the shape of run --output json)")
	return cmd
}

// stateProblems are the problems c.load reports about a refused state file.
func stateProblems(ps steps.Problems) steps.Problems {
	var out steps.Problems
	for _, p := range ps {
		if p.Key == stateProblemKey {
			out = append(out, p)
		}
	}
	return out
}

func clipLine(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

var secretNames = []string{secrets.ClientSecret, secrets.NexusAPIKey}

func (a *App) secretsCommand() *cobra.Command {
	var c common
	var reveal, yes bool
	cmd := &cobra.Command{
		Use:   "secrets",
		Short: "What the tool keeps in the OS keyring (list, show, delete)",
		Long: `The tool keeps its secrets in the OS keyring, service "nexus-onboard":
the Auth client's secret per environment, account <auth host>/<client_id>/client_secret,
and each tenant's Nexus API key per contact center, account <cc_id>/nexus_api_key.
show and delete take a name (client_secret, nexus_api_key: of the config's environment
and contact center) or an account exactly as list prints it.`,
	}
	// accounts lists the accounts the tool may hold: those of the inputs
	// (config, environment, --cc-id) and those every state file of the
	// state dir records, in a stable order without repeats.
	accounts := func() ([]string, steps.Values) {
		vals, _, _ := c.load(a)
		seen := map[string]bool{}
		var out []string
		add := func(acct string) {
			if acct != "" && !seen[acct] {
				seen[acct] = true
				out = append(out, acct)
			}
		}
		add(steps.KeyringAccount(vals, steps.OutClientSecret))
		add(steps.KeyringAccount(vals, steps.OutAPIKey))
		store := c.store(a.Environ)
		for _, cc := range store.List() {
			st, err := store.Load(cc)
			if err != nil {
				continue
			}
			saved := steps.NewValues()
			saved.FillSaved(st.Inputs)
			saved.Set(steps.KeyCCID, cc, steps.FromUser)
			add(steps.KeyringAccount(saved, steps.OutClientSecret))
			add(steps.KeyringAccount(saved, steps.OutAPIKey))
			for _, o := range st.Secrets {
				add(o.Account)
			}
		}
		return out, vals
	}
	list := &cobra.Command{
		Use:   "list",
		Short: "List the keyring entries of the environment and every known contact center (values masked)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			kr := a.keyring()
			accts, _ := accounts()
			tw := tabwriter.NewWriter(a.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "SERVICE\tACCOUNT\tPRESENT")
			for _, acct := range accts {
				_, err := kr.Get(cmd.Context(), acct)
				present := "yes"
				switch {
				case errors.Is(err, secrets.ErrNotFound):
					present = "no"
				case err != nil:
					return &ExitError{Code: ExitUsage, Err: err}
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\n", secrets.Service, acct, present)
			}
			if len(accts) == 0 {
				fmt.Fprintln(a.Stderr, "no environment or contact center known: give --config (or --cc-id) or the --state-dir of your runs")
			}
			return tw.Flush()
		},
	}
	// account resolves a name (client_secret, nexus_api_key) for the inputs'
	// environment and contact center, or an account as list prints it.
	account := func(args []string) (string, error) {
		accts, vals := accounts()
		switch arg := args[0]; {
		case arg == secrets.ClientSecret:
			if acct := steps.KeyringAccount(vals, steps.OutClientSecret); acct != "" {
				return acct, nil
			}
			return "", usageErr("client_secret belongs to an environment: give its auth_url (--config), or the account as `secrets list` prints it")
		case arg == secrets.NexusAPIKey:
			if acct := steps.KeyringAccount(vals, steps.OutAPIKey); acct != "" {
				return acct, nil
			}
			return "", usageErr("nexus_api_key belongs to a contact center: say which with --cc-id, or give the account as `secrets list` prints it")
		case slices.Contains(accts, arg), strings.HasSuffix(arg, "/"+secrets.ClientSecret), strings.HasSuffix(arg, "/"+secrets.NexusAPIKey):
			return arg, nil
		}
		return "", usageErr("unknown secret %q: give client_secret, nexus_api_key, or an account as `secrets list` prints it", args[0])
	}
	show := &cobra.Command{
		Use:   "show client_secret|nexus_api_key|ACCOUNT",
		Short: "Show one entry (masked unless --reveal)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			acct, err := account(args)
			if err != nil {
				return err
			}
			v, err := a.keyring().Get(cmd.Context(), acct)
			if err != nil {
				return &ExitError{Code: ExitStepFailed, Err: fmt.Errorf("%s / %s: %w", secrets.Service, acct, err)}
			}
			if !reveal {
				fmt.Fprintf(a.Stdout, "%s / %s: %s (%d characters; --reveal prints it)\n", secrets.Service, acct, "****", len(v))
				return nil
			}
			fmt.Fprintln(a.Stdout, v)
			return nil
		},
	}
	show.Flags().BoolVar(&reveal, "reveal", false, "print the secret value")
	del := &cobra.Command{
		Use:   "delete client_secret|nexus_api_key|ACCOUNT",
		Short: "Delete one entry from the keyring",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			acct, err := account(args)
			if err != nil {
				return err
			}
			if !yes && !confirm(a, fmt.Sprintf("Delete %s / %s from the keyring? It cannot be read back from Genesys.", secrets.Service, acct)) {
				return &ExitError{Code: ExitUsage, Err: errors.New("not deleted: confirm at the prompt, or give --yes (without a terminal there is no prompt)")}
			}
			if err := a.keyring().Delete(cmd.Context(), acct); err != nil {
				return &ExitError{Code: ExitStepFailed, Err: err}
			}
			fmt.Fprintf(a.Stdout, "deleted %s / %s\n", secrets.Service, acct)
			return nil
		},
	}
	del.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	cmd.PersistentFlags().StringVarP(&c.config, "config", "c", "", "read the environment and cc_id from the YAML `FILE`")
	cmd.PersistentFlags().StringVar(&c.stateDir, "state-dir", "", "the state is in `DIR` (default $XDG_STATE_HOME/nexus-onboard; env "+steps.EnvPrefix+"STATE_DIR)")
	c.inputs = map[string]*string{steps.KeyCCID: cmd.PersistentFlags().String("cc-id", "", "contact center `ID` (default: the config's cc_id)")}
	c.flags = cmd.PersistentFlags()
	cmd.AddCommand(list, show, del)
	return cmd
}

func confirm(a *App, question string) bool {
	if !isTerminal(a.Stdin) {
		fmt.Fprintln(a.Stderr, question, "(not a terminal: pass --yes)")
		return false
	}
	fmt.Fprintf(a.Stderr, "%s [y/N] ", question)
	line, _ := bufio.NewReader(a.Stdin).ReadString('\n')
	return strings.EqualFold(strings.TrimSpace(line), "y") || strings.EqualFold(strings.TrimSpace(line), "yes")
}

func (a *App) sandboxCommand() *cobra.Command {
	var serve, accessible bool
	var dir string
	cmd := &cobra.Command{
		Use:   "sandbox",
		Short: "Start the built-in sandbox (simulated Auth, Environment and Digital Channels)",
		Long: `Start a simulated Genesys (Auth, Environment, Digital Channels, and a throwaway
PostgreSQL with nex_gapis when PostgreSQL is installed) on loopback, over HTTPS
with its own CA. Without --serve it opens the wizard against it, pre-filled.
With --serve it prints the URLs and a ready config file and waits for Ctrl+C.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if a.StartSandbox == nil {
				return usageErr("the sandbox is not available in this build")
			}
			if !serve && (!isTerminal(a.Stdin) || !isTerminal(a.Stdout)) {
				return usageErr("the wizard needs a terminal (stdin and stdout); for scripts use `nexus-onboard sandbox --serve` and `nexus-onboard run --config FILE`")
			}
			// `sandbox --serve | tee log` then Ctrl+C: tee dies first, and a
			// write to the broken pipe must not kill the sandbox before it
			// has removed its secrets and directory.
			signal.Ignore(syscall.SIGPIPE)
			ownDir := dir == ""
			if ownDir {
				d, err := os.MkdirTemp("", "nexus-sandbox-")
				if err != nil {
					return err
				}
				dir = d
			}
			ctx := cmd.Context()
			sb, err := a.StartSandbox(ctx, dir)
			if err != nil {
				if ownDir {
					os.RemoveAll(dir)
				}
				return &ExitError{Code: ExitUsage, Err: fmt.Errorf("start the sandbox: %w", err)}
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
			if !serve {
				var c common
				c.register(cmd.Flags())
				c.config = sb.ConfigPath
				c.stateDir = dir + "/state"
				var kr steps.Keyring
				note := ""
				if kerr != nil {
					kr = secrets.NewMemory()
					note = "no OS keyring answered: this sandbox keeps its secrets in memory, and they vanish when it stops (real runs need a keyring)"
				}
				return a.openWizardWith(ctx, &c, accessible || envBool(a.Environ, steps.EnvPrefix+"ACCESSIBLE"), sb, kr, note)
			}
			if kerr != nil {
				fmt.Fprintf(a.Stderr, "warning: %v\n  `nexus-onboard run` against this sandbox needs an OS keyring; `nexus-onboard sandbox` (the wizard) works without one.\n", kerr)
			}
			fmt.Fprintf(a.Stdout, "sandbox running (Ctrl+C stops it)\n  auth_url   %s\n  gws_url    %s\n  nexus_url  %s\n  ucs_url    %s\n", sb.AuthURL, sb.GWSURL, sb.NexusURL, sb.UCSURL)
			if sb.DBURL != "" {
				fmt.Fprintf(a.Stdout, "  database   %s\n", redactDSN(sb.DBURL))
			} else {
				fmt.Fprintf(a.Stdout, "  database   none (%s): register-gws will be manual\n", sb.DBNote)
			}
			if sb.Faults != nil {
				if f := sb.Faults(); f != "" {
					fmt.Fprintf(a.Stdout, "  faults     %s\n", f)
				}
			}
			fmt.Fprintf(a.Stdout, "  cc_id      %s\nconfig: %s\n\ntry:\n  nexus-onboard run --config %s --state-dir %s/state\n", sb.CCID, sb.ConfigPath, sb.ConfigPath, dir)
			<-ctx.Done()
			fmt.Fprintln(a.Stderr, "sandbox stopped")
			return nil
		},
	}
	cmd.Flags().BoolVar(&serve, "serve", false, "serve only: print the URLs and config path, wait for Ctrl+C")
	cmd.Flags().StringVar(&dir, "dir", "", "keep the CA, config and state in `DIR` (default: a new temp dir, removed on exit)")
	cmd.Flags().BoolVar(&accessible, "accessible", false, "plain prompts and no animation")
	return cmd
}

func redactDSN(dsn string) string { return redact.New().URL(dsn) }

// forgetSandbox deletes the keyring entries a sandbox's runs stored: those
// its state files record, and the accounts of its own default inputs.
func (a *App) forgetSandbox(sb *SandboxInfo, store steps.Store) {
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
