package steps

// The state file is input: a user, another tool or another version may have
// edited, truncated or swapped it, and reset deletes what it names. Load
// checks every field it acts on:
//
//   - refused (a *StateError, exit 2): anything that says whose state it is
//     or what reset and a resumed run act on: the contact center id in the
//     file (and in its saved inputs and tenant record) must be the one its
//     name says; every created/intent record must be non-empty text without
//     control characters, and an Auth client id must be one the inputs
//     would accept (it becomes /auth/v3/ops/clients/{id}); the version must
//     be this one's.
//   - dropped: what only shows or suggests: a step record that is null,
//     filed under another id, or has a status outside the documented set;
//     a saved input that is unknown, secret or not one line of text; an
//     intent that is null or filed under a malformed step id. The tool
//     checks every step again anyway, so a dropped record costs a check.
//   - kept: records of well-formed step ids this version does not know
//     (a newer version's, or a custom step run through the Runner): nothing
//     acts on them.
//
// The state directory must not be writable by anyone else: one owned by
// another user and writable by group or others is refused; one of ours is
// tightened to 0700, with a note.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/nexus-onboard/nexus-onboard/clients/secrets"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// StateError is a state file or directory the tool refuses to use: damaged,
// of another contact center, or where others could have written it. It is
// an input error (exit 2): nothing was changed.
type StateError struct {
	Path   string // the state file or directory
	Reason string // what is wrong and what to do
	Err    error  // the underlying error, if any
}

func (e *StateError) Error() string {
	if e.Path == "" {
		return "state: " + e.Reason
	}
	return "state " + e.Path + ": " + e.Reason
}

func (e *StateError) Unwrap() error { return e.Err }

// maxStateSize bounds the state file read (transcripts are capped per
// response; a state of several hundred MiB is not one this tool wrote).
const maxStateSize = 256 << 20

// stepIDRE is the shape of a step id: what a record's id must look like to
// be kept.
var stepIDRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// createdKeyRE is the shape of a created-record key.
var createdKeyRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// savedStatuses are the statuses a state file may hold (running is live only).
var savedStatuses = map[Status]bool{StatusDone: true, StatusAlreadyDone: true, StatusSkipped: true, StatusManual: true, StatusFailed: true, StatusNotRun: true}

// load reads, checks and, when an older version wrote it under an
// upper-case name, renames the state file of a contact center.
func (s Store) load(ccID string) (*State, error) {
	if !uuidRE.MatchString(ccID) {
		return nil, &StateError{Path: s.Dir, Reason: fmt.Sprintf("%q is not a contact center id", clip(ccID))}
	}
	cc := strings.ToLower(ccID)
	note, err := s.checkDir(true)
	if err != nil {
		return nil, err
	}
	path := s.path(cc)
	data, err := readState(path)
	var renamed string
	if errors.Is(err, os.ErrNotExist) {
		old, oerr := s.oldName(cc)
		if oerr != nil {
			return nil, oerr
		}
		if old == "" {
			st := NewState(cc)
			st.addNote(note)
			return st, nil
		}
		if data, err = readState(old); err == nil {
			renamed = old
		}
		path = old
	}
	var se *StateError
	if errors.As(err, &se) {
		return nil, se
	}
	if err != nil {
		return nil, &StateError{Path: path, Reason: fmt.Sprintf("cannot be read (%v): make it readable by you, or move it aside to start afresh", unwrapPathError(err)), Err: err}
	}
	st, err := decodeState(path, cc, data)
	if err != nil {
		return nil, err
	}
	st.addNote(note)
	if renamed != "" {
		if err := renameNoReplace(renamed, s.path(cc)); err != nil {
			return nil, &StateError{Path: renamed, Reason: fmt.Sprintf("was written by an older version under an upper-case name and could not be renamed (%v): rename it yourself: mv %s %s", unwrapLinkError(err), renamed, s.path(cc)), Err: err}
		}
		st.addNote(fmt.Sprintf("renamed the state file %s to %s: contact center ids are lower case now", renamed, s.path(cc)))
	}
	return st, nil
}

