package secrets

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nexus-onboard/nexus-onboard/testkit"
)

// Broken keyrings are tested in a child process of the test binary: godbus
// keeps one session bus connection per process, and a connection that hangs
// holds its lock forever, so each scenario needs a process of its own.

const helperEnv = "NEXUS_ONBOARD_SECRETS_HELPER"

// helperValue is what the child tries to store; it must never show in errors.
const helperValue = "helper-secret-value-7f3a9c"

type helperResult struct {
	Err         string
	Unavailable bool
	NotFound    bool
	Deadline    bool
	Elapsed     time.Duration
}

// TestMain lets the test binary double as the child process: with
// helperEnv set it makes one keyring call, prints the outcome and exits.
func TestMain(m *testing.M) {
	if timeout := os.Getenv(helperEnv); timeout != "" {
		helperMain(timeout)
	}
	os.Exit(m.Run())
}

func helperMain(timeout string) {
	d, err := time.ParseDuration(timeout)
	if err != nil {
		fmt.Println("bad timeout:", err)
		os.Exit(2)
	}
	s := Store{Timeout: d, Service: "nexus-onboard-test-helper"}
	start := time.Now()
	err = s.Set(context.Background(), Account("cc", ClientSecret), helperValue)
	res := helperResult{
		Unavailable: errors.Is(err, ErrUnavailable),
		NotFound:    errors.Is(err, ErrNotFound),
		Deadline:    errors.Is(err, context.DeadlineExceeded),
		Elapsed:     time.Since(start),
	}
	if err != nil {
		res.Err = err.Error()
	}
	b, _ := json.Marshal(res)
	fmt.Printf("RESULT %s\n", b)
	// Exit at once: a hung keyring call may still hold a goroutine.
	os.Exit(0)
}

// runHelper runs the child with env (on top of a copy of the environment
// stripped of every bus and keyring location) and returns its result.
func runHelper(t *testing.T, timeout time.Duration, env []string, wrapper ...string) helperResult {
	t.Helper()
	args := append(wrapper, os.Args[0])
	cmd := exec.Command(args[0], args[1:]...)
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR", "XDG_DATA_HOME", helperEnv:
			continue
		}
		cmd.Env = append(cmd.Env, kv)
	}
	cmd.Env = append(cmd.Env, helperEnv+"="+timeout.String())
	cmd.Env = append(cmd.Env, env...)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			_ = cmd.Process.Kill()
		case <-done:
		}
	}()
	out, err := cmd.CombinedOutput()
	close(done)
	if err != nil {
		t.Fatalf("helper process: %v\n%s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if rest, ok := strings.CutPrefix(line, "RESULT "); ok {
			var res helperResult
			if err := json.Unmarshal([]byte(rest), &res); err != nil {
				t.Fatalf("helper result %q: %v", rest, err)
			}
			return res
		}
	}
	t.Fatalf("helper process printed no result:\n%s", out)
	return helperResult{}
}

// hangingBus listens on a unix socket, accepts connections and never
// answers, like a session bus whose owner is stuck.
func hangingBus(t *testing.T) string {
	t.Helper()
	path := filepath.Join(shortTempDir(t), "bus")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
	)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return "unix:path=" + path
}

// busWithoutSecretService starts a real D-Bus session daemon that knows no
// services at all, so org.freedesktop.secrets cannot be activated.
func busWithoutSecretService(t *testing.T) string {
	t.Helper()
	daemon := testkit.Tool(t, "dbus-daemon", "dbus")
	dir := shortTempDir(t)
	config := filepath.Join(dir, "session.conf")
	err := os.WriteFile(config, []byte(`<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=`+dir+`</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(daemon, "--config-file="+config, "--nofork", "--print-address=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("dbus-daemon printed no address: %v", err)
	}
	return strings.TrimSpace(addr)
}

// shortTempDir keeps unix socket paths under the ~107 byte limit.
func shortTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "kr")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func TestUnavailableKeyring(t *testing.T) {
	tests := []struct {
		name    string
		timeout time.Duration
		// setup returns extra environment and an optional command wrapping the child.
		setup    func(t *testing.T) (env, wrapper []string)
		deadline bool
		// within bounds how long the failing call may take.
		within time.Duration
	}{
		{
			name:    "no session bus",
			timeout: 5 * time.Second,
			setup: func(t *testing.T) ([]string, []string) {
				return []string{"DBUS_SESSION_BUS_ADDRESS=unix:path=" + filepath.Join(shortTempDir(t), "none")}, nil
			},
			within: 2 * time.Second,
		},
		{
			name:    "bus without Secret Service",
			timeout: 5 * time.Second,
			setup: func(t *testing.T) ([]string, []string) {
				return []string{"DBUS_SESSION_BUS_ADDRESS=" + busWithoutSecretService(t)}, nil
			},
			within: 2 * time.Second,
		},
		{
			// gnome-keyring is activated on a fresh bus, but nobody unlocked a
			// login keyring and there is no one to answer its prompt.
			name:    "locked keyring",
			timeout: 10 * time.Second,
			setup: func(t *testing.T) ([]string, []string) {
				testkit.Tool(t, "gnome-keyring-daemon", "gnome-keyring")
				run := testkit.Tool(t, "dbus-run-session", "dbus")
				return []string{"XDG_DATA_HOME=" + shortTempDir(t), "XDG_RUNTIME_DIR=" + shortTempDir(t)}, []string{run, "--"}
			},
			within: 9 * time.Second,
		},
		{
			name:    "bus that never answers",
			timeout: 300 * time.Millisecond,
			setup: func(t *testing.T) ([]string, []string) {
				return []string{"DBUS_SESSION_BUS_ADDRESS=" + hangingBus(t)}, nil
			},
			deadline: true,
			within:   2 * time.Second,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env, wrapper := tt.setup(t)
			res := runHelper(t, tt.timeout, env, wrapper...)
			if !res.Unavailable || res.NotFound {
				t.Fatalf("error %q: want ErrUnavailable", res.Err)
			}
			if res.Deadline != tt.deadline {
				t.Errorf("errors.Is(err, context.DeadlineExceeded) = %v, want %v (error %q)", res.Deadline, tt.deadline, res.Err)
			}
			if !strings.Contains(res.Err, remedy) {
				t.Errorf("error %q lacks the remedy %q", res.Err, remedy)
			}
			if strings.Contains(res.Err, helperValue) {
				t.Errorf("error contains the value being stored: %q", res.Err)
			}
			if res.Elapsed > tt.within {
				t.Errorf("failing call took %s, want at most %s", res.Elapsed, tt.within)
			}
			t.Logf("%s after %s: %s", tt.name, res.Elapsed.Round(time.Millisecond), res.Err)
		})
	}
}
