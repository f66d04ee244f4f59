// Package wizard is the interactive face of nexus-onboard: a Bubble Tea
// program that walks an administrator through the inputs (huh forms, one
// page per group of the input schema), preflight checks, the plan, the live
// run and a summary, and gives support engineers a menu of the steps with
// their last status and transcript.
//
// It drives the same steps.Runner, inputs schema and state as the headless
// `run`. Update never blocks: every network, database, keyring and file
// call is a tea.Cmd whose result comes back as a message, so spinners turn
// and keys answer while a step runs. The top-level model is a state machine
// over one struct per screen.
package wizard

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"

	"github.com/nexus-onboard/nexus-onboard/steps"
	"github.com/nexus-onboard/nexus-onboard/ui/app"
)

// Run opens the wizard on the terminal and returns when the user quits. The
// error carries the exit code (app.ExitError) of the README's table: see
// quitOutcome.
func Run(ctx context.Context, p app.WizardParams) error {
	if p.Accessible {
		// Plain sequential text end to end: no full-screen program.
		return runAccessible(ctx, p, os.Stdin, os.Stdout)
	}
	m := newModel(ctx, p)
	opts := []tea.ProgramOption{tea.WithoutSignalHandler()}
	if prof, ok := monochrome(os.Environ()); ok {
		opts = append(opts, tea.WithColorProfile(prof))
	}
	prog := tea.NewProgram(m, opts...)
	// A SIGTERM (the CLI's context) stops a run the same way Ctrl+C does:
	// the runner saves the state before the program ends.
	stop := context.AfterFunc(ctx, func() { prog.Send(ctxDoneMsg{}) })
	defer stop()
	final, err := prog.Run()
	if fm, ok := final.(*model); ok {
		m = fm
	}
	m.finish()
	if err != nil && !errors.Is(err, tea.ErrInterrupted) {
		return fmt.Errorf("wizard: %w", err)
	}
	if msg := m.farewell(); msg != "" {
		fmt.Fprintln(os.Stdout, msg)
	}
	// The key the user asked (p, then y) to see in the scrollback: the one
	// way to copy it that works in every terminal.
	if k := m.AfterExit(); k != "" {
		fmt.Fprintln(os.Stdout, k)
	}
	return m.outcome
}

// monochrome pins the colour profile where the environment asks for no
// colour. NO_COLOR counts when it has any value (no-color.org), which the
// terminal detection alone does not honour for values like "yes".
func monochrome(environ []string) (colorprofile.Profile, bool) {
	env := map[string]string{}
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	if env["TERM"] == "dumb" {
		return colorprofile.NoTTY, true
	}
	if env["NO_COLOR"] != "" {
		return colorprofile.Ascii, true
	}
	return 0, false
}

// model is the wizard: the state machine between the screens. It holds
// the current screen and the session the screens share, and draws what is
// the same on every screen: the header, the notice, the help bar and the
// quit confirmation.
type model struct {
	*session

	cur      screen
	help     help.Model
	fullHelp bool
	ticking  bool

	// The latest screen of the kinds whose life goes beyond being shown:
	// the run reports to its screen whatever shows; the exit code reads the
	// run and the preflight; the form keeps its discoveries; the menu its
	// cursor; the summary the key to print after exit.
	form *formScreen
	pre  *preflightScreen
	plan *planScreen
	run  *runScreen
	sum  *summaryScreen
	menu *menuScreen

	confirmQuit bool
	quitting    bool
	interrupted bool // the quit came from Ctrl+C, not q
	outcome     error
	pending     tea.Cmd // what Init runs for a model placed on a screen (tests)
}

func newModel(ctx context.Context, p app.WizardParams) *model {
	m := &model{session: newSession(ctx, p), help: help.New()}
	m.cur = &loadingScreen{sh: m.session}
	m.help.SetWidth(m.width)
	return m
}

// show makes s the current screen, laid out for the body.
func (m *model) show(s screen) {
	m.cur = s
	s.SetSize(m.bodySize())
}

// Messages. Results of commands carry the generation of the screen that
// asked, so an answer that arrives after the user moved on is dropped.
type (
	ctxDoneMsg struct{}
	startMsg   struct {
		cc  string
		st  *steps.State
		err error
	}
)

// Init loads the saved state of the contact center, off the UI goroutine.
// A model already placed on a screen (tests) starts there.
func (m *model) Init() tea.Cmd {
	if _, loading := m.cur.(*loadingScreen); !loading {
		return m.pending
	}
	cc := m.vals.Get(steps.KeyCCID)
	if cc == "" {
		cc = m.store.Last()
	}
	store := m.store
	return func() tea.Msg {
		if cc == "" {
			return startMsg{}
		}
		st, err := store.Load(cc)
		return startMsg{cc: cc, st: st, err: err}
	}
}