func (st *State) addNote(n string) {
	if n != "" {
		st.Notes = append(st.Notes, n)
	}
}

// readState reads a state file: a regular file of bounded size.
func readState(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, &StateError{Path: path, Reason: fmt.Sprintf("is not a regular file (%s): move it aside", fi.Mode().Type())}
	}
	if uid, ok := fileOwner(fi); ok && uid != os.Getuid() {
		return nil, &StateError{Path: path, Reason: fmt.Sprintf("is owned by another user (uid %d): this tool only trusts state files it wrote as you; move it aside to start afresh", uid)}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxStateSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxStateSize {
		return nil, fmt.Errorf("larger than %d MiB", maxStateSize>>20)
	}
	return data, nil
}

// oldName finds a state file of cc that an older version named with
// another case (578EC98E-….json); "" when there is none.
func (s Store) oldName(cc string) (string, error) {
	entries, err := os.ReadDir(s.Dir)
	if err != nil {
		return "", nil // no directory: no state
	}
	want := cc + ".json"
	var found []string
	for _, e := range entries {
		if e.Name() != want && strings.EqualFold(e.Name(), want) {
			found = append(found, filepath.Join(s.Dir, e.Name()))
		}
	}
	switch len(found) {
	case 0:
		return "", nil
	case 1:
		return found[0], nil
	}
	sort.Strings(found)
	return "", &StateError{Path: s.Dir, Reason: fmt.Sprintf("holds %d state files of contact center %s whose names differ only in case (%s): keep the right one as %s and move the others aside", len(found), cc, strings.Join(found, ", "), s.path(cc))}
}

// renameNoReplace renames old to new unless new exists (a hard link, then
// the old name removed): a state written meanwhile is never overwritten.
func renameNoReplace(old, new string) error {
	if err := os.Link(old, new); err != nil {
		return err
	}
	return os.Remove(old)
}

func unwrapLinkError(err error) error {
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return unwrapPathError(err)
}

// checkDir refuses a state directory another user owns and others can
// write into, and, with tighten, makes one of ours 0700 (the note says
// so). A missing directory is fine: Save and Lock create it 0700.
func (s Store) checkDir(tighten bool) (note string, err error) {
	fi, err := os.Stat(s.Dir)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", &StateError{Path: s.Dir, Reason: fmt.Sprintf("the state directory cannot be read (%v)", unwrapPathError(err)), Err: err}
	}
	if !fi.IsDir() {
		return "", &StateError{Path: s.Dir, Reason: "is not a directory: give --state-dir (or NEXUS_ONBOARD_STATE_DIR) a directory"}
	}
	uid, ok := fileOwner(fi)
	perm := fi.Mode().Perm()
	if !ok || perm&0o022 == 0 {
		return "", nil
	}
	if uid != os.Getuid() {
		return "", &StateError{Path: s.Dir, Reason: fmt.Sprintf("the state directory is writable by group or others (mode %04o) and owned by another user (uid %d): whoever can write there can plant or swap a state file, and reset deletes what a state file names. Use a directory of your own with --state-dir (or NEXUS_ONBOARD_STATE_DIR), such as %s", perm, uid, DefaultStateDir())}
	}
	if !tighten {
		return "", nil
	}
	if err := os.Chmod(s.Dir, 0o700); err != nil {
		return "", &StateError{Path: s.Dir, Reason: fmt.Sprintf("the state directory is writable by group or others (mode %04o) and could not be made private (%v): run chmod 700 %s", perm, unwrapPathError(err), s.Dir), Err: err}
	}
	return fmt.Sprintf("the state directory %s was writable by group or others (mode %04o): changed it to 0700, since whoever can write there could plant a state file that reset acts on", s.Dir, perm), nil
}

