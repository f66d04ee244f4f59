package steps

import (
	"errors"
	"github.com/nexus-onboard/nexus-onboard/clients/httpx"
	"slices"
	"strings"
)

// Fix names an action that repairs a failure, so that both faces can offer
// it without reading error text. It is saved with the step's record.
type Fix string

// Fixes.
const (
	// FixRotateSecret: give the existing Auth client a new secret (run
	// --rotate-secret), then write it to nex_gapis (register-gws).
	FixRotateSecret Fix = "rotate-secret"
	// FixCAFile: the server's certificate is signed by a CA this machine
	// does not trust: give that CA as ca_file.
	FixCAFile Fix = "ca-file"
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
	if httpx.IsUntrusted(err) {
		return FixCAFile
	}
	return ""
}

// rotateCommand is the command that rotates the client secret everywhere
// it is kept, with this run's config and state.
func rotateCommand(e *Env) string {
	return e.Command("run", "--only", strings.Join(RotationSteps(nil), ","), "--rotate-secret")
}

// RotationStart is the step a rotation of the client secret starts with:
// the one that makes the secret (and, with RotateSecret, gives the client
// a new one).
func RotationStart() string { return outputs[OutClientSecret].Producer }

// RotationSteps lists the steps a rotation of the client secret runs, in
// procedure order: the one that makes it, every step that holds a copy
// (Holds), and the steps in then.
func RotationSteps(then []string) []string {
	var ids []string
	for _, s := range All {
		if s.ID == RotationStart() || slices.Contains(s.Holds, OutClientSecret) || slices.Contains(then, s.ID) {
			ids = append(ids, s.ID)
		}
	}
	return ids
}

// needsRotation wraps err with the rotation fix.
func needsRotation(e *Env, err error) error {
	return &FixableError{Err: err, Fix: FixRotateSecret, Command: rotateCommand(e)}
}
