package steps

import (
	"context"
	"slices"
)

// Step is one stage of the procedure, described as data. The full run,
// `run --only/--skip`, `plan`, `steps`, reset, the wizard's plan and the
// support menu are all views of the one ordered list, All.
//
// Each step lives in a file of its own (step_<id>.go) that declares
// everything about it: what it needs and makes, its plan, and, through
// Declare, its check, its action, what it intends to create and how reset
// undoes it. A new step is that one file plus one line in All.
type Step struct {
	ID    string
	Title string
	Doc   string // one paragraph: what it does and why
	// Needs are the input keys the step cannot run without.
	Needs []string
	// Requires adds input keys needed only for some values (ucs_api_key with ucs_url).
	Requires func(Values) []string
	// Uses are outputs of other steps this step reads.
	Uses []string
	// Makes are the outputs the step produces.
	Makes []Output
	// ReadOnly steps change nothing remotely and are safe to pull in.
	ReadOnly bool
	// Environment steps make what belongs to the environment (one Auth, one
	// GWS) and is shared by all its contact centers: the Auth client and
	// the nex_gapis row. Reset leaves it while another contact center uses it.
	Environment bool
	// Skip returns a reason when the step does not apply to these inputs.
	Skip func(Values) string
	// Plan describes exactly what the action would send, secrets masked.
	Plan func(e *Env) []Planned
	// Holds are secrets made by another step that this step keeps a copy
	// of elsewhere (register-gws: the client secret, in nex_gapis): a
	// rotation of the secret runs it again.
	Holds []string
	// Creates names the State.Created records the step's work may leave:
	// what this tool made, which reset may remove. Reset forgets them once
	// the step's undo succeeded.
	Creates []string
	// Audit is the step's drift check where its own check cannot tell
	// (doctor): read-only. nil: doctor uses the check, or runs a
	// read-only step.
	// It returns nil to leave the step to the default.
	Audit func(ctx context.Context, e *Env, st *State) *Diagnosis
	// Manual is the work a manual record of the step asks of the user
	// (SQL to run, values to enter), typed, for both faces to show.
	Manual func(rec *Record) *ManualWork

	// Check, Run and Intends are the untyped form of a step's behaviour,
	// for a step whose check observes nothing the action needs (test
	// stand-ins). The procedure's steps use Declare instead.
	Check   func(ctx context.Context, e *Env) (done bool, res Result, err error)
	Run     func(ctx context.Context, e *Env) (Result, error)
	Intends func(e *Env) map[string]string

	does behaviour
}

// Observed is what a step's check saw: whether the work is done (and the
// result to report then), and what the action needs to know (Seen).
type Observed[O any] struct {
	Done   bool
	Result Result
	Seen   O
}

// Does is a step's behaviour, typed by what its check observes (O). The
// runner hands the last check's observation to Intends and Run; reset
// asks Undo what removes the step's work.
type Does[O any] struct {
	// Check reports whether the work is already done, read-only. It runs
	// before the action and again before any retried write. nil: the
	// action always runs (its create answers "already exists" if done).
	Check func(ctx context.Context, e *Env) (Observed[O], error)
	// Intends names what Run would create (State.Created records), saved
	// before it runs: a later check that finds the work done then knows
	// the work is this tool's, even if the answer or the save was lost.
	Intends func(e *Env, seen O) map[string]string
	// Run does the work.
	Run func(ctx context.Context, e *Env, seen O) (Result, error)
	// Undo lists what reset removes of the step's work, and under which
	// condition, for a state. nil: reset has nothing to undo.
	Undo func(e *Env, st *State) []Undo
}

// Declare gives a step its typed behaviour.
func Declare[O any](s Step, d Does[O]) Step {
	s.does = d
	return s
}

// behaviour is a step's Does with its observation type erased, so steps
// of different types fit in one list.
type behaviour interface {
	hasCheck() bool
	check(ctx context.Context, e *Env) (done bool, res Result, seen any, err error)
	intends(e *Env, seen any) map[string]string
	run(ctx context.Context, e *Env, seen any) (Result, error)
	undo(e *Env, st *State) []Undo
	undoable() bool
}

func (d Does[O]) hasCheck() bool { return d.Check != nil }

func (d Does[O]) check(ctx context.Context, e *Env) (bool, Result, any, error) {
	o, err := d.Check(ctx, e)
	return o.Done, o.Result, o.Seen, err
}

// seen is the observation of the last check, or O's zero value when none ran.
func seen[O any](v any) O {
	o, _ := v.(O)
	return o
}

