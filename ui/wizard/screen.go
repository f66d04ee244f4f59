package wizard

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/nexus-onboard/nexus-onboard/steps"
)

// screen is one page of the wizard, a component in the manner of
// soft-serve's: it handles the messages and keys the top model forwards
// to it, draws its body, and says which keys it answers to. What screens
// share (inputs, state, environment, notice, keys) is in the session they
// hold a pointer to; they never see the top model. To go elsewhere a
// screen posts a navigation message (session.goTo) that the top model
// handles. The header, the help bar, the notice line and the quit
// confirmation stay in the top model.
type screen interface {
	Update(tea.Msg) tea.Cmd
	View() string
	// SetSize gives the screen the body's size: the terminal less the
	// header, the notice line and the help bar.
	SetSize(w, h int)
	// Keys are the bindings the screen answers to, for the help bar.
	Keys() helpKeys
	// Busy reports whether something is under way that a spinner shows.
	Busy() bool
	// Crumb is the screen's name in the header's trail ("" for none).
	Crumb() string
}

// textEntry is a screen whose keys are typed into fields: there q is a
// letter (ctrl+c quits) and f1, not ?, shows every key.
type textEntry interface{ takesText() }

// Navigation messages: a screen posts one (session.goTo) and the top model
// opens the screen it names before the next message, so a key typed right
// after never lands on the screen being left.
type (
	navMsg interface{ nav() }

	// goFormMsg opens the form at a page (and field), saying why.
	goFormMsg struct {
		page          int
		focus, notice string
	}
	// goPreflightMsg validates the inputs and starts the checks.
	goPreflightMsg struct{}
	// goPlanMsg shows the plan of the selection.
	goPlanMsg struct{}
	// goRunMsg opens the run screen and runs sel.
	goRunMsg struct{ sel steps.Selection }
	// goSummaryMsg shows the summary of the saved state.
	goSummaryMsg struct{}
	// goMenuMsg shows the step menu.
	goMenuMsg struct{}
	// goTranscriptMsg shows a step's last transcript.
	goTranscriptMsg struct{ id string }
	// goBackMsg leaves preflight or the plan: to the step menu when they
	// were opened from there, else to the form's last page.
	goBackMsg struct{}
	// quitMsg ends the program (nothing running).
	quitMsg struct{}
)

func (goFormMsg) nav()       {}
func (goPreflightMsg) nav()  {}
func (goPlanMsg) nav()       {}
func (goRunMsg) nav()        {}
func (goSummaryMsg) nav()    {}
func (goMenuMsg) nav()       {}
func (goTranscriptMsg) nav() {}
func (goBackMsg) nav()       {}
func (quitMsg) nav()         {}

// goFormAt opens the form on the field of an input, with a message.
func goFormAt(key, notice string) goFormMsg {
	return goFormMsg{page: formPagesIndex(key), focus: key, notice: notice}
}

// loadingScreen shows while the saved state is read.
type loadingScreen struct{ sh *session }

func (l *loadingScreen) Update(tea.Msg) tea.Cmd { return nil }
func (l *loadingScreen) View() string           { return "\n  Loading the saved state…" }
func (l *loadingScreen) SetSize(int, int)       {}
func (l *loadingScreen) Busy() bool             { return false }
func (l *loadingScreen) Crumb() string          { return "" }
func (l *loadingScreen) Keys() helpKeys {
	return helpKeys{short: []key.Binding{l.sh.keys.Quit}}
}
