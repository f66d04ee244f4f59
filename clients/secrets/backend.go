package secrets

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zalando/go-keyring"
)

// backend is the OS keyring under Store: go-keyring's functions, except on
// Linux (backend_linux.go), where one Secret Service session serves every
// call of the process.
type backend interface {
	get(service, account string) (string, error)
	set(service, account, value string) error
	delete(service, account string) error
}

// goKeyring is go-keyring's own API: a session per call.
type goKeyring struct{}

func (goKeyring) get(service, account string) (string, error) { return keyring.Get(service, account) }
func (goKeyring) set(service, account, value string) error {
	return keyring.Set(service, account, value)
}
func (goKeyring) delete(service, account string) error { return keyring.Delete(service, account) }

// Warm starts connecting to the OS keyring in the background, so that the
// first keyring call of a command finds its session ready: a headless
// command calls it before it reads its configuration. It changes nothing
// in the keyring, and it never starts a session bus of its own: without
// DBUS_SESSION_BUS_ADDRESS (Linux) it does nothing, as it does on other
// systems, whose keyrings need no session.
func Warm() {
	if w, ok := osKeyring.(warmer); ok && w.warmable() {
		w.warm()
	}
}

type warmer interface {
	warmable() bool
	warm()
}

// probes counts the probes in flight, for Settle (a counter, not a
// WaitGroup: a Settle that gave up must not stop later probes).
var probes atomic.Int64

// Settle waits, at most d, for the probes in flight to end, entry deleted:
// a command that stops early (refused, interrupted, or while ProbeAhead's
// probe runs) calls it before the process exits, so no probe entry is
// left behind.
func Settle(d time.Duration) {
	for deadline := time.Now().Add(d); probes.Load() > 0 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
}

// earlyProbe is a probe started by ProbeAhead; err is set before done
// closes.
type earlyProbe struct {
	done chan struct{}
	err  error
}

// ahead holds the pending early probe: the next Probe of the OS keyring
// under the default service and timeout takes it.
var ahead struct {
	mu      sync.Mutex
	pending *earlyProbe
}

// ProbeAhead starts, in the background, the Probe that a command which
// keeps secrets makes first (a headless run calls it before it reads its
// configuration): the write, read and delete of a probe entry then overlap
// the command's start instead of delaying its first request. Where Warm
// would do nothing, so does ProbeAhead. A probe leaves nothing behind
// either way; the next Probe of Store{} waits for this one's outcome
// instead of probing again (once: a later Probe probes anew).
func ProbeAhead() {
	w, ok := osKeyring.(warmer)
	if !ok || !w.warmable() {
		return
	}
	ahead.mu.Lock()
	defer ahead.mu.Unlock()
	if ahead.pending != nil {
		return
	}
	p := &earlyProbe{done: make(chan struct{})}
	ahead.pending = p
	probes.Add(1) // before the goroutine: Settle must see it at once
	go func() {
		defer probes.Add(-1)
		p.err = Store{}.probe(context.Background())
		close(p.done)
	}()
}

// takeAhead returns the pending early probe and forgets it; nil when there
// is none.
func takeAhead() *earlyProbe {
	ahead.mu.Lock()
	defer ahead.mu.Unlock()
	p := ahead.pending
	ahead.pending = nil
	return p
}
