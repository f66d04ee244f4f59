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
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/nexus-onboard/nexus-onboard/clients/httpx"
	"github.com/nexus-onboard/nexus-onboard/clients/secrets"
	"github.com/nexus-onboard/nexus-onboard/steps"
	"github.com/nexus-onboard/nexus-onboard/ui/app"
)

// Exit codes and the error that carries one live in ui/app, which both
// faces share; these names keep the CLI's code short.
const (
	ExitOK          = app.ExitOK
	ExitStepFailed  = app.ExitStepFailed
	ExitUsage       = app.ExitUsage
	ExitInterrupted = app.ExitInterrupted
)

// ExitError carries the process exit code of a failed command.
type ExitError = app.ExitError

func usageErr(format string, a ...any) error { return app.Usage(format, a...) }

// SandboxInfo describes a running sandbox.
type SandboxInfo = app.SandboxInfo

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
type WizardParams = app.WizardParams

// common are the flags every command that works on inputs shares.
type common struct {
	config   string
	stateDir string
	verbose  bool
	// inputs and bools are the input flags the command has, by input
	// key: text inputs, and booleans (--insecure-skip-verify, =false).
	inputs map[string]*string
	bools  map[string]*bool
	flags  *pflag.FlagSet
	// requestTimeout bounds each HTTP attempt, stepTimeout each step
	// (retries included); resolve them with timeouts.
	requestTimeout, stepTimeout time.Duration
}

// register adds the shared flags and one flag per input of the schema
// (steps.Inputs), secrets included: for the commands that send requests
// with them (the wizard, run, reset).
func (c *common) register(fs *pflag.FlagSet) { c.registerFlags(fs, true) }

// registerNoSecrets is register without the flags of secret inputs, for
// commands that use no secret (steps, plan: a plan masks them anyway).
func (c *common) registerNoSecrets(fs *pflag.FlagSet) { c.registerFlags(fs, false) }

func (c *common) registerFlags(fs *pflag.FlagSet, withSecrets bool) {
	c.flags = fs
	// A backquoted word in a usage is the flag's value name: --config FILE.
	fs.StringVarP(&c.config, "config", "c", "", "read inputs from the YAML `FILE` (keys: see nexus-onboard inputs)")
	fs.StringVar(&c.stateDir, "state-dir", "", "keep the state in `DIR` (default $XDG_STATE_HOME/nexus-onboard; env "+steps.EnvPrefix+"STATE_DIR)")
	fs.BoolVarP(&c.verbose, "verbose", "v", false, "print every HTTP exchange, redacted, to stderr")
	fs.DurationVar(&c.requestTimeout, "request-timeout", httpx.DefaultTimeout, "deadline of each HTTP request attempt (env "+envRequestTimeout+")")
	fs.DurationVar(&c.stepTimeout, "step-timeout", steps.DefaultStepTimeout, "time budget of each step, retries included (env "+envStepTimeout+")")
	c.inputs, c.bools = map[string]*string{}, map[string]*bool{}
	for _, in := range steps.Inputs {
		if in.Secret() && !withSecrets {
			continue
		}
		if in.Kind == steps.Bool {
			// Counted only when given (Changed): false here is no value.
			c.bools[in.Key] = fs.Bool(in.Flag(), false, inputUsage(in))
		} else {
			p := new(string)
			fs.Var(namedString{p, valueName(in)}, in.Flag(), inputUsage(in))
			c.inputs[in.Key] = p
		}
	}
}

// inputUsage is the one-line help of an input's flag: its label; the long
// text is in `nexus-onboard inputs`. A flag's value lands in the shell's
// history, so a secret's flag names its environment variable instead.
func inputUsage(in steps.Input) string {
	label := in.Label
	switch {
	case in.Secret():
		return label + " (lands in shell history: prefer " + in.EnvVar() + ")"
	case in.Kind == steps.DSN:
		return label + " (with its credentials it lands in shell history: prefer " + in.EnvVar() + ")"
	}
	return label
}

// namedString is a string flag whose value has a name in the help
// (--auth-url URL, not --auth-url string).
type namedString struct {
	p    *string
	name string
}

func (v namedString) String() string     { return *v.p }
func (v namedString) Set(s string) error { *v.p = s; return nil }
func (v namedString) Type() string       { return v.name }

// valueName names an input's value in the flag help, by its kind.
func valueName(in steps.Input) string {
	switch in.Kind {
	case steps.URL, steps.DSN:
		return "URL"
	case steps.UUID:
		return "ID"
	case steps.Path:
		return "FILE"
	case steps.Secret:
		return "SECRET"
	}
	return "TEXT"
}

