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
	"sync"
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

type screen int

const (
	scrStart screen = iota
	scrForm
	scrPreflight
	scrPlan
	scrRun
	scrSummary
	scrMenu
	scrTranscript
)

// model is the wizard: the state machine between the screens.
type model struct {
	ctx        context.Context
	rotate     bool // the next environment rotates the client secret (one run only)
	params     app.WizardParams
	vals       steps.Values
	store      steps.Store
	accessible bool

	screen        screen
	width, height int
	keys          keyMap
	help          help.Model
	fullHelp      bool
	spin          spinner.Model
	ticking       bool
	notice        string
	noticeKind    noticeKind

	// only is what the next run selects: nil for the whole procedure, one id
	// for a re-run from the menu (dependencies are pulled in by steps.Select).
	only []string
	// fromMenu: the preflight and plan were opened from the step menu, so
	// esc goes back there.
	fromMenu bool
	env      *steps.Env
	warn     *warnings

	form *formScreen
	pre  *preflightScreen
	plan *planScreen
	run  *runScreen
	sum  *summaryScreen
	menu *menuScreen
	tr   *transcriptScreen

	state       *steps.State // the contact center's last saved state
	confirmQuit bool
	quitting    bool
	interrupted bool // the quit came from Ctrl+C, not q
	outcome     error
	lastRunErr  error
	runDone     chan struct{} // closed when the run goroutine has returned

	seq     int     // generations of screens' commands
	pending tea.Cmd // what Init runs for a model placed on a screen (tests)

	// runner tuning, for tests
	retryDelay time.Duration
}

// nextGen numbers a new batch of commands, so late answers are recognised.
func (m *model) nextGen() int {
	m.seq++
	return m.seq
}

type noticeKind int

const (
	noticeInfo noticeKind = iota
	noticeOK
	noticeErr
)

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

func newModel(ctx context.Context, p app.WizardParams) *model {
	vals := p.Values
	if vals.Get(steps.KeyClientID) == "" && vals.Source(steps.KeyClientID) == "" {
		// Values built by hand (tests) may lack the defaults Load fills in.
		for _, in := range steps.Inputs {
			if in.Default != "" && vals.Get(in.Key) == "" {
				vals.Set(in.Key, in.Default, steps.FromDefault)
			}
		}
	}
	m := &model{
		ctx:        ctx,
		params:     p,
		vals:       vals,
		store:      p.Store,
		accessible: p.Accessible,
		keys:       newKeyMap(),
		help:       help.New(),
		warn:       &warnings{},
		width:      80,
		height:     24,
	}
	for _, w := range p.Warnings {
		m.warn.add(w)
	}
	m.spin = spinner.New(spinner.WithSpinner(spinner.MiniDot), spinner.WithStyle(stRun))
	m.help.SetWidth(m.width)
	return m
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
	if m.screen != scrStart {
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
		return m, m.tick(m.updateRun(msg))
	case tea.KeyPressMsg:
		if cmd, done := m.globalKey(msg); done {
			return m, cmd
		}
	}
	return m, m.tick(m.forward(msg))
}

// forward hands a message to the current screen.
func (m *model) forward(msg tea.Msg) tea.Cmd {
	switch m.screen {
	case scrForm:
		return m.updateForm(msg)
	case scrPreflight:
		return m.updatePreflight(msg)
	case scrPlan:
		return m.updatePlan(msg)
	case scrRun:
		return m.updateRun(msg)
	case scrSummary:
		return m.updateSummary(msg)
	case scrMenu:
		return m.updateMenu(msg)
	case scrTranscript:
		return m.updateTranscript(msg)
	}
	return nil
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
	isQuit := msg.String() == "ctrl+c" || (m.screen != scrForm && key.Matches(msg, m.keys.Quit))
	if isQuit {
		if m.running() {
			m.confirmQuit = true
			return nil, true
		}
		m.interrupted = msg.String() == "ctrl+c"
		return m.quit(), true
	}
	if (m.screen == scrForm && key.Matches(msg, m.keys.FormHelp)) || (m.screen != scrForm && key.Matches(msg, m.keys.Help)) {
		m.fullHelp = !m.fullHelp
		m.resize(m.width, m.height)
		return nil, true
	}
	return nil, false
}

