package steps

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/nexus-onboard/nexus-onboard/clients/httpx"
)

// Status is the outcome of a step. The values are a public contract (JSON
// output, state files).
type Status string

// Step statuses.
const (
	StatusDone        Status = "done"
	StatusAlreadyDone Status = "already-done"
	StatusSkipped     Status = "skipped"
	StatusManual      Status = "manual"
	StatusFailed      Status = "failed"
	StatusNotRun      Status = "not-run"
	// StatusRunning is only ever seen live (wizard, events), never saved.
	StatusRunning Status = "running"
)

// OK reports whether the status lets the run go on.
func (s Status) OK() bool {
	return s == StatusDone || s == StatusAlreadyDone || s == StatusSkipped || s == StatusManual
}

// Record is what one step did, as saved in the state file and printed by
// `run --output json`. It never holds a secret.
type Record struct {
	ID         string            `json:"id"`
	Status     Status            `json:"status"`
	DurationMS int64             `json:"duration_ms"`
	Outputs    map[string]string `json:"outputs"`
	Error      string            `json:"error"`
	Warning    string            `json:"warning,omitempty"`
	Message    string            `json:"message,omitempty"`
	Fix        Fix               `json:"fix,omitempty"` // what repairs a failure (FixOf)
	Started    time.Time         `json:"started,omitzero"`
	Finished   time.Time         `json:"finished,omitzero"`
	Transcript []httpx.Exchange  `json:"transcript,omitempty"`
}

// State is everything remembered about one contact center between runs.
type State struct {
	Version int                `json:"version"`
	CCID    string             `json:"cc_id"`
	Updated time.Time          `json:"updated"`
	Inputs  map[string]string  `json:"inputs"` // non-secret inputs of the last run
	Steps   map[string]*Record `json:"steps"`
	// Created lists what this tool created, so that reset removes nothing else.
	Created map[string]string `json:"created"`
	// Intents lists, per step, what a write in flight would create; saved
	// before the write, dropped once the step knows how it ended.
	Intents map[string]map[string]string `json:"intents,omitempty"`
	// Secrets says, per secret output kept in the keyring, which
	// environment it was stored for (nil in files of older versions).
	Secrets map[string]SecretOrigin `json:"secrets,omitempty"`
	// Rotation is a rotation of the client secret in flight (nil: none).
	Rotation *Rotation `json:"rotation,omitempty"`
	// Notes are what Load did or ignored (a file renamed, a directory
	// tightened, an unusable record dropped), for the caller to show.
	Notes []string `json:"-"`
}

const stateVersion = 1

// durable is the part of the state a crash must not lose, as text: what
// the tool created or intends to create, where its secrets are kept, a
// rotation in flight. The runner fsyncs a save only when it changed.
//
// What the tool created or intends to create counts as one set of records:
// an intent that becomes a Created record once its write answered changes
// nothing a crash could lose (a later run adopts the intent, and reset
// treats it as a record), so it costs no fsync.
func (st *State) durable() string {
	records := map[string]string{}
	for _, m := range st.Intents {
		maps.Copy(records, m)
	}
	maps.Copy(records, st.Created)
	b, _ := json.Marshal(struct {
		CCID     string
		Records  map[string]string
		Secrets  map[string]SecretOrigin
		Rotation *Rotation
	}{st.CCID, records, st.Secrets, st.Rotation})
	return string(b)
}

// NewState returns an empty state for a contact center.
func NewState(ccID string) *State {
	return &State{Version: stateVersion, CCID: strings.ToLower(ccID), Inputs: map[string]string{}, Steps: map[string]*Record{}, Created: map[string]string{}}
}

// Store keeps state files in a directory: <dir>/<cc_id>.json, a lock file
// per contact center, and "last" naming the contact center used last. With
// a Backend (Kubernetes: a ConfigMap per contact center and Leases) it
// keeps them there instead, checked the same way.
type Store struct {
	Dir     string
	Backend Backend
}

// Backend keeps states and locks somewhere other than a directory. Its
// data is the state's JSON; Load and the trust checks are the Store's.
type Backend interface {
	// Where names where a contact center's state is kept, for messages.
	Where(cc string) string
	// Load returns the state's bytes; found is false when there is none.
	Load(cc string) (data []byte, found bool, err error)
	Save(cc string, data []byte) error
	Delete(cc string) error
	// List returns the contact centers that have a state.
	List() ([]string, error)
	// Lock takes an exclusive lock on name (a contact center id, or
	// "env-<hash>" for an environment's Auth client); ErrLocked while
	// another holds it.
	Lock(name string) (unlock func(), err error)
}

// loadBackend reads a state from the Backend, checked as the untrusted
// input it is, like a file.
func (s Store) loadBackend(ccID string) (*State, error) {
	if !uuidRE.MatchString(ccID) {
		return nil, &StateError{Path: s.Backend.Where(""), Reason: fmt.Sprintf("%q is not a contact center id", clip(ccID))}
	}
	cc := strings.ToLower(ccID)
	data, found, err := s.Backend.Load(cc)
	if err != nil {
		return nil, &StateError{Path: s.Backend.Where(cc), Reason: fmt.Sprintf("cannot be read (%v)", err), Err: err}
	}
	if !found {
		return NewState(cc), nil
	}
	if len(data) > maxStateSize {
		return nil, &StateError{Path: s.Backend.Where(cc), Reason: "is larger than any state this tool writes: remove it to start afresh"}
	}
	return decodeState(s.Backend.Where(cc), cc, data)
}

// DefaultStateDir is $XDG_STATE_HOME/nexus-onboard (~/.local/state/nexus-onboard).
func DefaultStateDir() string {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "nexus-onboard")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(os.TempDir(), "nexus-onboard")
	}
	return filepath.Join(home, ".local", "state", "nexus-onboard")
}

