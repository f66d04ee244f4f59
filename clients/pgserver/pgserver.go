//go:build linux

// Package pgserver starts a throwaway PostgreSQL server for tests and for the
// sandbox: a fresh cluster in a temporary directory, listening on 127.0.0.1 at
// a free port, removed again by Stop.
//
// The cluster has two ways in. The superuser "postgres" is trusted over the
// unix socket only (SuperDSN). The application role "nexus", owner of the
// database "nexus", logs in over TCP with a random password checked by
// scram-sha-256 (AppDSN), so tests can prove that a password is really sent and
// that a wrong one is refused. No other connection is allowed.
//
// The server binaries (initdb, postgres) are looked up in $PG_BIN, then on
// PATH, then in /usr/lib/postgresql/*/bin; `apt-get install -y postgresql`
// provides them on Debian and Ubuntu. Both refuse to run as root, so when the
// caller is root they run as the "postgres" user (or "nobody").
package pgserver

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// InstallHint tells a user how to get the PostgreSQL server binaries.
const InstallHint = "install PostgreSQL server binaries (apt-get install -y postgresql) or set PG_BIN to the directory holding initdb and postgres"

// AppUser and AppDatabase name the application role and its database that
// Start creates.
const (
	AppUser     = "nexus"
	AppDatabase = "nexus"
)

// debianBinGlob is where Debian and Ubuntu put the server binaries; a
// variable so tests can pretend they are missing.
var debianBinGlob = "/usr/lib/postgresql/*/bin"

// ErrNotFound reports that initdb or postgres could not be found.
var ErrNotFound = errors.New("PostgreSQL server binaries not found")

// Server is a running throwaway PostgreSQL server.
type Server struct {
	// DSN connects as the superuser; it is the same as SuperDSN.
	DSN string
	// SuperDSN connects as the superuser "postgres" over the unix socket in Dir
	// (trusted, no password).
	SuperDSN string
	// AppDSN connects as the role "nexus" to the database "nexus" over TCP with
	// the role's password (scram-sha-256).
	AppDSN string
	// AppPassword is the random password of the role "nexus".
	AppPassword string
	// Port is the TCP port on 127.0.0.1 (and the unix socket's port number).
	Port int
	// Dir is the temporary directory holding the cluster and the socket.
	Dir string

	cmd      *exec.Cmd
	log      *syncBuffer
	exited   chan struct{} // closed when the postgres process has exited
	stopOnce sync.Once
	stopErr  error
}

// String describes the server without its password.
func (s *Server) String() string {
	return fmt.Sprintf("pgserver on 127.0.0.1:%d (dir %s)", s.Port, s.Dir)
}

// Available reports the directory holding initdb and postgres, or an error
// wrapping ErrNotFound that says how to install them.
func Available() (binDir string, err error) {
	var candidates []string
	if d := os.Getenv("PG_BIN"); d != "" {
		candidates = append(candidates, d)
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		candidates = append(candidates, filepath.Dir(p))
		// Distributions often link only some binaries onto PATH; postgres
		// then sits beside the link's target.
		if real, err := filepath.EvalSymlinks(p); err == nil {
			candidates = append(candidates, filepath.Dir(real))
		}
	}
	globbed, _ := filepath.Glob(debianBinGlob)
	// Prefer the newest major version: the glob sorts "9.6" after "15", so sort
	// numerically.
	sort.Slice(globbed, func(i, j int) bool { return majorOf(globbed[i]) > majorOf(globbed[j]) })
	candidates = append(candidates, globbed...)
	for _, d := range candidates {
		if isExecutable(filepath.Join(d, "initdb")) && isExecutable(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	return "", fmt.Errorf("%w (looked in $PG_BIN, PATH and /usr/lib/postgresql/*/bin): %s", ErrNotFound, InstallHint)
}

func majorOf(binDir string) float64 {
	v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(binDir)), 64)
	return v
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// Start creates a fresh cluster, starts postgres on a free port and creates the
// role and database "nexus". Stop it with Stop.
func Start(ctx context.Context) (*Server, error) {
	binDir, err := Available()
	if err != nil {
		return nil, err
	}
	cred, err := runAs()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(shortTempDir(), "pg")
	if err != nil {
		return nil, fmt.Errorf("create a directory for PostgreSQL: %w", err)
	}
	if cred != nil {
		// initdb runs as another user and must be able to write here.
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("hand %s to uid %d: %w", dir, cred.Uid, err)
		}
	}
	s, err := start(ctx, binDir, dir, cred)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return s, nil
}

