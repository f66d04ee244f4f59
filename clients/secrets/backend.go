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
