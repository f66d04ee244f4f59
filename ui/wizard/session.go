package wizard

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"

	"github.com/nexus-onboard/nexus-onboard/steps"
	"github.com/nexus-onboard/nexus-onboard/ui/app"
)

// session is what every screen shares, each through a pointer to it: the
// inputs, the saved state, the environment, the program's context, the
// keys, the spinner and the notice line.
type session struct {
	ctx        context.Context
	params     app.WizardParams
	vals       steps.Values
	store      steps.Store
	accessible bool
	keys       keyMap
	spin       spinner.Model
	warn       *warnings
	// the terminal's size (screens get their body's with SetSize)
	width, height int
	notice        string
	noticeKind    noticeKind

	state *steps.State // the contact center's last saved state
	env   *steps.Env
	// rotate: the next environment rotates the client secret (one run only)
	rotate bool
	// only is what the next run selects: nil for the whole procedure, one id
	// for a re-run from the menu (dependencies are pulled in by steps.Select).
	only []string
	// fromMenu: the preflight and plan were opened from the step menu, so
	// esc goes back there.
	fromMenu bool

	runActive  bool          // a run goroutine is working
	lastRunErr error         // the outcome of the latest run
	runDone    chan struct{} // closed when the run goroutine has returned
	retryDelay time.Duration // runner tuning, for tests

	seq int      // generations of screens' commands
	nav []navMsg // posted by screens, handled by the top model
}

func newSession(ctx context.Context, p app.WizardParams) *session {
	vals := p.Values
	if vals.Get(steps.KeyClientID) == "" && vals.Source(steps.KeyClientID) == "" {
		// Values built by hand (tests) may lack the defaults Load fills in.
		for _, in := range steps.Inputs {
			if in.Default != "" && vals.Get(in.Key) == "" {
				vals.Set(in.Key, in.Default, steps.FromDefault)
			}
		}
	}
	sh := &session{
		ctx:        ctx,
		params:     p,
		vals:       vals,
		store:      p.Store,
		accessible: p.Accessible,
		keys:       newKeyMap(),
		warn:       &warnings{},
		width:      80,
		height:     24,
	}
	for _, w := range p.Warnings {
		sh.warn.add(w)
	}
	sh.spin = spinner.New(spinner.WithSpinner(spinner.MiniDot), spinner.WithStyle(stRun))
	return sh
}

// goTo posts a navigation message; the top model opens the screen it names
// as soon as the current screen's Update returns. It returns no command,
// so a screen can end with `return s.sh.goTo(goMenuMsg{})`.
func (sh *session) goTo(msg navMsg) tea.Cmd {
	sh.nav = append(sh.nav, msg)
	return nil
}

// leaving reports whether the current screen has asked to go elsewhere.
func (sh *session) leaving() bool { return len(sh.nav) > 0 }

// nextGen numbers a new batch of commands, so late answers are recognised.
func (sh *session) nextGen() int {
	sh.seq++
	return sh.seq
}

type noticeKind int

const (
	noticeInfo noticeKind = iota
	noticeOK
	noticeErr
)

func (sh *session) setNotice(kind noticeKind, format string, a ...any) {
	sh.noticeKind = kind
	sh.notice = fmt.Sprintf(format, a...)
	if len(a) == 0 {
		sh.notice = format
	}
}

func (sh *session) clearNotice() { sh.notice = "" }

// spinFrame is the current spinner frame; still in accessible mode.
func (sh *session) spinFrame() string {
	if sh.accessible {
		return "…"
	}
	return sh.spin.View()
}

// warnings collects what steps.Env reports, possibly from other goroutines.
type warnings struct {
	mu   sync.Mutex
	list []string
}

func (w *warnings) add(s string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !slices.Contains(w.list, s) {
		w.list = append(w.list, s)
	}
}

func (w *warnings) all() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.list)
}

// ensureEnv builds the environment for the current values when there is
// none: it makes no network call.
func (sh *session) ensureEnv() error {
	if sh.env != nil {
		return nil
	}
	return sh.rebuildEnv()
}

// rebuildEnv replaces the environment after the inputs changed. Its inputs
// are a copy: the run goroutine may write to them (a discovered cc_id)
// while the screen reads sh.vals.
func (sh *session) rebuildEnv() error {
	if sh.runActive {
		return errors.New("a step is running")
	}
	if sh.env != nil {
		sh.env.Close()
		sh.env = nil
	}
	env, err := steps.NewEnv(sh.vals.Clone(), steps.Options{Warn: sh.warn.add, RotateSecret: sh.rotate, Invocation: sh.params.Invocation, Keyring: sh.params.Keyring})
	if err != nil {
		return err
	}
	sh.env = env
	return nil
}

// selection resolves what the next run selects.
func (sh *session) selection() (steps.Selection, error) {
	return steps.Select(sh.only, nil, sh.vals)
}

// requiredFor lists the inputs the next run needs with these values.
func (sh *session) requiredFor(v steps.Values) []string {
	sel, err := steps.Select(sh.only, nil, v)
	if err != nil {
		return nil
	}
	return sel.Required(v)
}

// rotation prepares a run that gives the Auth client a new secret: an
// environment with RotateSecret (a new secret PUT to the existing client)
// for auth-client, register-gws and the given steps after it. Only this one
// run rotates; later runs go without. after nil: every step of the
// selection after auth-client. ok false: the notice says why not.
func (sh *session) rotation(after []string) (ids []string, ok bool) {
	if after == nil {
		sel, err := sh.selection()
		if err != nil {
			sh.setNotice(noticeErr, "%s", err.Error())
			return nil, false
		}
		all := sel.IDs()
		if i := slices.Index(all, steps.RotationStart()); i >= 0 {
			after = all[i+1:]
		}
	}
	sh.rotate = true
	err := sh.rebuildEnv()
	sh.rotate = false
	if err != nil {
		sh.setNotice(noticeErr, "%s", err.Error())
		return nil, false
	}
	return steps.RotationSteps(after), true
}

// startRotation opens the run screen on a rotation (from preflight or
// the step menu; the run screen rotates on its own).
func (sh *session) startRotation() tea.Cmd {
	ids, ok := sh.rotation(nil)
	if !ok {
		return nil
	}
	sel, err := steps.Select(ids, nil, sh.vals)
	if err != nil {
		sh.setNotice(noticeErr, "%s", err.Error())
		return nil
	}
	return sh.goTo(goRunMsg{sel: sel})
}