func (s Store) path(ccID string) string { return filepath.Join(s.Dir, strings.ToLower(ccID)+".json") }

// Path returns the state file of a contact center (its id in lower case),
// or, with a Backend, where it keeps that state.
func (s Store) Path(ccID string) string {
	if s.Backend != nil {
		return s.Backend.Where(strings.ToLower(ccID))
	}
	return s.path(ccID)
}

// Load reads the state of a contact center; a missing file gives an empty
// state. The file is checked as the input it is (see state_trust.go): a
// damaged one, one of another contact center, or one in a directory others
// can write is refused with a *StateError; a file an older version named
// in upper case is renamed (a note says so).
func (s Store) Load(ccID string) (*State, error) {
	if s.Backend != nil {
		return s.loadBackend(ccID)
	}
	return s.load(ccID)
}

// Save writes the state atomically (temp file, fsync, rename) with mode 0600,
// and marks this contact center as the last one used.
func (s Store) Save(st *State) error {
	if s.Backend != nil {
		st.Updated = time.Now().UTC()
		data, err := json.MarshalIndent(st, "", "  ")
		if err != nil {
			return err
		}
		return s.Backend.Save(strings.ToLower(st.CCID), append(data, '\n'))
	}
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return fmt.Errorf("state dir %s: %w", s.Dir, err)
	}
	st.Updated = time.Now().UTC()
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	if err := writeAtomic(s.path(st.CCID), append(data, '\n')); err != nil {
		return err
	}
	if s.Last() == strings.ToLower(st.CCID) {
		return nil
	}
	// A hint, not a record: a crash may lose it (Last then says ""), so
	// it costs no fsync.
	return writeFile(filepath.Join(s.Dir, "last"), []byte(strings.ToLower(st.CCID)+"\n"), false)
}

// CheckRoom reports, without writing, why the state of st could not be
// saved now (the directory is gone, read-only or full), as a write would:
// a run whose next save waits checks it after each step, so a broken state
// dir stops the run at the step whose record it could not keep.
func (s Store) CheckRoom(st *State) error {
	if s.Backend != nil {
		return nil
	}
	path := s.path(st.CCID)
	fi, err := os.Stat(s.Dir)
	switch {
	case err != nil:
		return fmt.Errorf("write state %s: %w", path, err)
	case !fi.IsDir():
		return fmt.Errorf("write state %s: %s: %w", path, s.Dir, syscall.ENOTDIR)
	}
	// The file it replaces is the size to expect (the next save adds one
	// record at most): no second encoding of the state on every step.
	size := 64 << 10
	if old, err := os.Stat(path); err == nil {
		size = int(old.Size()) + 16<<10
	}
	if err := dirRoom(s.Dir, size); err != nil {
		return fmt.Errorf("write state %s: %w", path, err)
	}
	return nil
}

// Delete removes the state file of a contact center.
func (s Store) Delete(ccID string) error {
	if s.Backend != nil {
		return s.Backend.Delete(strings.ToLower(ccID))
	}
	err := os.Remove(s.path(ccID))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

// writeAtomic replaces path with data durably: a crash leaves the old
// file or the new one, whole.
func writeAtomic(path string, data []byte) error { return writeFile(path, data, true) }

// writeFile replaces path with data through a temp file and a rename,
// synced to disk first when durable.
func writeFile(path string, data []byte, durable bool) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write state %s: %w", path, err)
	}
	if durable {
		if err := tmp.Sync(); err != nil {
			tmp.Close()
			return fmt.Errorf("write state %s: %w", path, err)
		}
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write state %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write state %s: %w", path, err)
	}
	return nil
}

// Last returns the contact center used most recently, "" if none.
func (s Store) Last() string {
	if s.Backend != nil {
		return "" // no "last used" outside a state directory: give cc_id
	}
	data, err := os.ReadFile(filepath.Join(s.Dir, "last"))
	if err != nil {
		return ""
	}
	id := strings.TrimSpace(string(data))
	if !uuidRE.MatchString(id) {
		return ""
	}
	return strings.ToLower(id)
}

// List returns the contact centers that have a state file, sorted.
func (s Store) List() []string {
	var out []string
	if s.Backend != nil {
		ids, _ := s.Backend.List()
		for _, id := range ids {
			if uuidRE.MatchString(id) {
				out = append(out, strings.ToLower(id))
			}
		}
		sort.Strings(out)
		return slices.Compact(out)
	}
	entries, _ := os.ReadDir(s.Dir)
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".json")
		if ok && uuidRE.MatchString(name) {
			out = append(out, strings.ToLower(name))
		}
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// ErrLocked means another run holds the contact center.
var ErrLocked = errors.New("another nexus-onboard run is working on this contact center")

// Lock takes an exclusive, non-blocking lock on a contact center. The lock
// is released by the returned func, or by the kernel if the process dies.
func (s Store) Lock(ccID string) (func(), error) {
	if s.Backend != nil {
		return s.Backend.Lock(strings.ToLower(ccID))
	}
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("state dir %s: %w", s.Dir, err)
	}
	if _, err := s.checkDir(false); err != nil {
		return nil, err // a directory of ours is tightened by Load, with a note
	}
	f, err := os.OpenFile(filepath.Join(s.Dir, strings.ToLower(ccID)+".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock state: %w", err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		if errors.Is(err, errWouldBlock) {
			return nil, fmt.Errorf("%w (%s): wait for it to finish", ErrLocked, ccID)
		}
		return nil, fmt.Errorf("lock state: %w", err)
	}
	return func() {
		unlockFile(f)
		f.Close()
	}, nil
}
