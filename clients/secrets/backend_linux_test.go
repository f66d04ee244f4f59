//go:build linux

package secrets

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/nexus-onboard/nexus-onboard/testkit"
	"github.com/zalando/go-keyring"
)

// Entries made by go-keyring's own functions (earlier versions of this
// tool) and by the kept session are one and the same.
func TestKeptSessionSharesEntriesWithGoKeyring(t *testing.T) {
	testkit.RequireKeyring(t)
	s := Store{Service: testService(t)}
	ctx := context.Background()
	old, ours := "cc-old-"+randomHex(t, 4), "cc-new-"+randomHex(t, 4)
	if err := keyring.Set(s.Service, old, "written-by-go-keyring"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = keyring.Delete(s.Service, old) })
	if got, err := s.Get(ctx, old); err != nil || got != "written-by-go-keyring" {
		t.Fatalf("Get of a go-keyring entry = %q, %v", got, err)
	}
	if err := s.Set(ctx, ours, "written-by-the-kept-session"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Delete(context.Background(), ours) })
	if got, err := keyring.Get(s.Service, ours); err != nil || got != "written-by-the-kept-session" {
		t.Fatalf("go-keyring Get of our entry = %q, %v", got, err)
	}
	// Overwriting replaces go-keyring's item instead of adding a second.
	if err := s.Set(ctx, old, "replaced"); err != nil {
		t.Fatal(err)
	}
	if got, err := keyring.Get(s.Service, old); err != nil || got != "replaced" {
		t.Fatalf("after overwrite go-keyring reads %q, %v", got, err)
	}
	if err := s.Delete(ctx, old); err != nil {
		t.Fatal(err)
	}
	if _, err := keyring.Get(s.Service, old); !errors.Is(err, keyring.ErrNotFound) {
		t.Fatalf("after Delete go-keyring still finds the entry: %v", err)
	}
}

// A kept session that stopped working (closed by the daemon, which a
// restart or a lock does) is replaced on the next call: the caller sees
// no error.
func TestKeptSessionIsReplacedWhenItStopsWorking(t *testing.T) {
	testkit.RequireKeyring(t)
	s := Store{Service: testService(t)}
	ctx := context.Background()
	account := "cc-" + randomHex(t, 4)
	if err := s.Set(ctx, account, "v1"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Delete(context.Background(), account) })
	kept := osKeyring.(*secretService)
	x, err := kept.open()
	if err != nil {
		t.Fatal(err)
	}
	if err := x.svc.Close(x.session); err != nil {
		t.Fatalf("closing the session behind the store's back: %v", err)
	}
	if got, err := s.Get(ctx, account); err != nil || got != "v1" {
		t.Fatalf("Get on a closed session = %q, %v; want v1 through a new session", got, err)
	}
	if y, _ := kept.open(); y == x {
		t.Fatal("the closed session is still kept")
	}
	if err := s.Set(ctx, account, "v2"); err != nil {
		t.Fatal(err)
	}
	if got, err := keyring.Get(s.Service, account); err != nil || got != "v2" {
		t.Fatalf("after the new session's Set go-keyring reads %q, %v", got, err)
	}
}