func (d Does[O]) intends(e *Env, v any) map[string]string {
	if d.Intends == nil {
		return nil
	}
	return d.Intends(e, seen[O](v))
}

func (d Does[O]) run(ctx context.Context, e *Env, v any) (Result, error) {
	return d.Run(ctx, e, seen[O](v))
}

func (d Does[O]) undo(e *Env, st *State) []Undo {
	if d.Undo == nil {
		return nil
	}
	return d.Undo(e, st)
}

// untyped adapts the plain Check/Run/Intends fields.
type untyped struct{ s *Step }

func (u untyped) hasCheck() bool { return u.s.Check != nil }
func (u untyped) check(ctx context.Context, e *Env) (bool, Result, any, error) {
	done, res, err := u.s.Check(ctx, e)
	return done, res, nil, err
}
func (u untyped) intends(e *Env, _ any) map[string]string {
	if u.s.Intends == nil {
		return nil
	}
	return u.s.Intends(e)
}
func (u untyped) run(ctx context.Context, e *Env, _ any) (Result, error) {
	return u.s.Run(ctx, e)
}
func (u untyped) undo(*Env, *State) []Undo { return nil }
func (u untyped) undoable() bool           { return false }

func (s *Step) behaviour() behaviour {
	if s.does != nil {
		return s.does
	}
	return untyped{s}
}

// HasCheck reports whether the step can tell, read-only, that its work is
// already done.
func (s Step) HasCheck() bool { return s.behaviour().hasCheck() }

// CheckDone runs the step's check alone: whether its work is already done.
func (s Step) CheckDone(ctx context.Context, e *Env) (bool, Result, error) {
	b := s.behaviour()
	if !b.hasCheck() {
		return false, Result{}, nil
	}
	done, res, _, err := b.check(ctx, e)
	return done, res, err
}

// Undoable reports whether reset can undo the step's work.
func (s Step) Undoable() bool { return s.behaviour().undoable() }

func (d Does[O]) undoable() bool { return d.Undo != nil }

// Result is what a check or an action reports.
type Result struct {
	Status  Status            // "" means done
	Outputs map[string]string // non-secret outputs, saved and printed
	Message string            // one line for people
	Warning string
	Created map[string]string // records for reset: what this tool created
}

// ManualWork is what a manual step asks of the user, typed: SQL to run
// with psql, or values to enter in a screen that has no API.
type ManualWork struct {
	Title string // one line: what to do, and where
	SQL   string // statements for psql, "" for none
	// Values to enter, in order; a value whose Secret names an output
	// (the Nexus API key) is shown masked unless the user asks to see it.
	Values []ManualValue
}

// ManualValue is one value of manual work.
type ManualValue struct {
	Name, Value string
	Secret      string // the secret output it is, "" for a plain value
}

// ManualOf is the manual work a record asks for, nil when none.
func ManualOf(rec *Record) *ManualWork {
	if rec == nil || rec.Status != StatusManual {
		return nil
	}
	st, ok := Lookup(rec.ID)
	if !ok || st.Manual == nil {
		return nil
	}
	return st.Manual(rec)
}

// Where an output lives.
type Where int

// Output locations.
const (
	InState   Where = iota // non-secret: state file and JSON output
	InMemory               // secret, this run only (the access token)
	InKeyring              // secret, OS keyring
)

// Output is a value a step makes.
type Output struct {
	Name     string
	Where    Where
	Account  string // keyring account suffix, for InKeyring
	Producer string // filled by init from the owning step
}

// outputs are the outputs of All by name (filled with All).
var outputs = map[string]Output{}

func findOutput(name string) (Output, bool) {
	o, ok := outputs[name]
	return o, ok
}

// Lookup finds a step by id.
func Lookup(id string) (Step, bool) {
	for _, s := range All {
		if s.ID == id {
			return s, true
		}
	}
	return Step{}, false
}

// IDs lists every step id in order.
func IDs() []string {
	ids := make([]string, len(All))
	for i, s := range All {
		ids[i] = s.ID
	}
	return ids
}

// Resettable lists the ids of the steps reset can undo, in the order it
// undoes them (the reverse of All).
func Resettable() []string {
	var ids []string
	for _, s := range slices.Backward(All) {
		if s.Undoable() {
			ids = append(ids, s.ID)
		}
	}
	return ids
}

func ifSet(v Values, key string, then ...string) []string {
	if v.Get(key) != "" {
		return then
	}
	return nil
}