// decodeState parses and checks the state file at path, which must be the
// state of contact center cc (lower case).
func decodeState(path, cc string, data []byte) (*State, error) {
	// What says whose state it is, and what the tool created, must be there:
	// a null there would read as "nothing created" and lose it.
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil || top == nil {
		why := "is not a JSON object"
		if err != nil {
			why = fmt.Sprintf("is damaged (%v)", err)
		}
		return nil, &StateError{Path: path, Reason: why + ": move it aside to start afresh", Err: err}
	}
	for _, k := range []string{"version", "cc_id", "steps", "created"} {
		if v, ok := top[k]; !ok || string(bytes.TrimSpace(v)) == "null" {
			return nil, &StateError{Path: path, Reason: fmt.Sprintf("is damaged (%q is missing or null): move it aside to start afresh", k)}
		}
	}
	st := NewState(cc)
	if err := json.Unmarshal(data, st); err != nil {
		return nil, &StateError{Path: path, Reason: fmt.Sprintf("is damaged (%v): move it aside to start afresh", err), Err: err}
	}
	if reason := refuseReason(st, cc, path); reason != "" {
		return nil, &StateError{Path: path, Reason: reason}
	}
	for _, n := range dropUnusable(st) {
		st.addNote(fmt.Sprintf("%s: ignored %s", path, n))
	}
	st.CCID = cc
	if st.Steps == nil {
		st.Steps = map[string]*Record{}
	}
	if st.Created == nil {
		st.Created = map[string]string{}
	}
	if st.Inputs == nil {
		st.Inputs = map[string]string{}
	}
	return st, nil
}

// refuseReason says why a state cannot be trusted for contact center cc,
// or "" when it can; path is its file ("" when not from a file). It
// changes nothing.
func refuseReason(st *State, cc, path string) string {
	if st.Version != stateVersion {
		return fmt.Sprintf("has format version %d, which this version of nexus-onboard does not know (it writes %d): use the version that wrote it, or move the file aside to start afresh", st.Version, stateVersion)
	}
	if !uuidRE.MatchString(cc) {
		return fmt.Sprintf("%q is not a contact center id", clip(cc))
	}
	if !strings.EqualFold(st.CCID, cc) {
		remedy := "move it aside to start afresh"
		if path != "" {
			remedy = fmt.Sprintf("move it aside (mv %s %s.bad)", path, path)
			if uuidRE.MatchString(st.CCID) {
				remedy += fmt.Sprintf(", or, if it is the state of contact center %s, give it that name (mv -n %s %s)", strings.ToLower(st.CCID), path, filepath.Join(filepath.Dir(path), strings.ToLower(st.CCID)+".json"))
			}
		}
		return fmt.Sprintf("its content is the state of contact center %q, but its file name says %s: it was copied, renamed or edited, and run or reset would act on the other contact center's records. Nothing was changed: %s", clip(st.CCID), cc, remedy)
	}
	if v, ok := st.Inputs[KeyCCID]; ok && !strings.EqualFold(v, cc) {
		return fmt.Sprintf("its saved inputs name contact center %q, but its file name and content say %s: move it aside to start afresh", clip(v), cc)
	}
	for k, v := range st.Created {
		if why := badRecord(k, v, cc); why != "" {
			return fmt.Sprintf("its record of what the tool created (%s) %s: reset cannot trust it; remove that object by hand if it is yours, and move the file aside to start afresh", shownKey(k), why)
		}
	}
	if r := st.Rotation; r != nil {
		if why := badRotation(r); why != "" {
			return fmt.Sprintf("its record of a rotation of the client secret in flight %s: a resumed rotation cannot trust it; check the client's secret with doctor, and move the file aside to start afresh", why)
		}
	}
	for step, m := range st.Intents {
		for k, v := range m {
			if why := badRecord(k, v, cc); why != "" {
				return fmt.Sprintf("its record of a write in flight (%s of step %s) %s: a resumed run cannot trust it; move the file aside to start afresh", shownKey(k), shownKey(step), why)
			}
		}
	}
	return ""
}

// badRotation says what is wrong with a rotation record, or "".
func badRotation(r *Rotation) string {
	side := func(v string, allowed ...string) bool { return slices.Contains(allowed, v) }
	switch {
	case !side(r.Auth, "old", "new"), !side(r.Database, "old", "new", "manual"), !side(r.Keyring, "old", "new"):
		return "names a side that is neither old nor new"
	case !strings.HasSuffix(r.Pending, "/"+secrets.ClientSecret+"_pending") || badText(r.Pending) != "":
		return "names a keyring account that is not a pending client secret"
	}
	return ""
}

