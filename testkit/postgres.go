package testkit

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nexus-onboard/nexus-onboard/clients/pgserver"
)

// RequirePostgres returns the directory of the PostgreSQL server binaries,
// or reports PostgreSQL Missing.
func RequirePostgres(t testing.TB) string {
	t.Helper()
	dir, err := pgserver.Available()
	Need(t, "PostgreSQL", err)
	return dir
}

// StartPostgres starts a throwaway PostgreSQL server for the test and stops
// it when the test ends. Without the server binaries PostgreSQL is Missing.
func StartPostgres(t testing.TB) *pgserver.Server {
	t.Helper()
	RequirePostgres(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := pgserver.Start(ctx)
	if errors.Is(err, pgserver.ErrNotFound) {
		Need(t, "PostgreSQL", err)
	}
	if err != nil {
		t.Fatalf("start throwaway PostgreSQL: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("stop throwaway PostgreSQL: %v", err)
		}
	})
	return s
}
