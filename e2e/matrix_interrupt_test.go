package e2e

// Fault matrix: what happens while a step is in flight — SIGINT and
// SIGTERM to the real binary, and a state dir that fills up or turns
// read-only before the step's record is saved.

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/nexus-onboard/nexus-onboard/clients/sandbox"
	"github.com/nexus-onboard/nexus-onboard/steps"
)

// stepHold keeps a step's request in flight until released.
type stepHold struct {
	seen    func() bool
	release func()
}

// holdStep delays the step's request: an HTTP answer by latency, the database
// by a table lock the test holds until release.
func (c *mcase) holdStep(t *testing.T, st matrixStep, latency time.Duration) stepHold {
	t.Helper()
	if st.svc != "db" {
		c.sb.Faults.Add(sandbox.Fault{Method: st.method, Path: st.route(c.cc), Latency: latency, Times: 1})
		return stepHold{seen: func() bool { return c.sb.Faults.Len() == 0 }, release: func() {}}
	}
	ctx := context.Background()
	locker, err := pgx.Connect(ctx, c.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	watcher, err := pgx.Connect(ctx, c.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := locker.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "LOCK TABLE nex_gapis IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	release := func() {
		once.Do(func() {
			tx.Rollback(ctx)
			locker.Close(ctx)
			watcher.Close(ctx)
		})
	}
	t.Cleanup(release)
	return stepHold{
		seen: func() bool {
			var n int
			err := watcher.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()").Scan(&n)
			return err == nil && n > 0
		},
		release: release,
	}
}

// waitUntil polls cond for up to 20 s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// signalCase interrupts the command while the step's request is in flight.
func signalCase(t *testing.T, sh *shard, st matrixStep, sig syscall.Signal) {
	bin := binary(t) // before the step is held: the first build takes a while
	c := sh.next(t)
	args := c.faultArgs(t, st, c.cfg)
	h := c.holdStep(t, st, time.Minute)
	cmd := exec.Command(bin, append([]string{"run", "--state-dir", c.stateDir, "--output", "json", "--no-preflight"}, args...)...)
	cmd.Env = os.Environ()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	waitUntil(t, st.id+" in flight", func() bool {
		select {
		case err := <-exited:
			t.Fatalf("the command ended before %s was in flight: %v\n%s", st.id, err, errb.String())
		default:
		}
		return h.seen()
	})
	if err := cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	var err error
	select {
	case err = <-exited:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("%v did not stop the command within 20 s", sig)
	}
	h.release()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	}
	r := result{code: code, stdout: out.String(), stderr: errb.String()}
	d := c.parse(t, "signal", r)
	if r.code != 130 {
		t.Errorf("exit %d, want 130\n%s", r.code, r.stderr)
	}
	status, text := d.step(st.id)
	if status != steps.StatusFailed || !strings.Contains(text, "interrupted") {
		t.Errorf("%s: %s (%s), want failed: interrupted", st.id, status, text)
	}
	for _, id := range st.after() {
		if got, _ := d.step(id); got != "" && got != steps.StatusNotRun {
			t.Errorf("%s after the interrupt: %s, want not-run", id, got)
		}
	}
	if !strings.Contains(r.stderr, "run again to resume") {
		t.Errorf("stderr does not say how to resume:\n%s", r.stderr)
	}
	c.checkState(t, st.id, steps.StatusFailed)
	c.recover(t)
}

