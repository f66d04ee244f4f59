// Package secrets keeps the secrets nexus-onboard creates or receives (the
// client secret of the auth client, the tenant's Nexus API key) in the OS
// keyring: the Secret Service on Linux, the Keychain on macOS and the
// Credential Manager on Windows, through github.com/zalando/go-keyring.
//
// Entries live under one service name and are keyed by an account string
// that names the environment or the contact center and the kind of secret
// (see ClientSecretAccount and Account), so an
// administrator can read one back with the platform's own tools, e.g.
//
//	secret-tool lookup service nexus-onboard username auth.example.com/nexus_client/client_secret
//	secret-tool lookup service nexus-onboard username <cc_id>/nexus_api_key
package secrets

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/nexus-onboard/nexus-onboard/clients/redact"
	"github.com/zalando/go-keyring"
)

// Service is the keyring service name every nexus-onboard entry is stored
// under (the Secret Service attribute "service").
const Service = "nexus-onboard"

// Names of the secrets kept per contact center; see Account.
const (
	// ClientSecret is the secret of the auth client that Digital Channels
	// uses to call GWS (stored in nex_gapis.clientsecret).
	ClientSecret = "client_secret"
	// NexusAPIKey is the tenant's Nexus API key returned by tenant
	// provisioning (data.xapikey).
	NexusAPIKey = "nexus_api_key"
)

// DefaultTimeout bounds each keyring call when Store.Timeout is zero.
const DefaultTimeout = 5 * time.Second

// Account returns the keyring account of one secret of a contact center,
// "<cc_id>/<name>" (the tenant's Nexus API key). It is a public contract:
// documentation and administrators' own scripts look entries up by it. The
// contact center id is lower-cased: ids are canonical in lower case.
func Account(ccID, name string) string {
	return strings.ToLower(ccID) + "/" + name
}

// ClientSecretAccount returns the keyring account of the Auth client's
// secret: "<auth host[:port][/path]>/<client_id>/client_secret", e.g.
// "auth.example.com/nexus_client/client_secret". The client and its secret
// belong to the environment (one Auth), not to a contact center: every
// contact center of the environment shares them. It is a public contract
// like Account. The host is lower-cased; the scheme and a trailing "/" are
// dropped, so equal URLs give one account.
func ClientSecretAccount(authURL, clientID string) string {
	return EnvironmentName(authURL) + "/" + clientID + "/" + ClientSecret
}

// EnvironmentName is how an environment is named in keyring accounts: its
// Auth URL without scheme, host lower-cased, no trailing "/".
func EnvironmentName(authURL string) string {
	s := strings.TrimSpace(authURL)
	if i := strings.Index(s, "://"); i >= 0 {
		s = s[i+3:]
	}
	s = strings.TrimRight(s, "/")
	host, path, _ := strings.Cut(s, "/")
	if path != "" {
		return strings.ToLower(host) + "/" + path
	}
	return strings.ToLower(host)
}

// LegacyClientSecretAccount is where versions before the environment-keyed
// account kept the client secret: "<cc_id>/client_secret". Entries found
// there are moved (see steps) once Auth accepts them.
func LegacyClientSecretAccount(ccID string) string { return ccID + "/" + ClientSecret }

var (
	// ErrNotFound means the keyring works but holds no entry for the account.
	ErrNotFound = errors.New("no such entry in the OS keyring")
	// ErrUnavailable means the keyring could not be used at all: no keyring
	// service, a locked keyring, or a keyring that does not answer. Errors
	// wrapping it also wrap the backend error and say what to do.
	ErrUnavailable = errors.New("the OS keyring is not available")
)

// errTimedOut is the context cause set when Store.Timeout, not the caller,
// ended a call: only then is the keyring to blame.
var errTimedOut = errors.New("the OS keyring did not answer in time")

// remedy says how to make the keyring usable on this platform. It ends every
// ErrUnavailable error, because the user can nearly always fix it themselves.
var remedy = remedyFor(runtime.GOOS)

func remedyFor(goos string) string {
	switch goos {
	case "darwin":
		return "unlock the login keychain and retry: security unlock-keychain ~/Library/Keychains/login.keychain-db"
	case "windows":
		return "Windows Credential Manager must be available to this user: run the tool as a user with a loaded profile (not a service account without one), then retry; cmdkey /list shows the user's credentials"
	}
	return "no Secret Service on the D-Bus session bus, or its keyring is locked. " +
		"On a desktop: unlock the login keyring (or start KeePassXC with Secret Service). " +
		"On a headless Linux box, start a session bus and an unlocked gnome-keyring, then run the tool in it: " +
		"apt-get install gnome-keyring dbus-x11 libsecret-tools; " +
		"dbus-run-session -- sh -c 'printf %s \"$KEYRING_PASSPHRASE\" | gnome-keyring-daemon --unlock --components=secrets; exec bash' " +
		"(then run nexus-onboard in that shell)"
}

// Store reads and writes entries in the OS keyring. The zero value is ready
// to use.
type Store struct {
	// Timeout bounds each keyring call; zero means DefaultTimeout. Some
	// desktops never answer (a prompt nobody sees), so a bound is required.
	Timeout time.Duration
	// Service overrides the service name; empty means Service. Tests use
	// their own so they never touch real entries.
	Service string
}

func (s Store) service() string {
	if s.Service == "" {
		return Service
	}
	return s.Service
}

func (s Store) timeout() time.Duration {
	if s.Timeout <= 0 {
		return DefaultTimeout
	}
	return s.Timeout
}