func start(ctx context.Context, binDir, dir string, cred *syscall.Credential) (*Server, error) {
	data := filepath.Join(dir, "data")
	initdb := exec.CommandContext(ctx, filepath.Join(binDir, "initdb"),
		"-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8",
		"--no-locale", "--no-sync", "--no-instructions")
	initdb.Dir = dir
	initdb.Env = append(os.Environ(), "LC_ALL=C")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("initdb failed: %w: %s", err, lastLines(out, 5))
	}
	if err := writeHBA(data, cred); err != nil {
		return nil, err
	}

	var lastErr error
	// A free port can be taken between choosing it and postgres binding it;
	// a few attempts make that race harmless.
	for attempt := 0; attempt < 5; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		s := &Server{Port: port, Dir: dir}
		s.SuperDSN = (&url.URL{Scheme: "postgres", User: url.User("postgres"), Path: "/postgres",
			RawQuery: url.Values{"host": {dir}, "port": {strconv.Itoa(port)}, "sslmode": {"disable"}}.Encode()}).String()
		s.DSN = s.SuperDSN
		err = s.launch(ctx, binDir, data, cred)
		if err == nil {
			if err := s.createApp(ctx); err != nil {
				s.Stop()
				return nil, err
			}
			return s, nil
		}
		lastErr = err
		if !errors.Is(err, errPortTaken) {
			break
		}
	}
	return nil, lastErr
}

var errPortTaken = errors.New("port taken")

// launch starts postgres and waits until it accepts connections.
func (s *Server) launch(ctx context.Context, binDir, data string, cred *syscall.Credential) error {
	s.log = &syncBuffer{}
	cmd := exec.Command(filepath.Join(binDir, "postgres"),
		"-D", data, "-p", strconv.Itoa(s.Port), "-k", s.Dir,
		"-c", "listen_addresses=127.0.0.1",
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "shared_buffers=16MB")
	cmd.Dir = s.Dir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	cmd.Stdout = s.log
	cmd.Stderr = s.log
	// Own process group so Stop can kill stragglers; Pdeathsig so a crashed
	// test binary does not leave a server behind.
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	s.cmd = cmd
	s.exited = make(chan struct{})
	go func() {
		cmd.Wait()
		close(s.exited)
	}()

	deadline := time.NewTimer(30 * time.Second)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		attemptCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
		conn, err := pgx.Connect(attemptCtx, s.SuperDSN)
		cancel()
		if err == nil {
			conn.Close(ctx)
			return nil
		}
		select {
		case <-s.exited:
			out := s.log.String()
			if strings.Contains(out, "Address already in use") || strings.Contains(out, "could not create any TCP/IP sockets") {
				return fmt.Errorf("%w: %d", errPortTaken, s.Port)
			}
			return fmt.Errorf("postgres exited before accepting connections: %s", lastLines([]byte(out), 5))
		case <-ctx.Done():
			s.Stop()
			return fmt.Errorf("wait for postgres: %w", ctx.Err())
		case <-deadline.C:
			s.Stop()
			return fmt.Errorf("postgres did not accept connections within 30s: %s", lastLines([]byte(s.log.String()), 5))
		case <-tick.C:
		}
	}
}

// createApp creates the password-protected application role and its database.
func (s *Server) createApp(ctx context.Context) error {
	s.AppPassword = randomAlnum(24)
	// Utility statements take no bind parameters; the password is alphanumeric,
	// so quoting it as a literal is safe.
	stmts := []string{
		fmt.Sprintf("CREATE ROLE %s LOGIN PASSWORD '%s'", AppUser, s.AppPassword),
		fmt.Sprintf("CREATE DATABASE %s OWNER %s", AppDatabase, AppUser),
	}
	for _, q := range stmts {
		if err := s.Exec(ctx, q); err != nil {
			// Do not echo the statement: it holds the password.
			return fmt.Errorf("create the %s role and database: %w", AppUser, err)
		}
	}
	s.AppDSN = s.DSNWithPassword(AppUser, s.AppPassword)
	return nil
}