// Update routes a message to the current screen. It never blocks.
func (m *model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.resize(msg.Width, msg.Height)
		return m, m.forward(msg)
	case spinner.TickMsg:
		if !m.busy() || m.accessible {
			m.ticking = false
			return m, nil
		}
		var cmd tea.Cmd
		m.spin, cmd = m.spin.Update(msg)
		return m, cmd
	case ctxDoneMsg:
		return m, m.abandon()
	case startMsg:
		return m, m.tick(m.start(msg))
	case runEventMsg, runDoneMsg:
		// The run goroutine reports whatever screen is showing.
		return m, m.tick(m.runReport(msg))
	case navMsg:
		return m, m.tick(m.settle(m.navigate(msg)))
	case doctorMsg:
		// The menu's drift check ends even if another screen shows now.
		if m.menu != nil {
			return m, m.tick(m.menu.Update(msg))
		}
		return m, nil
	case tea.KeyPressMsg:
		if cmd, done := m.globalKey(msg); done {
			return m, cmd
		}
	}
	return m, m.tick(m.forward(msg))
}

// forward hands a message to the current screen, then opens the screen
// it asked for, if any.
func (m *model) forward(msg tea.Msg) tea.Cmd {
	return m.settle(m.cur.Update(msg))
}

// settle handles the navigation the screens posted, in order.
func (m *model) settle(cmd tea.Cmd) tea.Cmd {
	if len(m.nav) == 0 {
		return cmd
	}
	cmds := []tea.Cmd{cmd}
	for len(m.nav) > 0 {
		msg := m.nav[0]
		m.nav = m.nav[1:]
		cmds = append(cmds, m.navigate(msg))
	}
	return tea.Batch(cmds...)
}

// runReport hands the run goroutine's events to the run screen, whatever
// screen shows; a run that ends while the user quits ends the program.
func (m *model) runReport(msg tea.Msg) tea.Cmd {
	if m.run == nil {
		return nil
	}
	cmd := m.settle(m.run.Update(msg))
	if done, ok := msg.(runDoneMsg); ok && done.gen == m.run.gen && m.quitting {
		m.outcome = exitFor(done.err)
		return tea.Quit
	}
	return cmd
}

// typing reports whether the current screen takes typed text.
func (m *model) typing() bool {
	_, ok := m.cur.(textEntry)
	return ok
}

// globalKey handles the keys that mean the same everywhere: quit (asking
// first while a step runs), the quit confirmation, and full help.
func (m *model) globalKey(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	if m.confirmQuit {
		switch {
		case key.Matches(msg, m.keys.Yes):
			m.confirmQuit = false
			return m.abandon(), true
		case key.Matches(msg, m.keys.No):
			m.confirmQuit = false
		}
		return nil, true
	}
	if m.quitting {
		return nil, true
	}
	isQuit := msg.String() == "ctrl+c" || (!m.typing() && key.Matches(msg, m.keys.Quit))
	if isQuit {
		if m.running() {
			m.confirmQuit = true
			return nil, true
		}
		m.interrupted = msg.String() == "ctrl+c"
		return m.quit(), true
	}
	if (m.typing() && key.Matches(msg, m.keys.FormHelp)) || (!m.typing() && key.Matches(msg, m.keys.Help)) {
		m.fullHelp = !m.fullHelp
		m.resize(m.width, m.height)
		return nil, true
	}
	return nil, false
}

// busy reports whether something is under way that a spinner shows.
func (m *model) busy() bool {
	return m.cur.Busy() || m.running()
}

// running reports whether a run goroutine is working.
func (m *model) running() bool { return m.runActive }

// tick starts the spinner when something became busy.
func (m *model) tick(cmd tea.Cmd) tea.Cmd {
	if m.ticking || m.accessible || !m.busy() {
		return cmd
	}
	m.ticking = true
	return tea.Batch(cmd, m.spin.Tick)
}

// quit ends the program now; nothing is running.
func (m *model) quit() tea.Cmd {
	m.quitting = true
	m.outcome = m.quitOutcome()
	m.cancelPending()
	return tea.Quit
}