// busy reports whether something is under way that a spinner shows.
func (m *model) busy() bool {
	return (m.form != nil && m.form.discovering) ||
		(m.pre != nil && m.pre.pending() > 0) ||
		(m.plan != nil && m.plan.checking) ||
		m.running()
}

// running reports whether a run goroutine is working.
func (m *model) running() bool { return m.run != nil && m.run.active }

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

func (m *model) setNotice(kind noticeKind, format string, a ...any) {
	m.noticeKind = kind
	m.notice = fmt.Sprintf(format, a...)
	if len(a) == 0 {
		m.notice = format
	}
}

func (m *model) clearNotice() { m.notice = "" }

// start opens the menu when the contact center has a saved state, else the form.
func (m *model) start(msg startMsg) tea.Cmd {
	if msg.err != nil {
		m.setNotice(noticeErr, "%s", msg.err.Error())
	}
	if msg.st != nil && len(msg.st.Steps) > 0 {
		m.state = msg.st
		if m.vals.Get(steps.KeyCCID) == "" {
			m.vals.Set(steps.KeyCCID, msg.cc, steps.FromSaved)
		}
		return m.toMenu()
	}
	return m.enterForm(0, "", "")
}

// ensureEnv builds the environment for the current values when there is
// none: it makes no network call.
func (m *model) ensureEnv() error {
	if m.env != nil {
		return nil
	}
	return m.rebuildEnv()
}

// rebuildEnv replaces the environment after the inputs changed. Its inputs
// are a copy: the run goroutine may write to them (a discovered cc_id)
// while the screen reads m.vals.
func (m *model) rebuildEnv() error {
	if m.running() {
		return errors.New("a step is running")
	}
	if m.env != nil {
		m.env.Close()
		m.env = nil
	}
	env, err := steps.NewEnv(m.vals.Clone(), steps.Options{Warn: m.warn.add, RotateSecret: m.rotate, Invocation: m.params.Invocation, Keyring: m.params.Keyring})
	if err != nil {
		return err
	}
	m.env = env
	return nil
}

// selection resolves what the next run selects.
func (m *model) selection() (steps.Selection, error) {
	return steps.Select(m.only, nil, m.vals)
}

// resize lays the screens out again for a new terminal size.
func (m *model) resize(w, h int) {
	if w <= 0 || h <= 0 {
		return
	}
	m.width, m.height = w, h
	m.help.SetWidth(w)
	bw, bh := m.bodySize()
	if m.form != nil {
		m.form.resize(bw, bh)
	}
	if m.plan != nil {
		m.plan.layout(bw, bh)
	}
	if m.run != nil {
		m.run.layout(bw, bh)
	}
	if m.sum != nil {
		m.sum.layout(bw, bh)
	}
	if m.menu != nil {
		m.menu.layout(bw, bh)
	}
	if m.tr != nil {
		m.tr.layout(bw, bh)
	}
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
	b.WriteString(fit(m.screenView(), w, bh))
	b.WriteString("\n")
	b.WriteString(fit(strings.Join(wrap(m.noticeView(), w), "\n"), w, m.noticeHeight()))
	b.WriteString("\n")
	b.WriteString(m.helpView())
	v := tea.NewView(fit(b.String(), m.width, m.height))
	v.AltScreen = true
	v.WindowTitle = "nexus-onboard"
	return v
}

func (m *model) screenView() string {
	switch m.screen {
	case scrStart:
		return "\n  Loading the saved state…"
	case scrForm:
		return m.form.view()
	case scrPreflight:
		return m.pre.view(m)
	case scrPlan:
		return m.plan.view(m)
	case scrRun:
		return m.run.view(m)
	case scrSummary:
		return m.sum.view(m)
	case scrMenu:
		return m.menu.view(m)
	case scrTranscript:
		return m.tr.view()
	}
	return ""
}

