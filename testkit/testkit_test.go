package testkit

import (
	"context"
	"errors"
	"fmt"
	"net"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// recorder is a testing.TB that records how a helper ended the test
// instead of ending it.
type recorder struct {
	testing.TB
	fatal, skip string
}

func (r *recorder) Helper()                           {}
func (r *recorder) Fatalf(format string, args ...any) { r.fatal = fmt.Sprintf(format, args...) }
func (r *recorder) Skipf(format string, args ...any)  { r.skip = fmt.Sprintf(format, args...) }

func TestMissingFailsInCIAndSkipsElsewhere(t *testing.T) {
	for _, tt := range []struct {
		ci        string
		wantFatal bool
	}{{"1", true}, {"true", true}, {"", false}} {
		t.Run("CI="+tt.ci, func(t *testing.T) {
			t.Setenv("CI", tt.ci)
			r := &recorder{}
			Need(r, "PostgreSQL", errors.New("initdb not found"))
			got := r.skip
			if tt.wantFatal {
				got = r.fatal
			}
			if (r.fatal != "") != tt.wantFatal || (r.skip != "") == tt.wantFatal {
				t.Fatalf("fatal %q, skip %q; want the test to fail: %v", r.fatal, r.skip, tt.wantFatal)
			}
			if !strings.Contains(got, "PostgreSQL") || !strings.Contains(got, "initdb not found") {
				t.Errorf("the message lacks what and why: %q", got)
			}

			r = &recorder{}
			Need(r, "PostgreSQL", nil)
			if r.fatal != "" || r.skip != "" {
				t.Errorf("Need with no error ended the test: fatal %q, skip %q", r.fatal, r.skip)
			}

			r = &recorder{}
			Tool(r, "no-such-program-"+UUID(), "some-package")
			if msg := r.fatal + r.skip; !strings.Contains(msg, "apt-get install -y --no-install-recommends some-package") {
				t.Errorf("a missing program does not say how to install it: %q", msg)
			}
		})
	}
}

func TestTool(t *testing.T) {
	if p := Tool(t, "sh", "dash"); !strings.HasSuffix(p, "/sh") {
		t.Errorf("Tool(sh) = %q", p)
	}
}

func TestUUID(t *testing.T) {
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for range 1000 {
		u := UUID()
		if !re.MatchString(u) {
			t.Fatalf("UUID() = %q, want a lower-case version 4 UUID", u)
		}
		if seen[u] {
			t.Fatalf("UUID() repeated %q", u)
		}
		seen[u] = true
	}
}

// The listener takes the connection and the request, and never answers.
func TestSilentListener(t *testing.T) {
	addr := SilentListener(t)
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	n, err := c.Read(make([]byte, 1))
	var ne net.Error
	if n != 0 || !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("read %d bytes, err %v; want nothing until the deadline", n, err)
	}
}

func TestStartPostgres(t *testing.T) {
	s := StartPostgres(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.AppDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var one int
	if err := conn.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Errorf("SELECT 1 = %d, %v", one, err)
	}
}

func TestRequireKeyring(t *testing.T) {
	RequireKeyring(t)
	// With no session bus, the probe says so and how to get one.
	if runtime.GOOS == "linux" {
		t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
		if err := probeKeyring(); err == nil || !strings.Contains(err.Error(), "dbus-run-session") {
			t.Errorf("probe without a session bus: %v", err)
		}
	}
}
