package pgserver

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"
)

// StartForTest starts a server for one test (or one test package, when called
// from TestMain-style helpers) and stops it in t.Cleanup. Without the server
// binaries it fails the test when CI is set, so CI cannot silently skip the
// database tests, and skips it otherwise with the install hint.
func StartForTest(t testing.TB) *Server {
	t.Helper()
	if _, err := Available(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("PostgreSQL is required in CI: %v", err)
		}
		t.Skipf("skipping: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := Start(ctx)
	if err != nil {
		if errors.Is(err, ErrNotFound) && os.Getenv("CI") == "" {
			t.Skipf("skipping: %v", err)
		}
		t.Fatalf("start throwaway PostgreSQL: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("stop throwaway PostgreSQL: %v", err)
		}
	})
	return s
}
