// Package app holds what both faces of the tool (the headless CLI and the
// wizard) share: the exit codes and the error that carries one, what the
// wizard is opened with, and the description of a running sandbox. It
// imports no face, so neither face imports the other.
package app

import (
	"errors"
	"fmt"

	"github.com/nexus-onboard/nexus-onboard/steps"
)

// Exit codes: a public contract (README, "Exit codes").
const (
	ExitOK          = 0
	ExitStepFailed  = 1
	ExitUsage       = 2
	ExitDrift       = 3
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

// Exit returns an ExitError with code and a message.
func Exit(code int, format string, a ...any) error {
	return &ExitError{Code: code, Err: fmt.Errorf(format, a...)}
}

// Usage is an ExitError with ExitUsage: bad input, nothing changed.
func Usage(format string, a ...any) error { return Exit(ExitUsage, format, a...) }

// RunCode is the exit code of an error a run of the steps returned:
// interrupted, refused before any change (locked, a state that cannot be
// trusted), or a step that failed.
func RunCode(err error) int {
	var se *steps.StateError
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, steps.ErrInterrupted):
		return ExitInterrupted
	case errors.Is(err, steps.ErrLocked), errors.As(err, &se):
		return ExitUsage
	}
	return ExitStepFailed
}

// SandboxInfo describes a running sandbox.
type SandboxInfo struct {
	AuthURL, GWSURL, NexusURL, UCSURL string
	DBURL                             string // "" without PostgreSQL
	DBNote                            string
	ConfigPath                        string
	CCID                              string
	// ManifestPath is the batch manifest (sandbox --tenants N), "" for none;
	// its secrets are files in SecretsDir.
	ManifestPath, SecretsDir string
	// Faults lists the injected faults still active ("" for none).
	Faults func() string
	Close  func() error
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
	// Keyring replaces the OS keyring (nil: the OS keyring). Only the
	// sandbox sets it, to memory, when no OS keyring answers.
	Keyring steps.Keyring
	// KeyringNote says, on every screen, where secrets are kept when it is
	// not the OS keyring.
	KeyringNote string
}
