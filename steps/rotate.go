package steps

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/nexus-onboard/nexus-onboard/clients/gws"
	"github.com/nexus-onboard/nexus-onboard/clients/nexusdb"
	"github.com/nexus-onboard/nexus-onboard/clients/secrets"
)

// Rotation is a rotation of the client secret in flight, as the state
// records it (State.Rotation): which side holds which secret. The new
// secret waits in the keyring under its own account (Pending) until Auth
// and nex_gapis hold it and Auth has issued a token for it; only then is
// it the keyring's entry.
type Rotation struct {
	Started time.Time `json:"started"`
	// Pending is the keyring account holding the new secret.
	Pending string `json:"pending_account"`
	// Auth, Database and Keyring say which secret each side holds: "old"
	// or "new"; Database may be "manual" (the SQL was given, not run by
	// the tool). The keyring's entry holds "old" until the rotation ends.
	Auth     string `json:"auth"`
	Database string `json:"database"`
	Keyring  string `json:"keyring"`
}

// Rotation stages, for RotateOptions.After (tests stop a rotation there).
const (
	StageGenerated = "generated" // the new secret is in the keyring, pending
	StageAuth      = "auth"      // Auth holds the new secret
	StageDatabase  = "database"  // nex_gapis holds the new secret
	StageVerified  = "verified"  // Auth issued a token for the new secret
	StagePromoted  = "promoted"  // the keyring's entry is the new secret
)

// RotateOptions change how Rotate goes.
type RotateOptions struct {
	// Continue confirms that the SQL a rotation without db_url printed
	// has been run.
	Continue bool
	// After, when set, is called after each stage is saved; an error stops
	// the rotation there, as a crash or Ctrl+C would (tests).
	After func(stage string) error
}

// RotateResult is how a rotation ended.
type RotateResult struct {
	// Done: Auth, nex_gapis and the keyring hold the new secret, and Auth
	// refuses the old one (OldRefused).
	Done       bool
	OldRefused bool
	Resumed    bool // an interrupted rotation was finished
	// Manual: without db_url the rotation stopped after Auth; SQL is the
	// script to run, Continue the command that finishes it.
	Manual   bool
	SQL      string
	Continue string
	Notes    []string
}

// PendingAccount is the keyring account of a new client secret during a
// rotation: the client secret's account with "_pending".
func PendingAccount(e *Env) string { return clientSecretAccount(e) + "_pending" }

// ErrRotationRefused means the rotation could not start: nothing changed.
var ErrRotationRefused = errors.New("rotation refused")

