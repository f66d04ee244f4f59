package cli

// Helpers of the tests that call a command's run function without cobra:
// an App on buffers with an in-memory keyring, state files, exit codes.

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/nexus-onboard/nexus-onboard/clients/secrets"
	"github.com/nexus-onboard/nexus-onboard/steps"
	"github.com/nexus-onboard/nexus-onboard/ui/app"
)

// Where the test config (planConfig) points.
const testAuthURL = "https://auth.example.invalid"

// testApp is an App on buffers, with kr as its keyring and environ as its
// environment; stdin is no terminal.
func testApp(kr steps.Keyring, environ ...string) (*App, *bytes.Buffer, *bytes.Buffer) {
	var stdout, stderr bytes.Buffer
	return &App{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Environ: environ, Keyring: kr}, &stdout, &stderr
}

// memoryWith is an in-memory keyring holding accounts, each with a value.
func memoryWith(t *testing.T, accounts ...string) *secrets.Memory {
	t.Helper()
	kr := secrets.NewMemory()
	for _, acct := range accounts {
		if err := kr.Set(context.Background(), acct, "value-of-"+acct); err != nil {
			t.Fatal(err)
		}
	}
	return kr
}

// saveState writes st as a state file of the state dir dir.
func saveState(t *testing.T, dir string, st *steps.State) {
	t.Helper()
	if err := (steps.Store{Dir: dir}).Save(st); err != nil {
		t.Fatal(err)
	}
}

// exitCodeOf is the exit code err carries (ExitOK for nil, -1 for none).
func exitCodeOf(err error) int {
	if err == nil {
		return app.ExitOK
	}
	var ee *app.ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	return -1
}
