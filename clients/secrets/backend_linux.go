//go:build linux

package secrets

import (
	"fmt"
	"os"
	"sync"

	dbus "github.com/godbus/dbus/v5"
	"github.com/zalando/go-keyring"
	ss "github.com/zalando/go-keyring/secret_service"
)

// osKeyring keeps one Secret Service session for the process. go-keyring's
// own functions open a session, look the collection up, unlock it and close
// the session again on every call: 5 to 7 D-Bus round trips where a read
// needs 2 and a write 1, and a run makes a dozen calls. The items are the
// ones go-keyring makes (attributes "service" and "username", the same
// label), in the same collection, so either reads what the other wrote.
var osKeyring backend = &secretService{}

// secretService is the Secret Service API with the session, the collection
// and its unlocking done once. A call that fails on the kept session (the
// daemon restarted, the collection was locked since, the bus dropped) is
// tried once more on a fresh one; "no such entry" is an answer, not a
// failure.
type secretService struct {
	mu  sync.Mutex
	cur *ssSession
}

// ssSession is an open session on an unlocked collection.
type ssSession struct {
	svc        *ss.SecretService
	session    dbus.BusObject
	collection dbus.BusObject
}

// open returns the kept session, or opens one: bus, session, collection,
// unlock (which may prompt on a desktop).
func (s *secretService) open() (*ssSession, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur != nil {
		return s.cur, nil
	}
	svc, err := ss.NewSecretService()
	if err != nil {
		return nil, err
	}
	session, err := svc.OpenSession()
	if err != nil {
		return nil, err
	}
	collection := svc.GetLoginCollection()
	if err := svc.Unlock(collection.Path()); err != nil {
		_ = svc.Close(session)
		return nil, err
	}
	s.cur = &ssSession{svc: svc, session: session, collection: collection}
	return s.cur, nil
}

// warmable: a session bus is named, so connecting starts none.
func (s *secretService) warmable() bool { return os.Getenv("DBUS_SESSION_BUS_ADDRESS") != "" }

// warm opens the session in the background.
func (s *secretService) warm() { go func() { _, _ = s.open() }() }

// drop forgets x if it is still the kept session.
func (s *secretService) drop(x *ssSession) {
	s.mu.Lock()
	kept := s.cur == x
	if kept {
		s.cur = nil
	}
	s.mu.Unlock()
	if kept {
		// Outside the lock: a daemon that no longer answers holds this
		// call, not every other caller's next session.
		_ = x.svc.Close(x.session)
	}
}

// do runs op on the kept session, and once more on a fresh one if it
// failed for any reason but a missing entry.
func do[T any](s *secretService, op func(*ssSession) (T, error)) (T, error) {
	var zero T
	for attempt := 0; ; attempt++ {
		x, err := s.open()
		if err != nil {
			return zero, err
		}
		v, err := op(x)
		if err == nil || err == keyring.ErrNotFound || attempt == 1 {
			return v, err
		}
		s.drop(x)
	}
}

func attributes(service, account string) map[string]string {
	return map[string]string{"username": account, "service": service}
}

// find is the first item of service and account.
func (x *ssSession) find(service, account string) (dbus.ObjectPath, error) {
	items, err := x.svc.SearchItems(x.collection, attributes(service, account))
	if err != nil {
		return "", err
	}
	if len(items) == 0 {
		return "", keyring.ErrNotFound
	}
	return items[0], nil
}

func (s *secretService) get(service, account string) (string, error) {
	return do(s, func(x *ssSession) (string, error) {
		item, err := x.find(service, account)
		if err != nil {
			return "", err
		}
		secret, err := x.svc.GetSecret(item, x.session.Path())
		if err != nil {
			// Some Secret Services lock items one by one (KeePassXC's
			// access confirmation): unlock this one and read again.
			if x.svc.Unlock(item) != nil {
				return "", err
			}
			if secret, err = x.svc.GetSecret(item, x.session.Path()); err != nil {
				return "", err
			}
		}
		return string(secret.Value), nil
	})
}

func (s *secretService) set(service, account, value string) error {
	_, err := do(s, func(x *ssSession) (struct{}, error) {
		// replace=true: an item with the same attributes is overwritten.
		return struct{}{}, x.svc.CreateItem(x.collection, fmt.Sprintf("Password for '%s' on '%s'", account, service),
			attributes(service, account), ss.NewSecret(x.session.Path(), value))
	})
	return err
}

func (s *secretService) delete(service, account string) error {
	_, err := do(s, func(x *ssSession) (struct{}, error) {
		item, err := x.find(service, account)
		if err != nil {
			return struct{}{}, err
		}
		return struct{}{}, x.svc.Delete(item)
	})
	return err
}