// givenInputs are the input flags the user gave, by input key, as text
// (booleans as true or false): a flag left out is no value at all.
func (c *common) givenInputs() map[string]string {
	out := map[string]string{}
	if c.flags == nil {
		return out
	}
	for key, p := range c.inputs {
		if c.flags.Changed(strings.ReplaceAll(key, "_", "-")) {
			out[key] = *p
		}
	}
	for key, p := range c.bools {
		if c.flags.Changed(strings.ReplaceAll(key, "_", "-")) {
			out[key] = strconv.FormatBool(*p)
		}
	}
	return out
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
	return steps.Invocation{Config: absPath(c.config), StateDir: absPath(c.stateDir), Flags: c.givenInputs()}
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
	vals, warnings, problems := steps.Load(steps.Sources{Flags: c.givenInputs(), Environ: a.Environ, ConfigPath: c.config})
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
		Version:           a.Version,
		SilenceUsage:      true,
		SilenceErrors:     true,
		Args:              cobra.NoArgs,
		PersistentPreRunE: checkConfigFile,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.openWizard(cmd.Context(), &c, accessible || envBool(a.Environ, steps.EnvPrefix+"ACCESSIBLE"), nil)
		},
	}
	root.SetVersionTemplate("nexus-onboard {{.Version}}\n")
	root.SetUsageTemplate(usageTemplate(root.UsageTemplate()))
	root.SetHelpTemplate(helpTemplate)
	c.register(root.Flags())
	root.Flags().BoolVar(&accessible, "accessible", false, "plain prompts and no animation (screen readers; env NEXUS_ONBOARD_ACCESSIBLE)")
	root.AddCommand(a.runCommand(), a.planCommand(), a.stepsCommand(), a.secretsCommand(),
		a.sandboxCommand(), a.versionCommand(), a.inputsCommand(), a.resetCommand())
	root.CompletionOptions.HiddenDefaultCmd = false
	return root
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
		return &ExitError{Code: ExitUsage, Err: fmt.Errorf("%w\nNothing was changed.", ps)}
	}
	return nil
}

// helpWidth is the widest line of any --help: flag usages wrap, and so do
// long lines of a command's description.
const helpWidth = 100

func init() {
	cobra.AddTemplateFunc("wrapHelp", func(s string) string { return wrapText(s, helpWidth) })
	// A command's line in a list ("  name   short"), its short text
	// wrapped under itself.
	cobra.AddTemplateFunc("commandLine", func(name, short string) string {
		hang := strings.Repeat(" ", 2+len(name)+1)
		// The template writes the first line's 2 leading spaces.
		return name + " " + strings.TrimPrefix(wrapText(hang+short, helpWidth), hang)
	})
}

// helpTemplate is cobra's, with the description wrapped at helpWidth.
const helpTemplate = `{{with (or .Long .Short)}}{{. | trimTrailingWhitespaces | wrapHelp}}

{{end}}{{if or .Runnable .HasSubCommands}}{{.UsageString}}{{end}}`

// inputsNote ends the usage of a command with input flags.
const inputsNote = `Every input flag also reads NEXUS_ONBOARD_<KEY> and the --config file (flag > environment >
config file > last run > default); keys, meanings and defaults: see nexus-onboard inputs.`

// usageTemplate is cobra's usage template with the flags wrapped at
// helpWidth and, when the command has input flags, a note on where they
// are described.
func usageTemplate(base string) string {
	t := strings.ReplaceAll(base, ".FlagUsages ", ".FlagUsagesWrapped "+strconv.Itoa(helpWidth)+" ")
	t = strings.ReplaceAll(t, "{{rpad .Name .NamePadding }} {{.Short}}", "{{commandLine (rpad .Name .NamePadding) .Short}}")
	const anchor = "{{if .HasHelpSubCommands}}"
	if strings.Count(t, anchor) == 1 {
		t = strings.Replace(t, anchor, `{{if .Flags.Lookup "`+steps.Inputs[0].Flag()+`"}}

`+inputsNote+`{{end}}`+anchor, 1)
	}
	return t
}

