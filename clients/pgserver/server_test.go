package pgserver_test

// Tests of a running server. They are outside package pgserver because they
// use testkit, which imports pgserver.

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/nexus-onboard/nexus-onboard/clients/pgserver"
	"github.com/nexus-onboard/nexus-onboard/testkit"
)

func TestAvailable(t *testing.T) {
	real := testkit.RequirePostgres(t)
	empty := t.TempDir()
	tests := []struct {
		name  string
		pgBin string
		path  string
		want  string // "" means any directory but pgBin
	}{
		{"PG_BIN wins", real, "", real},
		{"PG_BIN without binaries falls back", empty, "", ""},
		{"PATH is searched", "", real, real},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("PG_BIN", tt.pgBin)
			t.Setenv("PATH", tt.path)
			got, err := pgserver.Available()
			if err != nil {
				t.Fatal(err)
			}
			if tt.want != "" && got != tt.want || got == empty {
				t.Errorf("Available() = %q, want %q", got, tt.want)
			}
			for _, bin := range []string{"initdb", "postgres"} {
				if !pgserver.IsExecutable(filepath.Join(got, bin)) {
					t.Errorf("%s has no %s", got, bin)
				}
			}
		})
	}
}

func TestServerConnections(t *testing.T) {
	s := testkit.StartPostgres(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	tests := []struct {
		name     string
		dsn      string
		wantUser string // "" means the connection must be refused
		wantCode string // SQLSTATE of the refusal
	}{
		{"superuser over the socket", s.SuperDSN, "postgres", ""},
		{"DSN is the superuser DSN", s.DSN, "postgres", ""},
		{"app role with its password", s.AppDSN, pgserver.AppUser, ""},
		{"app role with a wrong password", s.DSNWithPassword(pgserver.AppUser, s.AppPassword+"x"), "", "28P01"},
		{"app role without a password", s.DSNWithPassword(pgserver.AppUser, ""), "", "28P01"},
		{"superuser over TCP is not trusted", s.DSNWithPassword("postgres", ""), "", "28000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := pgx.Connect(ctx, tt.dsn)
			if tt.wantUser == "" {
				if err == nil {
					conn.Close(ctx)
					t.Fatal("connection succeeded, want it refused")
				}
				var pgErr *pgconn.PgError
				if !errors.As(err, &pgErr) || pgErr.Code != tt.wantCode {
					t.Fatalf("err = %v, want SQLSTATE %s", err, tt.wantCode)
				}
				if strings.Contains(err.Error(), s.AppPassword) {
					t.Errorf("error leaks the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(ctx)
			var user string
			if err := conn.QueryRow(ctx, "SELECT current_user").Scan(&user); err != nil {
				t.Fatal(err)
			}
			if user != tt.wantUser {
				t.Errorf("current_user = %q, want %q", user, tt.wantUser)
			}
		})
	}

	t.Run("app role owns its database and can create tables", func(t *testing.T) {
		conn, err := pgx.Connect(ctx, s.AppDSN)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "CREATE TABLE owned (id int)"); err != nil {
			t.Fatal(err)
		}
		var owner string
		err = conn.QueryRow(ctx, "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()").Scan(&owner)
		if err != nil || owner != pgserver.AppUser {
			t.Errorf("database owner = %q (%v), want %q", owner, err, pgserver.AppUser)
		}
	})

	t.Run("Exec and ExecIn run as superuser", func(t *testing.T) {
		if err := s.Exec(ctx, "CREATE TABLE in_postgres (id int)"); err != nil {
			t.Fatal(err)
		}
		if err := s.ExecIn(ctx, pgserver.AppDatabase, "INSERT INTO owned VALUES (1)"); err != nil {
			t.Fatal(err)
		}
		if err := s.Exec(ctx, "SELECT * FROM no_such_table"); err == nil {
			t.Error("Exec of bad SQL succeeded")
		}
	})

	t.Run("String hides the password", func(t *testing.T) {
		if strings.Contains(s.String(), s.AppPassword) || !strings.Contains(s.String(), strconv.Itoa(s.Port)) {
			t.Errorf("String() = %q", s.String())
		}
	})
}

func TestStopRemovesEverything(t *testing.T) {
	s := testkit.StartPostgres(t)
	if fi, err := os.Stat(filepath.Join(s.Dir, "data")); err != nil || !fi.IsDir() {
		t.Fatalf("data dir missing while running: %v", err)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.Dir); !os.IsNotExist(err) {
		t.Errorf("Dir still exists after Stop: %v", err)
	}
	if c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Port)), time.Second); err == nil {
		c.Close()
		t.Errorf("port %d still accepts connections after Stop", s.Port)
	}
	if err := s.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}