var crumbs = []struct {
	s    screen
	name string
}{{scrForm, "Inputs"}, {scrPreflight, "Preflight"}, {scrPlan, "Plan"}, {scrRun, "Run"}, {scrSummary, "Summary"}}

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
	switch m.screen {
	case scrMenu, scrTranscript:
		parts = append(parts, crumbOn("Step menu"))
		if m.screen == scrTranscript {
			parts = append(parts, crumbOn("Transcript"))
		} else {
			parts = append(parts, stCrumb.Render("enter re-runs a step, e edits the inputs"))
		}
	default:
		for _, c := range crumbs {
			if c.s == m.screen {
				parts = append(parts, crumbOn(c.name))
			} else {
				parts = append(parts, stCrumb.Render(c.name))
			}
		}
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
		if ws := m.warn.all(); len(ws) > 0 && m.screen == scrForm {
			return stWarn.Render("⚠ " + ws[0])
		}
		return ""
	}
	switch m.noticeKind {
	case noticeErr:
		return stFail.Render("✗ " + m.notice)
	case noticeOK:
		return stOK.Render("✓ " + m.notice)
	}
	return m.notice
}

func (m *model) helpView() string {
	k := m.screenKeys()
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

// screenKeys are the bindings the current screen answers to.
func (m *model) screenKeys() helpKeys {
	k := m.keys
	var short []key.Binding
	var full [][]key.Binding
	switch m.screen {
	case scrForm:
		short = []key.Binding{k.FormNext, k.FormPrev, k.FormBack, k.FormHelp, k.FormQuit}
		full = [][]key.Binding{{k.FormNext, k.FormPrev, k.FormBack}, {k.FormPick}, {k.FormHelp, k.FormQuit}}
	case scrPreflight:
		short = m.pre.keys(m)
		full = [][]key.Binding{short[:len(short)-3], {k.Back, k.Help, k.Quit}}
	case scrPlan:
		short = []key.Binding{k.Start, k.Nav, k.Scroll, k.Back, k.Help, k.Quit}
		full = [][]key.Binding{{k.Start, k.Back}, {k.Up, k.Down, k.PageUp, k.PageDown}, {k.Help, k.Quit}}
	case scrRun:
		short = m.run.keys(m)
		full = [][]key.Binding{m.run.actions(m), {k.Up, k.Down, k.PageUp, k.PageDown}, {k.Help, short[len(short)-1]}}
	case scrSummary:
		short = []key.Binding{k.Reveal, k.Copy, k.Export, k.Nav, k.Menu, k.Help, k.Quit}
		acts := []key.Binding{k.Reveal, k.Copy, k.Export}
		if m.sum.manualSQL() != "" {
			short = append([]key.Binding{k.WriteSQL}, short...)
			acts = append(acts, k.WriteSQL)
		}
		full = [][]key.Binding{acts, {k.Up, k.Down, k.PageUp, k.PageDown}, {k.Menu, k.Back, k.Help, k.Quit}}
	case scrMenu:
		sum := key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "summary"))
		short = []key.Binding{k.Rerun, k.Transcript, k.Edit, k.RunAll, sum, k.Help, k.Quit}
		if m.menu != nil && m.menu.rotatable() {
			short = append([]key.Binding{k.Rotate}, short...)
		}
		full = [][]key.Binding{{k.Rerun, k.RunAll, k.Transcript}, {k.Edit, sum}, {k.Up, k.Down, k.PageUp, k.PageDown}, {k.Help, k.Quit}}
	case scrTranscript:
		short = []key.Binding{k.Nav, k.Scroll, k.Back, k.Help, k.Quit}
		full = [][]key.Binding{{k.Up, k.Down, k.PageUp, k.PageDown}, {k.Back, k.Help, k.Quit}}
	default:
		short = []key.Binding{k.Quit}
	}
	var nonEmpty [][]key.Binding
	for _, g := range full {
		if len(g) > 0 {
			nonEmpty = append(nonEmpty, g)
		}
	}
	return helpKeys{short: short, full: nonEmpty}
}