// Rotate gives the Auth client a new secret everywhere it is kept: Auth,
// nex_gapis, then the keyring, verified with a client_credentials token
// before the keyring's entry changes. Each stage is saved in the state
// (save) before the next begins, so a failure or Ctrl+C at any point
// leaves a state that says which side holds which secret, and the next
// Rotate finishes the rotation. The environment's lock (LockEnvironment)
// must be held: one rotation of a client at a time.
func Rotate(ctx context.Context, e *Env, st *State, save func() error, opts RotateOptions) (RotateResult, error) {
	var res RotateResult
	id := e.In.Get(KeyClientID)
	main := clientSecretAccount(e)
	after := func(stage string) error {
		if err := save(); err != nil {
			return fmt.Errorf("the state could not be saved after stage %s: %w: free space in the state dir, then run rotate again to finish", stage, err)
		}
		if opts.After != nil {
			return opts.After(stage)
		}
		return nil
	}

	if _, err := e.Auth.GetClient(ctx, id); err != nil {
		if errors.Is(err, gws.ErrNotFound) {
			return res, fmt.Errorf("%w: client %s does not exist in Auth: run auth-client first (%s)", ErrRotationRefused, id, e.Command("run", "--only", IDAuthClient))
		}
		return res, err
	}
	pending, havePending, err := keyringGet(ctx, e, PendingAccount(e))
	if err != nil {
		return res, err
	}
	r := st.Rotation
	if r != nil && r.Pending != PendingAccount(e) {
		return res, fmt.Errorf("%w: the state records a rotation of another client (%s): finish it with the config it was started with", ErrRotationRefused, r.Pending)
	}
	if r != nil && !havePending {
		// Promoted, and stopped before the state said so? Then the
		// keyring's entry is the new secret and Auth accepts it.
		current, have, err := keyringGet(ctx, e, main)
		if err != nil {
			return res, err
		}
		if have {
			ok, err := accepts(ctx, e, id, current)
			if err != nil {
				return res, err
			}
			if ok {
				return finishPromoted(ctx, e, st, current, after)
			}
		}
		// The new secret is lost (deleted by hand?): whatever Auth holds
		// now, a new rotation puts one secret everywhere again.
		res.Notes = append(res.Notes, "the pending secret of the interrupted rotation is gone from the keyring: starting a new rotation")
		r = nil
	}
	if r == nil && havePending {
		// A pending secret without a record: a rotation stopped before
		// its state was saved, or recorded by another contact center's
		// state. Adopt it only if Auth already holds it; else start anew.
		ok, err := accepts(ctx, e, id, pending)
		if err != nil {
			return res, err
		}
		if ok {
			r = &Rotation{Started: time.Now().UTC(), Pending: PendingAccount(e), Auth: "new", Database: "old", Keyring: "old"}
		}
	}
	if r != nil {
		res.Resumed = true
		e.Redactor.Add(pending)
	} else {
		if pending, err = secrets.Generate(); err != nil {
			return res, err
		}
		e.Redactor.Add(pending)
		if err := e.Keyring.Set(ctx, PendingAccount(e), pending); err != nil {
			return res, fmt.Errorf("%w: store the new secret in the keyring: %w", ErrRotationRefused, err)
		}
		r = &Rotation{Started: time.Now().UTC(), Pending: PendingAccount(e), Auth: "old", Database: "old", Keyring: "old"}
	}
	st.Rotation = r
	if err := after(StageGenerated); err != nil {
		return res, err
	}

	// Auth: a PUT whose answer was lost shows as Auth accepting the new one.
	if r.Auth != "new" {
		ok, err := accepts(ctx, e, id, pending)
		if err != nil {
			return res, err
		}
		if !ok {
			if err := e.Auth.UpdateClient(ctx, gws.NexusClient(id, pending, e.In.Get(KeyNexusURL))); err != nil {
				return res, fmt.Errorf("give client %s the new secret: %w (the old secret still works; run rotate again)", id, err)
			}
		}
		r.Auth = "new"
		if err := after(StageAuth); err != nil {
			return res, err
		}
	}

	// nex_gapis.
	if r.Database != "new" {
		switch {
		case e.In.Get(KeyDBURL) != "":
			db, err := e.database(ctx)
			if err != nil {
				return res, err
			}
			if _, err := db.EnsureGapi(ctx, e.In.Get(KeyGWSURL), id, pending); err != nil {
				return res, fmt.Errorf("write the new secret to nex_gapis: %w (Auth already has it: run rotate again to finish)", err)
			}
			r.Database = "new"
		case opts.Continue && r.Database == "manual":
			r.Database = "new" // the user ran the SQL: the token below is the proof we can get
		default:
			r.Database = "manual"
			if err := save(); err != nil {
				return res, err
			}
			res.Manual = true
			res.SQL = nexusdb.ManualSQL(e.In.Get(KeyGWSURL), id, r.Pending)
			res.Continue = e.Command("rotate", "--continue")
			res.Notes = append(res.Notes, "Digital Channels may need a restart (or its cache to expire) to pick up the new secret from nex_gapis")
			return res, nil
		}
		if err := after(StageDatabase); err != nil {
			return res, err
		}
	}

	// Verify before the keyring's entry changes.
	if _, err := e.Auth.ClientCredentialsToken(ctx, id, pending); err != nil {
		return res, fmt.Errorf("Auth does not issue a token for the new secret: %w (nothing more was changed; run rotate again)", err)
	}
	if err := after(StageVerified); err != nil {
		return res, err
	}

	old, hadOld, err := keyringGet(ctx, e, main)
	if err != nil {
		return res, err
	}
	if err := e.Keyring.Set(ctx, main, pending); err != nil {
		return res, fmt.Errorf("make the new secret the keyring's entry: %w (it is kept in %s; run rotate again)", err, r.Pending)
	}
	// The pending entry goes before the state forgets the rotation: a
	// stop in between finds the entry promoted (finishPromoted).
	if err := e.Keyring.Delete(ctx, r.Pending); err != nil && !errors.Is(err, secrets.ErrNotFound) {
		return res, fmt.Errorf("remove the pending entry %s: %w (the keyring's entry holds the new secret; run rotate again)", r.Pending, err)
	}
	done, err := finishPromoted(ctx, e, st, pending, after)
	res.Done, res.Notes = done.Done, append(res.Notes, done.Notes...)
	if err != nil {
		return res, err
	}
	oldWorks := false
	if hadOld && old != pending {
		oldWorks, _ = accepts(ctx, e, id, old)
	}
	res.OldRefused = !oldWorks
	if !res.OldRefused {
		res.Notes = append(res.Notes, "Auth still accepts the old secret (a cache?): check again in a few minutes")
	}
	return res, nil
}

