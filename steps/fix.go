package steps

import "errors"

// Fix names an action that repairs a failure, so that both faces can offer
// it without reading error text. It is saved with the step's record.
type Fix string

// Fixes.
const (
	// FixRotateSecret: give the existing Auth client a new secret (run
	// --rotate-secret), then write it to nex_gapis (register-gws).
	FixRotateSecret Fix = "rotate-secret"
)

// FixableError is a failure that Fix repairs; Command is the command line
// that applies it, runnable as printed.
type FixableError struct {
	Err     error
	Fix     Fix
	Command string
}

func (e *FixableError) Error() string {
	if e.Command == "" {
		return e.Err.Error()
	}
	return e.Err.Error() + ": run `" + e.Command + "`"
}

func (e *FixableError) Unwrap() error { return e.Err }

// FixOf returns the fix an error carries, "" for none.
func FixOf(err error) Fix {
	var fe *FixableError
	if errors.As(err, &fe) {
		return fe.Fix
	}
	return ""
}

// rotateCommand is the command that rotates the client secret everywhere
// it is kept, with this run's config and state.
func rotateCommand(e *Env) string {
	return e.Command("run", "--only", IDAuthClient+","+IDRegisterGWS, "--rotate-secret")
}

// needsRotation wraps err with the rotation fix.
func needsRotation(e *Env, err error) error {
	return &FixableError{Err: err, Fix: FixRotateSecret, Command: rotateCommand(e)}
}