// wrapText breaks each line longer than width at spaces; a continuation
// keeps the line's indentation. A word longer than width stays whole.
func wrapText(s string, width int) string {
	lines := strings.Split(s, "\n")
	var out []string
	for _, line := range lines {
		indent := line[:len(line)-len(strings.TrimLeft(line, " "))]
		for utf8.RuneCountInString(line) > width {
			cut := -1
			for i, r := range line {
				if utf8.RuneCountInString(line[:i]) > width {
					break
				}
				if r == ' ' && i > len(indent) {
					cut = i
				}
			}
			if cut < 0 {
				break
			}
			out = append(out, strings.TrimRight(line[:cut], " "))
			line = indent + strings.TrimLeft(line[cut:], " ")
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

func (a *App) openWizard(ctx context.Context, c *common, accessible bool, sb *SandboxInfo) error {
	return a.openWizardWith(ctx, c, accessible, sb, nil, "")
}

func (a *App) openWizardWith(ctx context.Context, c *common, accessible bool, sb *SandboxInfo, kr steps.Keyring, krNote string) error {
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
	return a.Wizard(ctx, WizardParams{Values: vals, Warnings: warnings, Store: c.store(a.Environ), Sandbox: sb, Accessible: accessible, Invocation: c.invocation(),
		Keyring: kr, KeyringNote: krNote})
}

func isTerminal(v any) bool {
	f, ok := v.(*os.File)
	return ok && term.IsTerminal(f.Fd())
}

func (a *App) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit and build time",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintln(a.Stdout, versionLine(a.Version, a.Commit, a.Date))
			return nil
		},
	}
}

// versionLine is what `version` prints; what is not known is left out.
func versionLine(version, commit, date string) string {
	if version == "" {
		version = unsetVersion
	}
	var known []string
	if commit != "" && commit != unsetCommit {
		known = append(known, "commit "+commit)
	}
	if date != "" && date != unsetDate {
		known = append(known, "built "+date)
	}
	if len(known) == 0 {
		return "nexus-onboard " + version
	}
	return "nexus-onboard " + version + " (" + strings.Join(known, ", ") + ")"
}

// What main's version, commit and date hold when the linker set none (see
// .goreleaser.yaml: -X main.version=… -X main.commit=… -X main.date=…).
const (
	unsetVersion = "dev"
	unsetCommit  = "none"
	unsetDate    = "unknown"
)

// BuildVersion completes the version, commit and date the linker set with
// the build information Go records (pass debug.ReadBuildInfo): a `go
// install module@v1.2.0` build knows its module version, and a build in a
// Git checkout (go build, go run) its VCS revision and commit time. What the
// linker set always wins.
func BuildVersion(version, commit, date string, readBuildInfo func() (*debug.BuildInfo, bool)) (string, string, string) {
	if version == "" {
		version = unsetVersion
	}
	if commit == "" {
		commit = unsetCommit
	}
	if date == "" {
		date = unsetDate
	}
	if readBuildInfo == nil {
		return version, commit, date
	}
	info, ok := readBuildInfo()
	if !ok || info == nil {
		return version, commit, date
	}
	if v := info.Main.Version; version == unsetVersion && v != "" && v != "(devel)" {
		version = v
	}
	var rev, when string
	modified := false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			when = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if commit == unsetCommit && rev != "" {
		commit = rev
		if modified {
			commit += "-dirty"
		}
	}
	if date == unsetDate && when != "" {
		date = when
	}
	return version, commit, date
}

func (a *App) inputsCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "inputs",
		Short: "List every input: config key, flag, environment variable, kind, default, meaning",
		Long: `List every input of the tool. One schema makes the config file keys, the flags,
the NEXUS_ONBOARD_* environment variables and the wizard's form.
Precedence: flag > environment > config file > last run's saved values > default.

Booleans are switches: --insecure-skip-verify, or --insecure-skip-verify=false; in
the environment and the config file: true or false (1 or 0).
Secrets belong in the environment or in a config file only you can read (chmod 600):
a flag's value lands in the shell's history.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			writeInputs(a.Stdout)
			return nil
		},
	}
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
		flag := "--" + in.Flag()
		switch {
		case in.Kind == steps.Bool:
			flag += " or --" + in.Flag() + "=false"
		case in.Secret():
			flag += " (run, reset and the wizard only; lands in shell history)"
		case in.Kind == steps.DSN:
			flag += " (with its credentials it lands in shell history)"
		}
		env := in.EnvVar()
		if in.Kind == steps.Bool {
			env += " (true/false or 1/0, as in the config file)"
		}
		fmt.Fprintf(w, "    flag %s\n    env  %s\n", flag, env)
		fmt.Fprintln(w, wrapText("    "+in.Help, helpWidth))
		if in.Example != "" {
			fmt.Fprintf(w, "    e.g. %s\n", in.Example)
		}
	}
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