// badRecord says what is wrong with a created (or intended) record, or "".
func badRecord(key, val, cc string) string {
	if !createdKeyRE.MatchString(key) {
		return "has a malformed name"
	}
	if why := badText(val); why != "" {
		return why
	}
	switch key {
	case CreatedAuthClient:
		if why := badClientID(val); why != "" {
			return fmt.Sprintf("names the Auth client %q, which %s", clip(val), why)
		}
	case CreatedGapiRow:
		i := strings.LastIndexByte(val, ' ')
		if i <= 0 {
			return "is not \"<gws_url> <client_id>\""
		}
		if why := badClientID(val[i+1:]); why != "" {
			return fmt.Sprintf("names the client id %q, which %s", clip(val[i+1:]), why)
		}
	case CreatedTenant:
		if !strings.EqualFold(val, cc) {
			return fmt.Sprintf("names the tenant of contact center %q, not %s", clip(val), cc)
		}
	}
	return ""
}

// badText says why a recorded value is not one line of text, or "".
func badText(v string) string {
	switch {
	case v == "":
		return "is empty"
	case !utf8.ValidString(v):
		return "is not valid UTF-8"
	case strings.IndexFunc(v, unicode.IsControl) >= 0:
		return "holds control characters"
	}
	return ""
}

// dropUnusable removes what only shows or suggests and cannot be used,
// and returns what it removed, for a note. Kept values are canonicalised.
func dropUnusable(st *State) []string {
	var dropped []string
	for key, rec := range st.Steps {
		var why string
		switch {
		case rec == nil:
			why = "is null"
		case !stepIDRE.MatchString(key):
			why = "has a malformed step id"
		case rec.ID != key:
			why = fmt.Sprintf("is filed under %s but says it is %q", key, clip(rec.ID))
		case !savedStatuses[rec.Status]:
			why = fmt.Sprintf("has status %q (known: done, already-done, skipped, manual, failed, not-run)", clip(string(rec.Status)))
		}
		if why != "" {
			delete(st.Steps, key)
			dropped = append(dropped, fmt.Sprintf("the step record %s: it %s", shownKey(key), why))
		}
	}
	for k, v := range st.Inputs {
		in, known := LookupInput(k)
		var why string
		switch {
		case !known:
			why = "is not an input"
		case in.Secret():
			why = "is a secret, which a state never holds"
		case badText(v) != "":
			why = badText(v)
		}
		if why != "" {
			delete(st.Inputs, k)
			dropped = append(dropped, fmt.Sprintf("the saved input %s: it %s", shownKey(k), why))
			continue
		}
		if in.Kind == UUID {
			st.Inputs[k] = strings.ToLower(v)
		}
	}
	for name, o := range st.Secrets {
		var why string
		switch {
		case name != OutClientSecret && name != OutAPIKey:
			why = "is not a secret this tool keeps"
		case o.Account == "" || badText(o.Account) != "":
			why = "names no keyring account"
		case badText(o.AuthURL) != "" || o.NexusURL != "" && badText(o.NexusURL) != "" || o.GWSURL != "" && badText(o.GWSURL) != "":
			why = "names no environment"
		}
		if why != "" {
			// Dropped, the key is simply not vouched for: it is shown as
			// this tenant's only on a record that says so.
			delete(st.Secrets, name)
			dropped = append(dropped, fmt.Sprintf("the origin record of %s: it %s", shownKey(name), why))
		}
	}
	for step, m := range st.Intents {
		if m == nil || !stepIDRE.MatchString(step) {
			delete(st.Intents, step)
			dropped = append(dropped, fmt.Sprintf("the intent record %s", shownKey(step)))
			continue
		}
		if v, ok := m[CreatedTenant]; ok {
			m[CreatedTenant] = strings.ToLower(v)
		}
	}
	if v, ok := st.Created[CreatedTenant]; ok {
		st.Created[CreatedTenant] = strings.ToLower(v)
	}
	sort.Strings(dropped)
	return dropped
}
