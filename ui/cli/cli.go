// Package cli is the command-line face of nexus-onboard: the headless
// commands (run, plan, steps, secrets, sandbox --serve, version) with their
// flags generated from the input schema, text and JSON output, and exit
// codes. It drives steps.Runner like the wizard does and builds no request
// itself.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/nexus-onboard/nexus-onboard/clients/httpx"
	"github.com/nexus-onboard/nexus-onboard/clients/secrets"
	"github.com/nexus-onboard/nexus-onboard/steps"
)

// Exit codes: a public contract.
const (
	ExitOK          = 0
	ExitStepFailed  = 1
	ExitUsage       = 2
	ExitInterrupted = 130
)

// ExitError carries the process exit code of a failed command.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit %d", e.Code)
	}
	return e.Err.Error()
}
func (e *ExitError) Unwrap() error { return e.Err }

func usageErr(format string, a ...any) error {
	return &ExitError{Code: ExitUsage, Err: fmt.Errorf(format, a...)}
}

// SandboxInfo describes a running sandbox.
type SandboxInfo struct {
	AuthURL, GWSURL, NexusURL, UCSURL string
	DBURL                             string // "" without PostgreSQL
	DBNote                            string
	ConfigPath                        string
	CCID                              string
	Close                             func() error
}

// App holds what main wires in: build information, and the things the
// commands start but must not import (the sandbox, the wizard).
type App struct {
	Version, Commit, Date string
	// StartSandbox starts the built-in sandbox, writing its config into dir.
	StartSandbox func(ctx context.Context, dir string) (*SandboxInfo, error)
	// Wizard opens the interactive wizard; nil until the wizard exists.
	Wizard func(ctx context.Context, w WizardParams) error

	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Environ        []string
	// Keyring is where secrets are kept; nil means the OS keyring.
	Keyring steps.Keyring
}

func (a *App) keyring() steps.Keyring {
	if a.Keyring != nil {
		return a.Keyring
	}
	return secrets.Store{}
}

// WizardParams is what the wizard is opened with.
type WizardParams struct {
	Values     steps.Values
	Warnings   []string
	Store      steps.Store
	Sandbox    *SandboxInfo
	Accessible bool
	// Invocation is repeated by every command the wizard suggests.
	Invocation steps.Invocation
}

// common are the flags every command that works on inputs shares.
type common struct {
	config   string
	stateDir string
	verbose  bool
	inputs   map[string]*string
	flags    *pflag.FlagSet
	// requestTimeout bounds each HTTP attempt, stepTimeout each step
	// (retries included); resolve them with timeouts.
	requestTimeout, stepTimeout time.Duration
}

func (c *common) register(fs *pflag.FlagSet) {
	c.flags = fs
	fs.StringVarP(&c.config, "config", "c", "", "YAML config file of inputs (keys as in `nexus-onboard help inputs`)")
	fs.StringVar(&c.stateDir, "state-dir", "", "state directory (default $XDG_STATE_HOME/nexus-onboard)")
	fs.BoolVarP(&c.verbose, "verbose", "v", false, "print every HTTP exchange, redacted, to stderr")
	fs.DurationVar(&c.requestTimeout, "request-timeout", httpx.DefaultTimeout, "deadline of each HTTP request attempt, e.g. 30s (env "+envRequestTimeout+")")
	fs.DurationVar(&c.stepTimeout, "step-timeout", steps.DefaultStepTimeout, "time budget of each step, its retries included, e.g. 2m (env "+envStepTimeout+")")
	c.inputs = map[string]*string{}
	for _, in := range steps.Inputs {
		usage := in.Label + ". " + in.Help + " (env " + in.EnvVar() + ")"
		c.inputs[in.Key] = fs.String(in.Flag(), "", usage)
	}
}

// Environment variables of the timeout flags.
const (
	envRequestTimeout = steps.EnvPrefix + "REQUEST_TIMEOUT"
	envStepTimeout    = steps.EnvPrefix + "STEP_TIMEOUT"
)

