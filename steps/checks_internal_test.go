package steps

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/nexus-onboard/nexus-onboard/clients/redact"
)

// A gated check runs while its gate is still running: the gate here only
// finishes once the gated check has run, which would never happen if the
// gated check waited for it.
func TestGatedCheckRunsAlongsideItsGate(t *testing.T) {
	e := &Env{Redactor: redact.New()}
	gatedRan := make(chan struct{})
	var mu sync.Mutex
	var order []string
	checks := []Check{
		{Name: "gate", Run: func(ctx context.Context) (string, error) {
			select {
			case <-gatedRan:
				return "ok", nil
			case <-time.After(5 * time.Second):
				return "", errors.New("the gated check did not run while the gate was running")
			}
		}},
		{Name: "gated", Gate: []string{"gate"}, Run: func(ctx context.Context) (string, error) {
			close(gatedRan)
			return "fine", nil
		}},
		{Name: "after gated", After: []string{"gated"}, Gate: []string{"gate"}, Run: func(ctx context.Context) (string, error) {
			return "also fine", nil
		}},
	}
	rs := RunChecks(context.Background(), e, checks, func(r CheckResult) {
		mu.Lock()
		defer mu.Unlock()
		order = append(order, r.Name)
	})
	for _, r := range rs {
		if r.Failed() || r.NotChecked {
			t.Fatalf("%s: %+v", r.Name, r)
		}
	}
	if order[0] != "gate" {
		t.Fatalf("reported in the order %v: a gated result came before its gate's", order)
	}
}

// When the gate fails, what the gated checks found is not reported: each
// says it needs the gate, and the gate's failure is the one cause.
func TestFailedGateMakesGatedChecksNotChecked(t *testing.T) {
	e := &Env{Redactor: redact.New()}
	checks := []Check{
		{Name: "keyring", Run: func(context.Context) (string, error) { return "", errors.New("no keyring") }},
		{Name: "ping", Gate: []string{"keyring"}, Run: func(context.Context) (string, error) { return "", errors.New("refused") }},
		{Name: "ops", After: []string{"ping"}, Gate: []string{"keyring"}, Run: func(context.Context) (string, error) {
			t.Error("ops ran although the ping it relies on failed")
			return "", nil
		}},
		{Name: "db", Gate: []string{"keyring"}, Run: func(context.Context) (string, error) { return "connected", nil }},
	}
	rs := RunChecks(context.Background(), e, checks, nil)
	if !rs[0].Failed() {
		t.Fatalf("keyring: %+v", rs[0])
	}
	for _, r := range rs[1:] {
		if r.Failed() || !r.NotChecked || r.Waits != "keyring" || r.Note != "not checked: needs keyring" || r.Cause != nil {
			t.Errorf("%s: %+v, want not checked, needing keyring", r.Name, r)
		}
	}
}

// With the gate passed, a gated check's own outcome stands, and After
// still stops what relies on a failed check.
func TestPassedGateKeepsWhatTheCheckFound(t *testing.T) {
	e := &Env{Redactor: redact.New()}
	checks := []Check{
		{Name: "keyring", Run: func(context.Context) (string, error) { return "ok", nil }},
		{Name: "ping", Gate: []string{"keyring"}, Run: func(context.Context) (string, error) { return "", errors.New("refused") }},
		{Name: "ops", After: []string{"ping"}, Gate: []string{"keyring"}, Run: func(context.Context) (string, error) { return "", nil }},
	}
	rs := RunChecks(context.Background(), e, checks, nil)
	if rs[1].Err != "refused" {
		t.Errorf("ping: %+v, want its own failure", rs[1])
	}
	if !rs[2].NotChecked || rs[2].Waits != "ping" {
		t.Errorf("ops: %+v, want not checked, needing ping", rs[2])
	}
}
