// Package cli is the command-line face of nexus-onboard: the headless
// commands (run, plan, steps, secrets, sandbox --serve, version) with their
// flags generated from the input schema, text and JSON output, and exit
// codes. It drives steps.Runner like the wizard does and builds no request
// itself.
//
// Each command is one file: an options struct, newCmdX that only binds
// flags into it, and xRun that does the work and is tested without cobra.
// Exit codes and the error that carries one are ui/app's.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/nexus-onboard/nexus-onboard/clients/secrets"
	"github.com/nexus-onboard/nexus-onboard/steps"
	"github.com/nexus-onboard/nexus-onboard/ui/app"
)

// App holds what main wires in: build information, and the things the
// commands start but must not import (the sandbox, the wizard).
type App struct {
	Version, Commit, Date string
	// StartSandbox starts the built-in sandbox, writing its config into dir.
	StartSandbox func(ctx context.Context, dir string) (*app.SandboxInfo, error)
	// StartSandboxTenants starts it with n contact centers and also writes
	// a batch manifest of n tenants into dir (sandbox --serve --tenants N).
	StartSandboxTenants func(ctx context.Context, dir string, n int) (*app.SandboxInfo, error)
	// Wizard opens the interactive wizard; nil until the wizard exists.
	Wizard func(ctx context.Context, w app.WizardParams) error

	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Environ        []string
	// Keyring is where secrets are kept; nil means the OS keyring.
	Keyring steps.Keyring
}

// keyring is App.Keyring, or the OS keyring when main set none.
func (a *App) keyring() steps.Keyring {
	if a.Keyring != nil {
		return a.Keyring
	}
	return secrets.Store{}
}

// Main runs the command line and returns the exit code.
func (a *App) Main(args []string) int {
	a.setDefaults()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newCmdRoot(a)
	root.SetArgs(args)
	root.SetOut(a.Stdout)
	root.SetErr(a.Stderr)
	code := a.exitCode(root.ExecuteContext(ctx))
	// A keyring probe still running (started ahead, or interrupted)
	// deletes its entry before the process ends.
	secrets.Settle(2 * time.Second)
	return code
}

// setDefaults fills what main left unset with the process's own.
func (a *App) setDefaults() {
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
}

// exitCode tells a command's error on stderr and returns its exit code.
func (a *App) exitCode(err error) int {
	if err == nil {
		return app.ExitOK
	}
	// A refused state file (damaged, another contact center's, in a
	// directory others can write) is an input error in every command.
	var se *steps.StateError
	var ee *app.ExitError
	if errors.As(err, &ee) {
		if ee.Err != nil {
			fmt.Fprintln(a.Stderr, "nexus-onboard:", ee.Err)
		}
		if ee.Code != app.ExitInterrupted && errors.As(err, &se) {
			return app.ExitUsage
		}
		return ee.Code
	}
	if errors.As(err, &se) {
		fmt.Fprintln(a.Stderr, "nexus-onboard:", err)
		return app.ExitUsage
	}
	// cobra's own errors: unknown flag or command, bad arguments.
	fmt.Fprintln(a.Stderr, "nexus-onboard:", err)
	fmt.Fprintln(a.Stderr, "Run 'nexus-onboard --help' for usage.")
	return app.ExitUsage
}
