// Package testkit holds what the tests of nexus-onboard share: the real
// components they run against (a throwaway PostgreSQL, the OS keyring), how
// a missing one is reported (the test fails in CI and is skipped
// elsewhere), random contact center ids, and a TCP listener that never
// answers.
//
// It is test code: it imports testing, so only _test.go files and other
// test-only packages (e2e) may import it. The nexus-onboard binary must not
// link it; e2e's TestBinaryDoesNotLinkTesting checks that.
package testkit

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// InCI reports whether the tests run in CI: the environment variable CI is
// set (to anything but the empty string).
func InCI() bool { return os.Getenv("CI") != "" }

// Missing reports that a real component the test needs cannot be used. In
// CI the test fails, so that CI never passes by skipping what it was meant
// to test; elsewhere it is skipped with the reason. Missing does not return.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if InCI() {
		t.Fatalf("required in CI (CI is set): %s", msg)
	} else {
		t.Skipf("skipping: %s", msg)
	}
}

// Need calls Missing when err is not nil: what names the component, err
// says why it cannot be used.
func Need(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		Missing(t, "%s: %v", what, err)
	}
}

// Tool returns the path of the program name, or reports it Missing with
// the Debian package that provides it.
func Tool(t testing.TB, name, debianPackage string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		Missing(t, "%s not found: apt-get install -y --no-install-recommends %s", name, debianPackage)
	}
	return path
}
