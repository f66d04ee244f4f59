package steps

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"

	"github.com/nexus-onboard/nexus-onboard/clients/gws"
	"github.com/nexus-onboard/nexus-onboard/clients/secrets"
)

// Check is one independent preflight check. The wizard runs them side by
// side, each with its own spinner; a failure names the input to fix.
type Check struct {
	Name string // "Auth URL reachable"
	Key  string // the input concerned, for the form to jump to
	Run  func(ctx context.Context) (note string, err error)
}

// PreflightChecks lists the checks that apply to the inputs: every URL
// reachable with a valid certificate, ops credentials accepted, the tenant
// user able to log in (once the client secret exists), the database
// reachable (or manual mode), the keyring writable. None changes anything.
func PreflightChecks(e *Env, sel Selection) []Check {
	var cs []Check
	ping := func(name, key string, f func(context.Context) error) {
		if e.In.Get(key) == "" {
			return
		}
		cs = append(cs, Check{Name: name, Key: key, Run: func(ctx context.Context) (string, error) {
			return "reachable, certificate valid", f(ctx)
		}})
	}
	cs = append(cs, Check{Name: "OS keyring writable", Key: "keyring", Run: func(ctx context.Context) (string, error) {
		return "write, read and delete of a probe entry worked", e.Keyring.Probe(ctx)
	}})
	ping("Auth URL reachable", KeyAuthURL, e.Auth.Ping)
	ping("Digital Channels URL reachable", KeyNexusURL, e.Nexus.Ping)
	ping("GWS URL reachable", KeyGWSURL, func(ctx context.Context) error { return pingURL(ctx, e, e.In.Get(KeyGWSURL)) })
	if e.In.Get(KeyUCSURL) != "" {
		ping("UCS URL reachable", KeyUCSURL, func(ctx context.Context) error { return pingURL(ctx, e, e.In.Get(KeyUCSURL)) })
	}
	if e.In.Get(KeyAuthURL) != "" {
		cs = append(cs, Check{Name: "Ops credentials accepted", Key: KeyAdminPassword, Run: func(ctx context.Context) (string, error) {
			ccs, err := e.Auth.ContactCenters(ctx)
			if err != nil {
				return "", err
			}
			if e.CCID() != "" {
				for _, cc := range ccs {
					if cc.ID == e.CCID() {
						return fmt.Sprintf("%d contact center(s), %s among them", len(ccs), cc.ID), nil
					}
				}
				return "", fmt.Errorf("contact center %s is not among the %d GWS knows: %s", e.CCID(), len(ccs), listCCs(ccs))
			}
			return fmt.Sprintf("%d contact center(s)", len(ccs)), nil
		}})
		cs = append(cs, Check{Name: "Tenant user can log in", Key: KeyTenantPass, Run: func(ctx context.Context) (string, error) {
			secret, ok, err := e.Output(ctx, OutClientSecret)
			if err != nil {
				return "", err
			}
			if !ok {
				return "checked by step tenant-token, once auth-client has made the client", nil
			}
			tok, err := e.Auth.PasswordToken(ctx, e.In.Get(KeyClientID), secret, TenantUsername(e.CCID(), e.In.Get(KeyTenantUser)), e.In.Get(KeyTenantPass))
			if err != nil && strings.Contains(err.Error(), "invalid_client") {
				// Not the tenant's password: Auth refuses the client secret
				// this keyring holds (rotated elsewhere, or another keyring).
				return "", fmt.Errorf("%w: %w (%s / %s): run `nexus-onboard run --only auth-client,register-gws --rotate-secret`",
					err, ErrStaleClientSecret, secrets.Service, secrets.Account(e.CCID(), secrets.ClientSecret))
			}
			if err != nil {
				return "", err
			}
			e.Redactor.Add(tok.AccessToken, tok.RefreshToken)
			return "logged in as " + TenantUsername(e.CCID(), e.In.Get(KeyTenantUser)), nil
		}})
	}
	if sel.Has(IDRegisterGWS) {
		cs = append(cs, Check{Name: "Nexus database reachable", Key: KeyDBURL, Run: func(ctx context.Context) (string, error) {
			if e.In.Get(KeyDBURL) == "" {
				return "no db_url: register-gws will print the SQL to run (manual)", nil
			}
			db, err := e.database(ctx)
			if err != nil {
				return "", err
			}
			if err := db.CheckSchema(ctx); err != nil {
				return "", err
			}
			return "connected; nex_gapis present", nil
		}})
	}
	return cs
}

// ErrStaleClientSecret means Auth refuses the client secret the keyring holds.
var ErrStaleClientSecret = errors.New("the client secret in the keyring is not accepted")

// Fix targets that are not inputs.
const (
	FixKeyring      = "keyring"
	FixClientSecret = "client secret"
)

// FixKey names what fixes a failed check: an input key, FixKeyring or
// FixClientSecret; def (the check's own Key) when the error says nothing
// more precise. An untrusted certificate is fixed by ca_file, not the URL.
func FixKey(err error, def string) string {
	var unknownCA x509.UnknownAuthorityError
	switch {
	case errors.As(err, &unknownCA):
		return KeyCAFile
	case errors.Is(err, secrets.ErrUnavailable):
		return FixKeyring
	case errors.Is(err, ErrStaleClientSecret):
		return FixClientSecret
	}
	return def
}

// pingURL checks that a base URL answers over verified TLS.
func pingURL(ctx context.Context, e *Env, base string) error {
	return gws.New(e.HTTP, base, "", "").Ping(ctx)
}

// DiscoverContactCenters lists the contact centers the ops credentials see,
// for the wizard's picker.
func DiscoverContactCenters(ctx context.Context, e *Env) ([]gws.ContactCenter, error) {
	ccs, err := e.Auth.ContactCenters(ctx)
	if err != nil {
		return nil, err
	}
	if len(ccs) == 0 {
		return nil, errors.New("GWS lists no contact center: provision one in GWS first")
	}
	return ccs, nil
}
