package steps

import (
	"strings"
)

// Invocation is what a suggested command must repeat to act on the same
// inputs and state as the run that suggests it: the config file, the state
// directory, and the environment variables the inputs came from.
type Invocation struct {
	Program  string // default "nexus-onboard"
	Config   string // --config, "" for none
	StateDir string // --state-dir, "" for the default
	// Flags are other input flags the user gave (name → value), repeated
	// unless they are secrets.
	Flags map[string]string
}

// Command renders a command line that runs as printed: the program, the
// subcommand and its arguments, then --config and --state-dir as given.
// Secret inputs are never repeated: a note names the environment variables
// they must come from instead (see CommandNote).
func (iv Invocation) Command(args ...string) string {
	prog := iv.Program
	if prog == "" {
		prog = "nexus-onboard"
	}
	parts := []string{prog}
	for _, a := range args {
		parts = append(parts, shellQuote(a))
	}
	if iv.Config != "" {
		parts = append(parts, "--config", shellQuote(iv.Config))
	}
	if iv.StateDir != "" {
		parts = append(parts, "--state-dir", shellQuote(iv.StateDir))
	}
	// `secrets` takes only --cc-id of the inputs.
	onlyCC := len(args) > 0 && args[0] == "secrets"
	for _, in := range Inputs {
		v, ok := iv.Flags[in.Key]
		if !ok || in.Secret() || in.Kind == DSN || onlyCC && in.Key != KeyCCID {
			continue
		}
		parts = append(parts, "--"+in.Flag()+"="+shellQuote(v))
	}
	return strings.Join(parts, " ")
}

// Command renders a suggested command for this run's invocation.
func (e *Env) Command(args ...string) string { return e.Opts.Invocation.Command(args...) }

// shellQuote quotes a word for POSIX shells when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./,:=@%+", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