// quitOutcome is the exit of a wizard quitting with nothing running, by
// the README's exit codes (a running step abandoned is 130: runFinished):
//   - a run in this session: its outcome (0 every step ok, 1 a step
//     failed, 130 interrupted);
//   - else the latest preflight failed: 2, nothing was changed;
//   - else Ctrl+C (or SIGINT/SIGTERM): 130, nothing was changed;
//   - else q with nothing attempted (the step menu, the plan, a preflight
//     that passed or still runs): 0.
func (m *model) quitOutcome() error {
	if m.run != nil {
		return exitFor(m.lastRunErr)
	}
	if m.pre != nil {
		if failed := m.pre.failed(); len(failed) > 0 {
			lines := make([]string, 0, len(failed))
			for _, i := range failed {
				lines = append(lines, "  - "+m.pre.rows[i].name+": "+m.pre.rows[i].err)
			}
			what := "1 check"
			if len(failed) > 1 {
				what = fmt.Sprintf("%d checks", len(failed))
			}
			return &app.ExitError{Code: app.ExitUsage, Err: fmt.Errorf("preflight: %s failed:\n%s\nNothing was changed.", what, strings.Join(lines, "\n"))}
		}
	}
	if m.interrupted || m.ctx.Err() != nil {
		return &app.ExitError{Code: app.ExitInterrupted, Err: errors.New("interrupted before any step ran: nothing was changed")}
	}
	return nil
}

// abandon stops a running step (the runner records it and saves the state)
// and quits once the run goroutine has returned.
func (m *model) abandon() tea.Cmd {
	if !m.running() {
		return m.quit()
	}
	m.quitting = true
	m.run.cancel()
	m.setNotice(noticeInfo, "Stopping the running step and saving the state…")
	return nil
}

func (m *model) cancelPending() {
	if m.form != nil && m.form.discCancel != nil {
		m.form.discCancel()
	}
	if m.pre != nil && m.pre.cancel != nil {
		m.pre.cancel()
	}
	if m.plan != nil && m.plan.cancel != nil {
		m.plan.cancel()
	}
	if m.sum != nil && m.sum.cancel != nil {
		m.sum.cancel()
	}
	if m.menu != nil && m.menu.doctorStop != nil {
		m.menu.doctorStop()
	}
}

// finish waits for a run goroutine (bounded) and closes the environment, so
// the state is saved and the lock released before the process exits.
func (m *model) finish() {
	if m.run != nil && m.run.active {
		m.run.cancel()
		close(m.run.stop) // nobody reads the events any more: let the runner go on
	}
	if m.runDone != nil {
		select {
		case <-m.runDone:
		case <-time.After(15 * time.Second):
		}
	}
	if m.env != nil {
		m.env.Close()
	}
}

// farewell is the line printed after the screen closes, when the run
// went well (a failure is told by the error the command prints).
func (m *model) farewell() string {
	cc := m.vals.Get(steps.KeyCCID)
	if cc == "" || m.state == nil || len(m.state.Steps) == 0 || m.outcome != nil {
		return ""
	}
	if m.params.Sandbox != nil {
		// The sandbox is a throwaway world: it is removed as it stops.
		return fmt.Sprintf("nexus-onboard: sandbox contact center %s onboarded; the sandbox now stops and removes its keyring entries (and, without --dir, its directory)", cc)
	}
	return fmt.Sprintf("nexus-onboard: state of contact center %s saved in %s", cc, m.store.Path(cc))
}

// exitError is an error with the process exit code the CLI uses.
func exitError(code int, msg string) error {
	return &app.ExitError{Code: code, Err: errors.New(msg)}
}

// resize lays the current screen out again for a new terminal size.
func (m *model) resize(w, h int) {
	if w <= 0 || h <= 0 {
		return
	}
	m.width, m.height = w, h
	m.help.SetWidth(w)
	m.cur.SetSize(m.bodySize())
}

// Layout: two header lines and a blank, the body, a notice line, and the
// help bar.
const headerLines = 3

func (m *model) bodySize() (int, int) {
	h := m.height - headerLines - m.footerHeight()
	return max(m.width, 20), max(h, 3)
}

func (m *model) footerHeight() int {
	return m.noticeHeight() + len(strings.Split(m.helpView(), "\n"))
}

// noticeHeight gives a long notice (a path, an error) a second line.
func (m *model) noticeHeight() int {
	if ansi.StringWidth(m.noticeView()) > m.width {
		return 2
	}
	return 1
}

// View draws the header, the current screen and the help bar. It only
// reads cached, already laid-out content: no wrapping of large text here.
func (m *model) View() tea.View {
	w, _ := m.bodySize()
	var b strings.Builder
	b.WriteString(m.headerView())
	b.WriteString("\n")
	_, bh := m.bodySize()
	b.WriteString(fit(m.cur.View(), w, bh))
	b.WriteString("\n")
	b.WriteString(fit(strings.Join(wrap(m.noticeView(), w), "\n"), w, m.noticeHeight()))
	b.WriteString("\n")
	b.WriteString(m.helpView())
	v := tea.NewView(fit(b.String(), m.width, m.height))
	v.AltScreen = true
	v.WindowTitle = "nexus-onboard"
	return v
}

// crumbs is the trail of the onboarding, by the screens' Crumb; a screen
// off it (the step menu, the transcript) is a support screen.
var crumbs = []string{"Inputs", "Preflight", "Plan", "Run", "Summary"}