// BenchmarkGoKeyringRoundTrip is BenchmarkRoundTrip through go-keyring's
// own functions (a session per call), for comparison.
func BenchmarkGoKeyringRoundTrip(b *testing.B) {
	if err := (Store{Service: "nexus-onboard-bench"}).Probe(context.Background()); err != nil {
		b.Skip(err)
	}
	for b.Loop() {
		if err := keyring.Set("nexus-onboard-bench", "bench", "value"); err != nil {
			b.Fatal(err)
		}
		if _, err := keyring.Get("nexus-onboard-bench", "bench"); err != nil {
			b.Fatal(err)
		}
		if err := keyring.Delete("nexus-onboard-bench", "bench"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGet is one read of an existing entry, the call a run makes most.
func BenchmarkGet(b *testing.B) {
	s := Store{Service: "nexus-onboard-bench"}
	ctx := context.Background()
	if err := s.Set(ctx, "bench-get", "value"); err != nil {
		b.Skip(err)
	}
	defer s.Delete(ctx, "bench-get")
	for b.Loop() {
		if _, err := s.Get(ctx, "bench-get"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGoKeyringGet is BenchmarkGet through go-keyring's functions.
func BenchmarkGoKeyringGet(b *testing.B) {
	if err := keyring.Set("nexus-onboard-bench", "bench-get", "value"); err != nil {
		b.Skip(err)
	}
	defer keyring.Delete("nexus-onboard-bench", "bench-get")
	for b.Loop() {
		if _, err := keyring.Get("nexus-onboard-bench", "bench-get"); err != nil {
			b.Fatal(err)
		}
	}
}

// Warm opens the kept session in the background when a session bus is
// named, and does nothing (no bus of its own) when none is.
func TestWarmOpensTheSessionOnlyOnANamedBus(t *testing.T) {
	testkit.RequireKeyring(t)
	kept := osKeyring.(*secretService)
	forget := func() {
		kept.mu.Lock()
		defer kept.mu.Unlock()
		if kept.cur != nil {
			_ = kept.cur.svc.Close(kept.cur.session)
			kept.cur = nil
		}
	}
	isOpen := func() bool {
		kept.mu.Lock()
		defer kept.mu.Unlock()
		return kept.cur != nil
	}
	forget()
	Warm()
	deadline := time.Now().Add(5 * time.Second)
	for !isOpen() && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if !isOpen() {
		t.Fatal("Warm did not open a session on the session bus")
	}

	forget()
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	Warm()
	time.Sleep(100 * time.Millisecond)
	if isOpen() {
		t.Fatal("Warm opened a session without a named session bus")
	}
}

// ProbeAhead's probe is the one the zero Store's next Probe reports; the
// Probe after that probes anew.
func TestProbeAheadIsTakenByTheNextProbe(t *testing.T) {
	testkit.RequireKeyring(t)
	ProbeAhead()
	ahead.mu.Lock()
	pending := ahead.pending != nil
	ahead.mu.Unlock()
	if !pending {
		t.Fatal("ProbeAhead started no probe on a named session bus")
	}
	if err := (Store{}).Probe(context.Background()); err != nil {
		t.Fatalf("Probe after ProbeAhead: %v", err)
	}
	if takeAhead() != nil {
		t.Fatal("the early probe is still pending after Probe took it")
	}
	if err := (Store{}).Probe(context.Background()); err != nil {
		t.Fatalf("a second Probe: %v", err)
	}
	// (That a probe leaves nothing behind is TestProbe's: the early one
	// is the same probe, under the service other packages' tests share.)

	// Without a named bus it starts nothing, and Probe probes itself.
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	ProbeAhead()
	if takeAhead() != nil {
		t.Fatal("ProbeAhead started a probe without a named session bus")
	}
}

// A probe its caller stops waiting for still deletes its entry, and
// Settle waits for that: a run interrupted (or refused) while it probes
// leaves no probe entry behind.
func TestInterruptedProbesLeaveNothingAfterSettle(t *testing.T) {
	testkit.RequireKeyring(t)
	s := Store{Service: testService(t)}
	for i := range 20 {
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			time.Sleep(time.Duration(i%10) * 300 * time.Microsecond)
			cancel()
		}()
		_ = s.Probe(ctx)
		cancel()
	}
	Settle(10 * time.Second)
	out, err := exec.Command(testkit.Tool(t, "secret-tool", "libsecret-tools"), "search", "--all", "service", s.Service).CombinedOutput()
	if err != nil && len(out) > 0 && !strings.Contains(string(out), "No matching") {
		t.Fatalf("secret-tool search: %v: %s", err, out)
	}
	if strings.Contains(string(out), "probe/") {
		t.Errorf("interrupted probes left entries behind:\n%s", out)
	}
}
