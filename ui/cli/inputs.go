package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/nexus-onboard/nexus-onboard/steps"
)

// inputsOptions are where `inputs` writes its list.
type inputsOptions struct {
	app *App
}

func newCmdInputs(a *App) *cobra.Command {
	opts := &inputsOptions{app: a}
	return &cobra.Command{
		Use:   "inputs",
		Short: "List every input: config key, flag, environment variable, kind, default, meaning",
		Long: `List every input of the tool. One schema makes the config file keys, the flags,
the NEXUS_ONBOARD_* environment variables and the wizard's form.
Precedence: flag > environment > config file > last run's saved values > default.

Booleans are switches: --insecure-skip-verify, or --insecure-skip-verify=false; in
the environment and the config file: true or false (1 or 0).
Secrets belong in the environment or in a config file only you can read (chmod 600):
a flag's value lands in the shell's history. In a config file or a batch manifest,
a secret key may instead be given as <key>_env: VAR (read from that environment
variable) or <key>_file: PATH (read from the file, trailing newline trimmed, e.g. a
mounted Kubernetes Secret); one form per key.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return inputsRun(cmd.Context(), opts)
		},
	}
}

func inputsRun(_ context.Context, opts *inputsOptions) error {
	writeInputs(opts.app.Stdout)
	return nil
}

// writeInputs lists every input of the schema: key, label, kind (secret or
// not), default, flag, environment variable and help, within helpWidth.
func writeInputs(w io.Writer) {
	fmt.Fprintln(w, "Inputs by config file key. Precedence: flag > environment > config file > last run > default.")
	for _, in := range steps.Inputs {
		fmt.Fprintln(w)
		about := kindName(in)
		if in.Default != "" {
			about += ", default " + in.Default
		}
		fmt.Fprintf(w, "%s  %s (%s)\n", in.Key, in.Label, about)
		fmt.Fprintf(w, "    flag %s\n    env  %s\n", inputFlagLine(in), inputEnvLine(in))
		if in.HoldsSecret() {
			fmt.Fprintf(w, "    file %s_env: VAR or %s_file: PATH (config file, manifest)\n", in.Key, in.Key)
		}
		fmt.Fprintln(w, wrapText("    "+in.Help, helpWidth))
		if in.Example != "" {
			fmt.Fprintf(w, "    e.g. %s\n", in.Example)
		}
	}
}

// inputFlagLine is an input's flag as `inputs` lists it, with how to
// give it.
func inputFlagLine(in steps.Input) string {
	flag := "--" + in.Flag()
	switch {
	case in.Kind == steps.Bool:
		flag += " or --" + in.Flag() + "=false"
	case in.Secret():
		flag += " (run, reset and the wizard only; lands in shell history)"
	case in.Kind == steps.DSN:
		flag += " (with its credentials it lands in shell history)"
	}
	return flag
}

// inputEnvLine is an input's environment variable as `inputs` lists it.
func inputEnvLine(in steps.Input) string {
	env := in.EnvVar()
	if in.Kind == steps.Bool {
		env += " (true/false or 1/0, as in the config file)"
	}
	return env
}

// kindName says what an input holds, and whether it is a secret.
func kindName(in steps.Input) string {
	switch in.Kind {
	case steps.URL:
		return "https URL"
	case steps.UUID:
		return "UUID"
	case steps.Bool:
		return "boolean"
	case steps.Path:
		return "file path"
	case steps.DSN:
		return "PostgreSQL URL; its password is secret"
	case steps.Secret:
		return "secret"
	}
	return "text"
}