// timeouts resolves --request-timeout and --step-timeout: flag > env >
// default. A value that is not a positive Go duration is a usage error
// naming the flag.
func (c *common) timeouts(environ []string) (request, step time.Duration, err error) {
	resolve := func(flag, env string, v time.Duration) (time.Duration, error) {
		if c.flags != nil && c.flags.Changed(flag) {
			if v <= 0 {
				return 0, usageErr("--%s must be a positive duration such as 30s or 2m (got %s)", flag, v)
			}
			return v, nil
		}
		for _, kv := range environ {
			if s, ok := strings.CutPrefix(kv, env+"="); ok && s != "" {
				d, err := time.ParseDuration(strings.TrimSpace(s))
				if err != nil || d <= 0 {
					return 0, usageErr("%s (--%s) must be a positive duration such as 30s or 2m (got %q)", env, flag, s)
				}
				v = d
			}
		}
		return v, nil
	}
	if request, err = resolve("request-timeout", envRequestTimeout, c.requestTimeout); err != nil {
		return 0, 0, err
	}
	step, err = resolve("step-timeout", envStepTimeout, c.stepTimeout)
	return request, step, err
}

func (c *common) store(environ []string) steps.Store {
	if c.stateDir != "" {
		return steps.Store{Dir: c.stateDir}
	}
	for _, kv := range environ {
		if v, ok := strings.CutPrefix(kv, steps.EnvPrefix+"STATE_DIR="); ok && v != "" {
			return steps.Store{Dir: v}
		}
	}
	return steps.Store{Dir: steps.DefaultStateDir()}
}

// invocation is what a command the tool suggests must repeat to act on
// the same inputs and state: --config and --state-dir (absolute, so the
// command works from any directory) and the non-secret input flags given.
func (c *common) invocation() steps.Invocation {
	iv := steps.Invocation{Config: absPath(c.config), StateDir: absPath(c.stateDir), Flags: map[string]string{}}
	if c.flags != nil {
		for key, p := range c.inputs {
			if c.flags.Changed(strings.ReplaceAll(key, "_", "-")) {
				iv.Flags[key] = *p
			}
		}
	}
	return iv
}

func absPath(p string) string {
	if p == "" {
		return ""
	}
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}

// load resolves the inputs: flag > env > config > last run > default.
func (c *common) load(a *App) (steps.Values, []string, steps.Problems) {
	flags := map[string]string{}
	for key, p := range c.inputs {
		if c.flags.Changed(strings.ReplaceAll(key, "_", "-")) {
			flags[key] = *p
		}
	}
	vals, warnings, problems := steps.Load(steps.Sources{Flags: flags, Environ: a.Environ, ConfigPath: c.config})
	// The last run's saved inputs of the contact center fill what is unset.
	st := c.store(a.Environ)
	cc, fromLast := vals.Get(steps.KeyCCID), false
	if cc == "" {
		cc, fromLast = st.Last(), true
	}
	if cc != "" {
		auth := vals.Get(steps.KeyAuthURL)
		saved, err := st.Load(cc)
		var se *steps.StateError
		switch {
		case err == nil:
			warnings = append(warnings, saved.Notes...)
			// The last-used contact center only fills in for a run aimed at
			// the same environment: never mix two environments' values.
			if !fromLast || auth == "" || auth == saved.Inputs[steps.KeyAuthURL] {
				vals.FillSaved(saved.Inputs)
			}
		case errors.As(err, &se) && (!fromLast || auth == ""):
			// The state of the contact center worked on (or whose saved
			// values would fill the inputs) is refused: an input error.
			problems = append(problems, steps.Problem{Key: stateProblemKey, Msg: strings.TrimPrefix(se.Error(), "state ")})
		}
	}
	return vals, warnings, problems
}

// stateProblemKey names, among input problems, a refused state file.
const stateProblemKey = "state"

