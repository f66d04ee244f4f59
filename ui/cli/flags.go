package cli

import (
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/nexus-onboard/nexus-onboard/clients/httpx"
	"github.com/nexus-onboard/nexus-onboard/steps"
	"github.com/nexus-onboard/nexus-onboard/ui/app"
)

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
	// backend keeps states and locks outside the state directory
	// (secret_store: kubernetes; useSecretStore), nil for the directory.
	backend steps.Backend
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
	if request, err = c.timeout(environ, "request-timeout", envRequestTimeout, c.requestTimeout); err != nil {
		return 0, 0, err
	}
	step, err = c.timeout(environ, "step-timeout", envStepTimeout, c.stepTimeout)
	return request, step, err
}

// timeout resolves one duration flag, v, against its variable env.
func (c *common) timeout(environ []string, flag, env string, v time.Duration) (time.Duration, error) {
	if c.flags != nil && c.flags.Changed(flag) {
		if v <= 0 {
			return 0, app.Usage("--%s must be a positive duration such as 30s or 2m (got %s)", flag, v)
		}
		return v, nil
	}
	for _, kv := range environ {
		if s, ok := strings.CutPrefix(kv, env+"="); ok && s != "" {
			d, err := time.ParseDuration(strings.TrimSpace(s))
			if err != nil || d <= 0 {
				return 0, app.Usage("%s (--%s) must be a positive duration such as 30s or 2m (got %q)", env, flag, s)
			}
			v = d
		}
	}
	return v, nil
}

// store is the state directory: --state-dir > NEXUS_ONBOARD_STATE_DIR >
// the default.
func (c *common) store(environ []string) steps.Store {
	if c.backend != nil {
		return steps.Store{Backend: c.backend}
	}
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