// stateDirFault breaks the state dir while the step is in flight: "full"
// fills a small tmpfs, "read-only" remounts it read-only. Without the right
// to mount, the state dir is swapped for a regular file instead.
func stateDirFault(t *testing.T, sh *shard, st matrixStep, kind string) {
	c := sh.next(t)
	// The step's work lands while its record cannot be saved; the next run
	// finds it done, and the intent saved before the write says it is ours.
	if err := os.MkdirAll(c.stateDir, 0o700); err != nil {
		t.Fatal(err)
	}
	mounted := syscall.Mount("tmpfs", c.stateDir, "tmpfs", 0, "size=1m,mode=0700") == nil
	if mounted {
		t.Cleanup(func() { syscall.Unmount(c.stateDir, syscall.MNT_DETACH) })
	} else {
		t.Logf("cannot mount a tmpfs here: the state dir is replaced by a regular file instead")
	}
	args := c.faultArgs(t, st, c.cfg)
	// Long enough to break the state dir while the answer waits.
	h := c.holdStep(t, st, 1500*time.Millisecond)
	done := make(chan result, 1)
	go func() {
		done <- c.run(t, append([]string{"run", "--state-dir", c.stateDir, "--output", "json", "--no-preflight"}, args...)...)
	}()
	waitUntil(t, st.id+" in flight", h.seen)
	before, had := c.stateIfAny(t)
	var undo func()
	var wantErr string
	switch {
	case !mounted:
		away := c.stateDir + ".away"
		if err := os.Rename(c.stateDir, away); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(c.stateDir, []byte("not a directory"), 0o600)
		undo = func() { os.Remove(c.stateDir); os.Rename(away, c.stateDir) }
		wantErr = "not a directory"
	case kind == "full":
		filler := filepath.Join(c.stateDir, "filler")
		f, err := os.Create(filler)
		if err != nil {
			t.Fatal(err)
		}
		chunk := make([]byte, 64<<10)
		for {
			if _, err := f.Write(chunk); err != nil {
				break
			}
		}
		f.Close()
		undo = func() { os.Remove(filler) }
		wantErr = "no space left on device"
	default:
		// The run holds its lock file open for writing, so the tmpfs cannot
		// be remounted read-only (EBUSY): stack a read-only bind mount on it.
		if err := syscall.Mount(c.stateDir, c.stateDir, "", syscall.MS_BIND, ""); err != nil {
			t.Fatalf("bind mount: %v", err)
		}
		if err := syscall.Mount("", c.stateDir, "", syscall.MS_BIND|syscall.MS_REMOUNT|syscall.MS_RDONLY, ""); err != nil {
			syscall.Unmount(c.stateDir, syscall.MNT_DETACH)
			t.Fatalf("remount read-only: %v", err)
		}
		undo = func() {
			if err := syscall.Unmount(c.stateDir, syscall.MNT_DETACH); err != nil {
				t.Errorf("unmount the read-only bind: %v", err)
			}
		}
		wantErr = "read-only file system"
	}
	var once sync.Once
	t.Cleanup(func() { once.Do(undo) }) // also when the case fails first
	h.release()
	r := <-done
	d := c.parse(t, "state fault", r)
	once.Do(undo)
	if r.code != 1 {
		t.Errorf("exit %d, want 1\n%s", r.code, r.stderr)
	}
	for _, want := range []string{wantErr, "step " + st.id, "could not be saved", "then run again"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	// register-gws is held in its check (a table lock), so the state dir
	// breaks before the write: the intent cannot be saved, and no write is
	// sent. The other steps are held on their write, after the intent.
	if status, text := d.step(st.id); st.id == steps.IDRegisterGWS {
		if status != steps.StatusFailed || !strings.Contains(text, "nothing was sent") {
			t.Errorf("%s: %s (%s), want failed before any write", st.id, status, text)
		}
	} else if !status.OK() {
		t.Errorf("%s: %s (%s), want its work done before the save failed", st.id, status, text)
	}
	// The state file is the one from before the step: whole, never half written.
	after, has := c.stateIfAny(t)
	if has != had || (had && !after.Updated.Equal(before.Updated)) {
		t.Errorf("the state file changed although the state dir was broken")
	}
	if leftovers, _ := filepath.Glob(filepath.Join(c.stateDir, ".*.json.*")); len(leftovers) > 0 {
		t.Errorf("temporary state files left behind: %v", leftovers)
	}
	c.recover(t)
}
