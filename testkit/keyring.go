package testkit

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/zalando/go-keyring"
)

// KeyringHint says how to run tests with a real Secret Service.
const KeyringHint = "run the tests inside a keyring session, as `bash .ci/test` does: " +
	`XDG_DATA_HOME=$(mktemp -d) dbus-run-session -- sh -c 'printf %s "$KEYRING_PW" | gnome-keyring-daemon --unlock --components=secrets >/dev/null; go test ./...'`

// keyringTimeout bounds the probe: some desktops never answer.
const keyringTimeout = 10 * time.Second

// probeService is the keyring service the probe writes under, apart from
// every entry of nexus-onboard itself.
const probeService = "nexus-onboard-testkit"

// RequireKeyring reports the OS keyring Missing unless it can keep a secret:
// on Linux, a Secret Service on the D-Bus session bus with an unlocked
// collection. It writes, reads back and deletes a random entry.
func RequireKeyring(t testing.TB) {
	t.Helper()
	Need(t, "the OS keyring (Secret Service)", probeKeyring())
}

// probeKeyring talks to go-keyring directly rather than through
// clients/secrets, so that the tests of clients/secrets can use it too.
func probeKeyring() error {
	if runtime.GOOS == "linux" && os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		return errors.New("DBUS_SESSION_BUS_ADDRESS is not set; " + KeyringHint)
	}
	account, value := "probe/"+UUID(), UUID()
	done := make(chan error, 1) // buffered: a late answer must not block
	go func() {
		if err := keyring.Set(probeService, account, value); err != nil {
			done <- err
			return
		}
		got, err := keyring.Get(probeService, account)
		// Delete even when the read failed: the probe leaves nothing behind.
		delErr := keyring.Delete(probeService, account)
		switch {
		case err != nil:
			done <- err
		case got != value:
			done <- errors.New("it returned another value than was stored")
		default:
			done <- delErr
		}
	}()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("%w; %s", err, KeyringHint)
		}
		return nil
	case <-time.After(keyringTimeout):
		return fmt.Errorf("no answer within %s; %s", keyringTimeout, KeyringHint)
	}
}
