// Package e2e holds the end-to-end tests of nexus-onboard and its fault
// matrix: the command line against the built-in sandbox (simulated Genesys
// over real HTTPS), a real PostgreSQL and the real Secret Service. It has
// no code of its own besides its tests; they fail in CI, and skip
// elsewhere, when a real component is missing.
//
// Most runs construct the command line in process, through the same
// cli.App main.go builds, so that a test can watch the sandbox while it
// runs. What needs a process of its own (a D-Bus connection set up once,
// the arguments every process shows, signals) runs the real binary, built
// once per test run from the module root (with -race when the tests are).
package e2e