// menuCrumb is the step menu's name, where support screens start.
const menuCrumb = "Step menu"

func (m *model) headerView() string {
	left := stTitle.Render("nexus-onboard") + stDim.Render(" · enable a tenant for Digital Channels")
	var right []string
	if m.params.Sandbox != nil {
		badge := "SANDBOX"
		if m.params.KeyringNote != "" {
			badge = "SANDBOX · secrets in memory"
		}
		right = append(right, stBadge.Render(badge))
	}
	if cc := m.shownCC(); cc != "" {
		right = append(right, stDim.Render("cc "+cc))
	}
	r := strings.Join(right, " ")
	gap := m.width - ansi.StringWidth(left) - ansi.StringWidth(r)
	if cc := m.shownCC(); gap < 1 && len(cc) > 8 {
		right[len(right)-1] = stDim.Render("cc " + cc[:8] + "…")
		r = strings.Join(right, " ")
		gap = m.width - ansi.StringWidth(left) - ansi.StringWidth(r)
	}
	if gap < 1 {
		left = stTitle.Render("nexus-onboard")
		gap = max(m.width-ansi.StringWidth(left)-ansi.StringWidth(r), 1)
	}
	line1 := left + strings.Repeat(" ", gap) + r

	var parts []string
	switch here := m.cur.Crumb(); {
	case here == "" || slices.Contains(crumbs, here):
		for _, c := range crumbs {
			if c == here {
				parts = append(parts, crumbOn(c))
			} else {
				parts = append(parts, stCrumb.Render(c))
			}
		}
	case here == menuCrumb:
		parts = append(parts, crumbOn(menuCrumb), stCrumb.Render("enter re-runs a step, e edits the inputs"))
	default:
		parts = append(parts, crumbOn(menuCrumb), crumbOn(here))
	}
	line2 := strings.Join(parts, stCrumb.Render(" › "))
	return line1 + "\n" + line2 + "\n"
}

// shownCC is the contact center for the header; during a run it comes from
// the screen's own copy (the run goroutine may be writing the inputs).
func (m *model) shownCC() string {
	if m.running() {
		return m.run.cc
	}
	return m.vals.Get(steps.KeyCCID)
}

func (m *model) noticeView() string {
	if m.confirmQuit {
		return stWarn.Render("A step is running. Stop it? The state is saved; the next start resumes. ") + stKey.Render("y") + "/" + stKey.Render("N")
	}
	if m.notice == "" {
		if ws := m.warn.all(); len(ws) > 0 && m.typing() {
			return stWarn.Render(symWarn + " " + ws[0])
		}
		return ""
	}
	switch m.noticeKind {
	case noticeErr:
		return stFail.Render(symFail + " " + m.notice)
	case noticeOK:
		return stOK.Render(symOK + " " + m.notice)
	}
	return m.notice
}

func (m *model) helpView() string {
	k := m.cur.Keys()
	var nonEmpty [][]key.Binding
	for _, g := range k.full {
		if len(g) > 0 {
			nonEmpty = append(nonEmpty, g)
		}
	}
	k.full = nonEmpty
	if m.confirmQuit {
		k = helpKeys{short: []key.Binding{m.keys.Yes, m.keys.No}}
	}
	if m.fullHelp && len(k.full) > 0 {
		return m.help.FullHelpView(k.full)
	}
	return m.shortHelpView(k.short)
}

// shortHelpView draws the help bar so that its last two bindings (every
// screen ends with "? keys" and the way out) are always shown: when the
// bar is too wide, the bindings just before them give way first, and "?"
// still lists everything. Arrows and scrolling, which every user tries
// anyway, give way before a screen's own actions.
func (m *model) shortHelpView(short []key.Binding) string {
	h := m.help
	h.SetWidth(0)
	bs := slices.Clone(short)
	generic := func(b key.Binding) bool {
		for _, g := range []key.Binding{m.keys.Nav, m.keys.Scroll, m.keys.Pan} {
			if b.Help() == g.Help() {
				return true
			}
		}
		return false
	}
	for len(bs) > 2 && m.width > 0 && ansi.StringWidth(h.ShortHelpView(bs)) > m.width {
		i := slices.IndexFunc(bs[:len(bs)-2], generic)
		if i < 0 {
			break
		}
		bs = slices.Delete(bs, i, i+1)
	}
	for {
		v := h.ShortHelpView(bs)
		if m.width <= 0 || ansi.StringWidth(v) <= m.width || len(bs) <= 2 {
			if ansi.StringWidth(v) > m.width && m.width > 0 {
				return ansi.Truncate(v, m.width, "…")
			}
			return v
		}
		bs = slices.Delete(bs, len(bs)-3, len(bs)-2)
	}
}