// finishPromoted ends a rotation whose new secret is the keyring's entry:
// the state forgets the rotation and records where the secret belongs.
func finishPromoted(ctx context.Context, e *Env, st *State, secret string, after func(string) error) (RotateResult, error) {
	res := RotateResult{Resumed: st.Rotation != nil && st.Rotation.Keyring != "new"}
	if e.In.Get(KeyDBURL) != "" && st.Rotation != nil && st.Rotation.Database != "new" {
		db, err := e.database(ctx)
		if err != nil {
			return res, err
		}
		if _, err := db.EnsureGapi(ctx, e.In.Get(KeyGWSURL), e.In.Get(KeyClientID), secret); err != nil {
			return res, err
		}
	}
	e.remember(OutClientSecret, secret, true)
	e.noteStored(OutClientSecret)
	st.Rotation = nil
	if st.Secrets == nil {
		st.Secrets = map[string]SecretOrigin{}
	}
	st.Secrets[OutClientSecret] = e.origin(OutClientSecret)
	if err := after(StagePromoted); err != nil {
		return res, err
	}
	res.Done = true
	return res, nil
}

// accepts asks Auth for a client_credentials token: false when Auth
// refuses the secret, an error when it could not tell.
func accepts(ctx context.Context, e *Env, id, secret string) (bool, error) {
	tok, err := e.Auth.ClientCredentialsToken(ctx, id, secret)
	if err == nil {
		e.Redactor.Add(tok.AccessToken, tok.RefreshToken)
		return true, nil
	}
	if refused(err) {
		return false, nil
	}
	return false, err
}

// keyringGet reads an entry: found false when it is not there.
func keyringGet(ctx context.Context, e *Env, account string) (string, bool, error) {
	v, err := e.Keyring.Get(ctx, account)
	if errors.Is(err, secrets.ErrNotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return v, true, nil
}

// LockEnvironment takes the lock of an environment's Auth client (one per
// auth_url and client_id, in the state dir), so that two rotations of the
// same client never overlap, whichever contact center they run for.
func (s Store) LockEnvironment(in Values) (func(), error) {
	sum := sha256.Sum256([]byte(secrets.ClientSecretAccount(in.Get(KeyAuthURL), in.Get(KeyClientID))))
	name := "env-" + hex.EncodeToString(sum[:8])
	if s.Backend != nil {
		return s.Backend.Lock(name)
	}
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("state dir %s: %w", s.Dir, err)
	}
	f, err := os.OpenFile(filepath.Join(s.Dir, name+".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock environment: %w", err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		if errors.Is(err, errWouldBlock) {
			return nil, fmt.Errorf("%w (a rotation of client %s): wait for it to finish", ErrLocked, in.Get(KeyClientID))
		}
		return nil, fmt.Errorf("lock environment: %w", err)
	}
	return func() { unlockFile(f); f.Close() }, nil
}