// Main runs the command line and returns the exit code.
func (a *App) Main(args []string) int {
	if a.Stdout == nil {
		a.Stdout = os.Stdout
	}
	if a.Stderr == nil {
		a.Stderr = os.Stderr
	}
	if a.Stdin == nil {
		a.Stdin = os.Stdin
	}
	if a.Environ == nil {
		a.Environ = os.Environ()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetOut(a.Stdout)
	root.SetErr(a.Stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	// A refused state file (damaged, another contact center's, in a
	// directory others can write) is an input error in every command.
	var se *steps.StateError
	var ee *ExitError
	if errors.As(err, &ee) {
		if ee.Err != nil {
			fmt.Fprintln(a.Stderr, "nexus-onboard:", ee.Err)
		}
		if ee.Code != ExitInterrupted && errors.As(err, &se) {
			return ExitUsage
		}
		return ee.Code
	}
	if errors.As(err, &se) {
		fmt.Fprintln(a.Stderr, "nexus-onboard:", err)
		return ExitUsage
	}
	// cobra's own errors: unknown flag or command, bad arguments.
	fmt.Fprintln(a.Stderr, "nexus-onboard:", err)
	fmt.Fprintln(a.Stderr, "Run 'nexus-onboard --help' for usage.")
	return ExitUsage
}

func (a *App) rootCommand() *cobra.Command {
	var c common
	var accessible bool
	root := &cobra.Command{
		Use:   "nexus-onboard",
		Short: "Enable a Genesys Multicloud CX private edition tenant for Digital Channels",
		Long: `nexus-onboard enables a tenant of Genesys Multicloud CX private edition for
Digital Channels ("Nexus"): it creates the Auth client, registers GWS in the
Nexus database, sets chat-service-uri, provisions UCS and the tenant, and shows
the DesignerEnv values, safely and resumably. Secrets go to the OS keyring.

With no command on a terminal it opens the interactive wizard.`,
		Version:       a.Version,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.openWizard(cmd.Context(), &c, accessible || envBool(a.Environ, steps.EnvPrefix+"ACCESSIBLE"), nil)
		},
	}
	root.SetVersionTemplate("nexus-onboard {{.Version}}\n")
	c.register(root.Flags())
	root.Flags().BoolVar(&accessible, "accessible", false, "plain prompts and no animation (screen readers); env NEXUS_ONBOARD_ACCESSIBLE")
	root.AddCommand(a.runCommand(), a.planCommand(), a.stepsCommand(), a.secretsCommand(),
		a.sandboxCommand(), a.versionCommand(), a.inputsCommand(), a.resetCommand())
	root.CompletionOptions.HiddenDefaultCmd = false
	return root
}

func envBool(environ []string, name string) bool {
	for _, kv := range environ {
		if v, ok := strings.CutPrefix(kv, name+"="); ok {
			return v != "" && v != "0" && strings.ToLower(v) != "false"
		}
	}
	return false
}

func (a *App) openWizard(ctx context.Context, c *common, accessible bool, sb *SandboxInfo) error {
	if a.Wizard == nil {
		return usageErr("the interactive wizard is not available in this build: use `nexus-onboard run`")
	}
	if !isTerminal(a.Stdin) || !isTerminal(a.Stdout) {
		return usageErr("the wizard needs a terminal (stdin and stdout); for scripts use `nexus-onboard run --config FILE` (see `nexus-onboard run --help`)")
	}
	vals, warnings, problems := c.load(a)
	if len(problems) > 0 {
		return &ExitError{Code: ExitUsage, Err: problems}
	}
	return a.Wizard(ctx, WizardParams{Values: vals, Warnings: warnings, Store: c.store(a.Environ), Sandbox: sb, Accessible: accessible, Invocation: c.invocation()})
}

func isTerminal(v any) bool {
	f, ok := v.(*os.File)
	return ok && term.IsTerminal(f.Fd())
}

func (a *App) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintf(a.Stdout, "nexus-onboard %s (commit %s, built %s)\n", a.Version, a.Commit, a.Date)
			return nil
		},
	}
}

func (a *App) inputsCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "inputs",
		Short: "List every input: config key, flag, environment variable and meaning",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, in := range steps.Inputs {
				secret := ""
				if in.Secret() {
					secret = " (secret)"
				}
				fmt.Fprintf(a.Stdout, "%s%s\n  --%s, %s\n  %s\n", in.Key, secret, in.Flag(), in.EnvVar(), in.Help)
				if in.Default != "" {
					fmt.Fprintf(a.Stdout, "  default: %s\n", in.Default)
				}
			}
			return nil
		},
	}
}

// splitIDs parses --only/--skip values (repeatable, comma-separated).
func splitIDs(vals []string) []string {
	var out []string
	for _, v := range vals {
		for _, id := range strings.Split(v, ",") {
			if id = strings.TrimSpace(id); id != "" {
				out = append(out, id)
			}
		}
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func sortedHeader(h map[string][]string) []string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
