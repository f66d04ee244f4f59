package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nexus-onboard/nexus-onboard/steps"
	"github.com/nexus-onboard/nexus-onboard/ui/app"
)

// rootOptions are the flags of the bare command, which opens the wizard.
type rootOptions struct {
	app *App
	common
	accessible bool
}

// newCmdRoot builds the whole command tree.
func newCmdRoot(a *App) *cobra.Command {
	opts := &rootOptions{app: a}
	root := &cobra.Command{
		Use:   "nexus-onboard",
		Short: "Enable a Genesys Multicloud CX private edition tenant for Digital Channels",
		Long: `nexus-onboard enables a tenant of Genesys Multicloud CX private edition for
Digital Channels ("Nexus"): it creates the Auth client, registers GWS in the
Nexus database, sets chat-service-uri, provisions UCS and the tenant, and shows
the DesignerEnv values, safely and resumably. Secrets go to the OS keyring.

With no command on a terminal it opens the interactive wizard.`,
		Version:           a.Version,
		SilenceUsage:      true,
		SilenceErrors:     true,
		Args:              cobra.NoArgs,
		PersistentPreRunE: checkConfigFile,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return rootRun(cmd.Context(), opts)
		},
	}
	root.SetVersionTemplate("nexus-onboard {{.Version}}\n")
	root.SetUsageTemplate(usageTemplate(root.UsageTemplate()))
	root.SetHelpTemplate(helpTemplate)
	opts.register(root.Flags())
	root.Flags().BoolVar(&opts.accessible, "accessible", false, "plain prompts and no animation (screen readers; env NEXUS_ONBOARD_ACCESSIBLE)")
	root.AddCommand(newCmdRun(a), newCmdPlan(a), newCmdSteps(a), newCmdSecrets(a),
		newCmdSandbox(a), newCmdVersion(a), newCmdInputs(a), newCmdReset(a), newCmdDoctor(a), newCmdRotate(a), newCmdBatch(a))
	root.CompletionOptions.HiddenDefaultCmd = false
	return root
}

// rootRun opens the wizard on the inputs the flags, environment, config
// file and last run give.
func rootRun(ctx context.Context, opts *rootOptions) error {
	a := opts.app
	return a.openWizard(ctx, &opts.common, opts.accessible || envBool(a.Environ, steps.EnvPrefix+"ACCESSIBLE"), nil)
}

// envBool reads a switch from the environment: unset, empty, false or 0
// is off; anything else is on.
func envBool(environ []string, name string) bool {
	for _, kv := range environ {
		if v, ok := strings.CutPrefix(kv, name+"="); ok {
			if b, err := strconv.ParseBool(strings.TrimSpace(v)); err == nil {
				return b
			}
			return v != ""
		}
	}
	return false
}

// checkConfigFile refuses a --config file that cannot be read or is not
// one YAML mapping before the command runs, as the only problem: every
// input it was meant to give would otherwise be reported too ("required").
func checkConfigFile(cmd *cobra.Command, _ []string) error {
	f := cmd.Flag("config")
	if f == nil || f.Value.String() == "" {
		return nil
	}
	if ps := steps.ConfigFileProblems(f.Value.String()); len(ps) > 0 {
		return &app.ExitError{Code: app.ExitUsage, Err: fmt.Errorf("%w\nNothing was changed.", ps)}
	}
	return nil
}

func (a *App) openWizard(ctx context.Context, c *common, accessible bool, sb *app.SandboxInfo) error {
	return a.openWizardWith(ctx, c, accessible, sb, nil, "")
}

// openWizardWith opens the wizard on the resolved inputs; kr and krNote
// replace the OS keyring and say so (the sandbox's memory keyring).
func (a *App) openWizardWith(ctx context.Context, c *common, accessible bool, sb *app.SandboxInfo, kr steps.Keyring, krNote string) error {
	if a.Wizard == nil {
		return app.Usage("the interactive wizard is not available in this build: use `nexus-onboard run`")
	}
	if !isTerminal(a.Stdin) || !isTerminal(a.Stdout) {
		return app.Usage("the wizard needs a terminal (stdin and stdout); for scripts use `nexus-onboard run --config FILE` (see `nexus-onboard run --help`)")
	}
	vals, warnings, problems := c.load(a)
	if len(problems) > 0 {
		return &app.ExitError{Code: app.ExitUsage, Err: problems}
	}
	if kr == nil && c.backend != nil {
		kr = a.Keyring // secret_store: kubernetes (useSecretStore)
	}
	return a.Wizard(ctx, app.WizardParams{Values: vals, Warnings: warnings, Store: c.store(a.Environ), Sandbox: sb, Accessible: accessible, Invocation: c.invocation(),
		Keyring: kr, KeyringNote: krNote})
}
