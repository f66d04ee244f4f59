//go:build !linux

package pgserver

import (
	"context"
	"errors"
	"fmt"
)

// InstallHint tells a user how to get a throwaway PostgreSQL server.
const InstallHint = "the throwaway PostgreSQL server runs on Linux only; elsewhere point db_url at a database of your own"

// AppUser and AppDatabase name the application role and its database.
const (
	AppUser     = "nexus"
	AppDatabase = "nexus"
)

// ErrNotFound reports that no throwaway server can be started here.
var ErrNotFound = errors.New("PostgreSQL server binaries not found")

// Server is a running throwaway PostgreSQL server (never, on this platform).
type Server struct {
	DSN, SuperDSN, AppDSN, AppPassword string
	Port                               int
	Dir                                string
}

func (s *Server) String() string { return fmt.Sprintf("pgserver on 127.0.0.1:%d", s.Port) }

// Available always fails off Linux: the server is started with Linux-only
// process attributes (credentials, parent-death signal).
func Available() (string, error) { return "", fmt.Errorf("%w: %s", ErrNotFound, InstallHint) }

// Start always fails off Linux.
func Start(context.Context) (*Server, error) { _, err := Available(); return nil, err }

// DSNWithPassword is not available off Linux.
func (s *Server) DSNWithPassword(user, pass string) string { return "" }

// Exec is not available off Linux.
func (s *Server) Exec(context.Context, string) error { return ErrNotFound }

// ExecIn is not available off Linux.
func (s *Server) ExecIn(context.Context, string, string) error { return ErrNotFound }

// Stop does nothing off Linux.
func (s *Server) Stop() error { return nil }
