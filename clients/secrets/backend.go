package secrets

import "github.com/zalando/go-keyring"

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
// first keyring call of a command finds its session ready: a headless run
// calls it before it reads its configuration. It changes nothing in the
// keyring, and it never starts a session bus of its own: without
// DBUS_SESSION_BUS_ADDRESS (Linux) it does nothing, as it does on other
// systems, whose keyrings need no session.
func Warm() {
	if w, ok := osKeyring.(interface{ warm() }); ok {
		w.warm()
	}
}