// Get returns the value stored for account, or an error wrapping
// ErrNotFound or ErrUnavailable.
func (s Store) Get(ctx context.Context, account string) (string, error) {
	return s.call(ctx, "read", account, "", func() (string, error) {
		return osKeyring.get(s.service(), account)
	})
}

// Set stores value for account, replacing any previous value.
func (s Store) Set(ctx context.Context, account, value string) error {
	_, err := s.call(ctx, "write", account, value, func() (string, error) {
		return "", osKeyring.set(s.service(), account, value)
	})
	return err
}

// Delete removes the entry for account; a missing entry is ErrNotFound.
func (s Store) Delete(ctx context.Context, account string) error {
	_, err := s.call(ctx, "delete", account, "", func() (string, error) {
		return "", osKeyring.delete(s.service(), account)
	})
	return err
}

// Probe writes, reads back and deletes a random entry, proving the keyring
// can keep a secret before any real secret depends on it. The zero Store's
// first Probe takes the outcome of ProbeAhead's, when one was started.
func (s Store) Probe(ctx context.Context) error {
	if s == (Store{}) {
		if p := takeAhead(); p != nil {
			select {
			case <-p.done:
				return p.err
			case <-ctx.Done():
				return fmt.Errorf("keyring probe: %w", ctx.Err())
			}
		}
	}
	return s.probe(ctx)
}

func (s Store) probe(ctx context.Context) error {
	probes.Add(1)
	defer probes.Add(-1)
	buf := make([]byte, 16)
	if _, err := rand.Read(buf); err != nil {
		return fmt.Errorf("keyring probe: %w", err)
	}
	account := "probe/" + hex.EncodeToString(buf[:8])
	value := hex.EncodeToString(buf[8:])
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("keyring probe: %w", err)
	}
	// Once begun, the write and the delete are not the caller's to cancel
	// (each is still bounded by the Store's timeout): a write abandoned
	// midway could land after its delete and stay. An interrupted probe
	// ends as soon as its entry is gone; Settle lets it get there before
	// the process ends.
	own := context.WithoutCancel(ctx)
	if err := s.Set(own, account, value); err != nil {
		return err
	}
	var got string
	var getErr error
	if err := ctx.Err(); err != nil {
		getErr = fmt.Errorf("keyring probe: %w", err)
	} else {
		got, getErr = s.Get(ctx, account)
	}
	// Delete even when the read failed, so a probe leaves nothing behind.
	delErr := s.Delete(own, account)
	switch {
	case getErr != nil:
		return getErr
	case got != value:
		return fmt.Errorf("keyring probe: %w: it returned a different value than was stored; %s", ErrUnavailable, remedy)
	case delErr != nil:
		return delErr
	}
	return nil
}

// call runs one keyring operation in a goroutine bounded by ctx and the
// Store's timeout. A backend that hangs keeps its goroutine until it returns
// (go-keyring cannot be interrupted), but the caller gets control back.
// value is the secret being written, if any, and is masked in any error.
func (s Store) call(ctx context.Context, op, account, value string, fn func() (string, error)) (string, error) {
	where := fmt.Sprintf("keyring %s of %q (service %q)", op, account, s.service())
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("%s: %w", where, err)
	}
	ctx, cancel := context.WithTimeoutCause(ctx, s.timeout(), errTimedOut)
	defer cancel()

	type result struct {
		v   string
		err error
	}
	// Buffered, so a call that finishes after the timeout does not block forever.
	done := make(chan result, 1)
	go func() {
		v, err := fn()
		done <- result{v, err}
	}()

	select {
	case r := <-done:
		if r.err == nil {
			return r.v, nil
		}
		return "", classify(where, value, r.err)
	case <-ctx.Done():
		if errors.Is(context.Cause(ctx), errTimedOut) {
			return "", fmt.Errorf("%s: %w: no answer within %s (%w); %s",
				where, ErrUnavailable, s.timeout(), context.DeadlineExceeded, remedy)
		}
		return "", fmt.Errorf("%s: %w", where, ctx.Err())
	}
}

// classify maps a go-keyring error onto ErrNotFound or ErrUnavailable.
func classify(where, value string, err error) error {
	switch {
	case errors.Is(err, keyring.ErrNotFound):
		return fmt.Errorf("%s: %w", where, ErrNotFound)
	case errors.Is(err, keyring.ErrSetDataTooBig):
		return fmt.Errorf("%s: the value is too large for this OS keyring: %w", where, err)
	}
	// Backend errors come from D-Bus or the OS and are not expected to echo
	// the value, but the message must never carry it, so mask it regardless.
	r := redact.New()
	r.Add(value)
	return &maskedError{
		msg:  fmt.Sprintf("%s: %v: %s; %s", where, ErrUnavailable, r.Error(err), remedy),
		errs: []error{ErrUnavailable, err},
	}
}

// maskedError carries a message that has been scrubbed of a secret while
// keeping the original errors reachable for errors.Is and errors.As.
type maskedError struct {
	msg  string
	errs []error
}

func (e *maskedError) Error() string   { return e.msg }
func (e *maskedError) Unwrap() []error { return e.errs }

// Generate returns a new client secret: 36 bytes from crypto/rand (288 bits)
// encoded with base64.RawURLEncoding, 48 characters of [A-Za-z0-9_-], safe in
// URLs, form bodies, JSON and SQL without escaping.
func Generate() (string, error) {
	buf := make([]byte, 36)
	if _, err := rand.Read(buf); err != nil {
		return "", fmt.Errorf("generate client secret: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(buf), nil
}