// DSNWithPassword returns a TCP DSN for the database "nexus" with the given
// user and password; use it to try a wrong password.
func (s *Server) DSNWithPassword(user, pass string) string {
	u := url.URL{Scheme: "postgres", User: url.UserPassword(user, pass),
		Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Port)), Path: "/" + AppDatabase, RawQuery: "sslmode=disable"}
	return u.String()
}

// Exec runs sql as the superuser in the database "postgres".
func (s *Server) Exec(ctx context.Context, sql string) error {
	return s.ExecIn(ctx, "postgres", sql)
}

// ExecIn runs sql as the superuser in the named database.
func (s *Server) ExecIn(ctx context.Context, database, sql string) error {
	cfg, err := pgx.ParseConfig(s.SuperDSN)
	if err != nil {
		return fmt.Errorf("parse the superuser DSN: %w", err)
	}
	cfg.Database = database
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("connect to throwaway PostgreSQL as superuser: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, sql); err != nil {
		return fmt.Errorf("run SQL on throwaway PostgreSQL: %w", err)
	}
	return nil
}

// Stop shuts postgres down (SIGINT, then SIGKILL to its process group after
// 10 s) and removes Dir. It is safe to call more than once.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		if s.cmd != nil && s.cmd.Process != nil {
			// SIGINT is PostgreSQL's "fast shutdown".
			_ = s.cmd.Process.Signal(syscall.SIGINT)
			select {
			case <-s.exited:
			case <-time.After(10 * time.Second):
				_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
				<-s.exited
			}
		}
		if err := os.RemoveAll(s.Dir); err != nil {
			s.stopErr = fmt.Errorf("remove PostgreSQL directory %s: %w", s.Dir, err)
		}
	})
	return s.stopErr
}

// writeHBA replaces initdb's trust-everything rules: the superuser over the
// socket only, the app role over TCP with scram-sha-256, nothing else.
func writeHBA(data string, cred *syscall.Credential) error {
	const hba = `# written by pgserver
local all postgres trust
host  all nexus 127.0.0.1/32 scram-sha-256
host  all nexus ::1/128      scram-sha-256
`
	path := filepath.Join(data, "pg_hba.conf")
	if err := os.WriteFile(path, []byte(hba), 0o600); err != nil {
		return fmt.Errorf("write pg_hba.conf: %w", err)
	}
	if cred != nil {
		if err := os.Chown(path, int(cred.Uid), int(cred.Gid)); err != nil {
			return fmt.Errorf("hand pg_hba.conf to uid %d: %w", cred.Uid, err)
		}
	}
	return nil
}

// runAs returns the credential to run the server binaries with: nil when not
// root, else the "postgres" user, else "nobody".
func runAs() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err1 != nil || err2 != nil {
			continue
		}
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
	}
	return nil, errors.New("running as root but neither a postgres nor a nobody user exists: PostgreSQL refuses to run as root; create a postgres user or run as another user")
}

// shortTempDir keeps the socket path under the ~107-byte limit even when
// TMPDIR is long.
func shortTempDir() string {
	d := os.TempDir()
	if len(d) > 60 {
		return "/tmp"
	}
	return d
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port on 127.0.0.1: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

func randomAlnum(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alnum[randIndex(len(alnum))]
	}
	return string(b)
}

// randIndex returns a uniform index in [0, n) from crypto/rand.
func randIndex(n int) int {
	var b [1]byte
	limit := 256 - 256%n
	for {
		rand.Read(b[:])
		if int(b[0]) < limit {
			return int(b[0]) % n
		}
	}
}

func lastLines(out []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

// syncBuffer collects the server's output; exec writes to it from its own
// goroutine while launch reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	// Keep the tail only: a long-running server must not grow memory.
	if b.buf.Len() > 64<<10 {
		tail := append([]byte(nil), b.buf.Bytes()[b.buf.Len()-32<<10:]...)
		b.buf.Reset()
		b.buf.Write(tail)
	}
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
