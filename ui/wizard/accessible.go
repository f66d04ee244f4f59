package wizard

// Accessible mode (--accessible, NEXUS_ONBOARD_ACCESSIBLE=1): the whole
// wizard as plain sequential text, for screen readers. No Bubble Tea
// program runs: the form's pages are huh's plain prompts (the same fields
// and validation as the full-screen form), and preflight, plan, run and
// summary are lines written one after the other. Nothing is redrawn in
// place, nothing moves the cursor, everything stays in the scrollback; a
// question is a line ending in its possible answers. The exit outcomes are
// the wizard's (quitOutcome, exitFor).

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/term"

	"github.com/nexus-onboard/nexus-onboard/clients/secrets"
	"github.com/nexus-onboard/nexus-onboard/steps"
	"github.com/nexus-onboard/nexus-onboard/ui/app"
)

// errInputClosed: standard input ended; the flow quits where it stands.
var errInputClosed = errors.New("input closed")

// accessibleFlow is the accessible wizard: the model (values, store,
// environment, state, outcome) and plain text in and out.
type accessibleFlow struct {
	m      *model
	in     io.Reader // one line per Read: see lineInput
	out    *plainOutput
	warned int // warnings already printed
}

// runAccessible runs the accessible wizard on in and out until the user is
// done or quits; the error carries the exit code as Run's does.
func runAccessible(ctx context.Context, p app.WizardParams, in io.Reader, out io.Writer) error {
	if f, ok := in.(*os.File); ok && term.IsTerminal(f.Fd()) {
		// A Ctrl+C while a password is asked must not leave the echo off.
		if st, err := term.GetState(f.Fd()); err == nil {
			defer func() { _ = term.Restore(f.Fd(), st) }()
		}
	}
	m := newModel(ctx, p)
	m.accessible = true
	a := &accessibleFlow{m: m, in: lineInput(in), out: &plainOutput{w: out}}
	err := a.run()
	m.outcome = err
	m.finish()
	if msg := m.farewell(); msg != "" {
		a.println("")
		a.println(msg)
	}
	return err
}

// --- input and output --------------------------------------------------------

// plainOutput writes text with every escape sequence removed (colour, and
// anything that would move the cursor) and no trailing blanks: huh pads a
// prompt's lines to one width, which left the answer at the right margin.
// A line left open (a prompt) ends in one space before the answer.
type plainOutput struct {
	mu sync.Mutex
	w  io.Writer
}

func (p *plainOutput) Write(b []byte) (int, error) {
	lines := strings.Split(ansi.Strip(string(b)), "\n")
	for i, l := range lines {
		t := strings.TrimRight(l, " \t")
		if i == len(lines)-1 && t != "" && (t != l || strings.HasSuffix(t, ":")) {
			t += " " // an open prompt: the answer follows after one space
		}
		lines[i] = t
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, err := io.WriteString(p.w, strings.Join(lines, "\n")); err != nil {
		return 0, err
	}
	return len(b), nil
}

// oneLineReader hands out at most one line per Read, so that huh's prompts
// (each reads through its own bufio.Scanner) and ours never swallow the
// next answer, whether the input is a terminal, a pipe or a test.
type oneLineReader struct{ r io.Reader }

func (l *oneLineReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		k, err := l.r.Read(p[n : n+1])
		n += k
		if err != nil {
			if n > 0 && errors.Is(err, io.EOF) {
				return n, nil
			}
			return n, err
		}
		if k == 1 && p[n-1] == '\n' {
			break
		}
	}
	return n, nil
}

// lineFile is a oneLineReader over a file that keeps its descriptor visible:
// huh reads passwords with the echo off only from a terminal's fd.
type lineFile struct {
	oneLineReader
	f *os.File
}

func (l *lineFile) Fd() uintptr { return l.f.Fd() }

func lineInput(r io.Reader) io.Reader {
	if f, ok := r.(*os.File); ok {
		return &lineFile{oneLineReader{f}, f}
	}
	return &oneLineReader{r}
}

func (a *accessibleFlow) println(format string, args ...any) {
	if len(args) > 0 {
		format = fmt.Sprintf(format, args...)
	}
	fmt.Fprintln(a.out, format)
}

// heading starts a screen: a blank line and its name.
func (a *accessibleFlow) heading(name string) {
	a.println("")
	a.println("== %s ==", name)
}

// readLine reads one answer. Ctrl+C is a signal here (the terminal is not
// in raw mode): it cancels the context and the read is abandoned.
func (a *accessibleFlow) readLine() (string, error) {
	type answer struct {
		s   string
		err error
	}
	ch := make(chan answer, 1)
	go func() {
		var b strings.Builder
		buf := make([]byte, 256)
		for {
			n, err := a.in.Read(buf)
			b.Write(buf[:n])
			if strings.HasSuffix(b.String(), "\n") {
				ch <- answer{s: strings.TrimRight(b.String(), "\r\n")}
				return
			}
			if err != nil {
				if b.Len() > 0 {
					ch <- answer{s: b.String()}
				} else {
					ch <- answer{err: errInputClosed}
				}
				return
			}
		}
	}()
	select {
	case ans := <-ch:
		return ans.s, ans.err
	case <-a.m.ctx.Done():
		a.println("")
		return "", a.m.ctx.Err()
	}
}

// choose asks a question until the answer is one of the choices (or its
// first letter); it returns the choice.
func (a *accessibleFlow) choose(question string, choices ...string) (string, error) {
	for {
		fmt.Fprintf(a.out, "%s (%s) ", question, strings.Join(choices, "/"))
		s, err := a.readLine()
		if err != nil {
			return "", err
		}
		s = strings.ToLower(strings.TrimSpace(s))
		for _, c := range choices {
			if s != "" && (s == c || s == c[:1]) {
				return c, nil
			}
		}
		a.println("Please answer %s.", strings.Join(choices, " or "))
	}
}

func (a *accessibleFlow) yes(question string) (bool, error) {
	c, err := a.choose(question, "yes", "no")
	return c == "yes", err
}

// flushWarnings prints what the environment warned about since last time.
func (a *accessibleFlow) flushWarnings() {
	ws := a.m.warn.all()
	for _, w := range ws[min(a.warned, len(ws)):] {
		a.println("warning: %s", w)
	}
	a.warned = len(ws)
}

// nounCount is "1 step", "2 steps".
func nounCount(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// --- the flow ----------------------------------------------------------------

// run walks the screens in order; going back (edit the inputs) loops.
func (a *accessibleFlow) run() error {
	m := a.m
	a.intro()
	page, notice := 0, ""
	for {
		if err := a.form(page, notice); err != nil {
			return a.quitOn(err)
		}
		next, err := a.preflight()
		if err != nil {
			return a.quitOn(err)
		}
		if next.quit {
			return m.quitOutcome()
		}
		if next.edit {
			page, notice = next.page, next.notice
			continue
		}
		next, err = a.plan()
		if err != nil {
			return a.quitOn(err)
		}
		if next.quit {
			return m.quitOutcome()
		}
		if next.edit {
			page, notice = 0, ""
			continue
		}
		next, err = a.runSteps()
		if err != nil {
			return a.quitOn(err)
		}
		if next.edit {
			page, notice = 0, "Change what needs changing; preflight and the plan come next, and finished steps are not repeated."
			continue
		}
		if next.quit {
			return m.quitOutcome()
		}
		return a.summary()
	}
}

// where the user goes after a screen.
type accessibleNext struct {
	quit, edit bool
	page       int
	notice     string
}

// quitOn is the outcome of a flow stopped by Ctrl+C (a cancelled context),
// closed input, or an error of its own.
func (a *accessibleFlow) quitOn(err error) error {
	m := a.m
	if errors.Is(err, errInputClosed) || m.ctx.Err() != nil {
		if m.ctx.Err() != nil {
			m.interrupted = true
		}
		return m.quitOutcome()
	}
	return err
}

func (a *accessibleFlow) intro() {
	m := a.m
	a.println("nexus-onboard: enable a tenant for Digital Channels (accessible mode: plain text, questions end with their answers).")
	if sb := m.params.Sandbox; sb != nil {
		a.println("Sandbox: every value is pre-filled; press enter at each question to keep it. Nothing changes before you confirm the plan.")
		if n := m.params.KeyringNote; n != "" {
			a.println("Note: %s.", n)
		}
		if sb.DBURL == "" {
			a.println("No PostgreSQL here (%s): register-gws will show its SQL as a manual step; install PostgreSQL (apt-get install postgresql) to see it run.", sb.DBNote)
		}
	}
	cc := m.vals.Get(steps.KeyCCID)
	if cc == "" {
		cc = m.store.Last()
	}
	if cc != "" {
		st, err := m.store.Load(cc)
		switch {
		case err != nil:
			a.println("warning: %s", err.Error())
		case st != nil && len(st.Steps) > 0:
			m.state = st
			if m.vals.Get(steps.KeyCCID) == "" {
				m.vals.Set(steps.KeyCCID, cc, steps.FromSaved)
			}
			a.println("Contact center %s has a saved state (%s recorded): finished steps are checked, not repeated.", cc, nounCount(len(st.Steps), "step"))
		}
	}
	a.flushWarnings()
}

// form asks the inputs page by page from page on, with the form's own
// fields (plain prompts), then validates them all at once; a problem
// brings its page back.
func (a *accessibleFlow) form(page int, notice string) error {
	m := a.m
	old := m.form
	f := newFormScreen(m.vals, m.requiredFor, true)
	if old != nil {
		f.disc, f.advanced = old.disc, old.advanced
	}
	m.form = f
	f.ctx = m.ctx
	a.heading("Inputs")
	if page < 0 || page >= len(f.pages) {
		page = 0
	}
	if f.pages[page].title == advancedPage {
		f.advanced = true
	}
	f.page = page
	for {
		if notice != "" {
			a.println("Problem: %s", notice)
			notice = ""
		}
		if f.pages[f.page].title == steps.GroupTenant {
			if _, ok := f.disc[f.discKey()]; !ok {
				a.println("Asking %s for its contact centers...", f.values().Get(steps.KeyAuthURL))
				if msg, ok := f.discover(m.ctx)().(discoveredMsg); ok {
					f.disc[msg.key] = msg.d
				}
				f.discovering, f.discCancel = false, nil
				if m.ctx.Err() != nil {
					return m.ctx.Err()
				}
			}
		}
		form, _ := f.pageForm("")
		af := &accessibleForm{ctx: m.ctx, form: form, title: f.pageTitle(), accessible: true}
		af.SetStdin(a.in)
		af.SetStdout(a.out)
		if err := af.Run(); err != nil {
			a.println("") // Ctrl+C left the prompt's line open
			return err
		}
		for k, v := range f.keep {
			if *f.strs[k] == "" {
				*f.strs[k] = v
			}
		}
		f.maskDSNs()
		if next := f.step(1); next >= 0 {
			f.page = next
			continue
		}
		vals := f.values()
		sel, err := steps.Select(m.only, nil, vals)
		if err != nil {
			return err
		}
		if ps := steps.Validate(vals, sel.Required(vals)); len(ps) > 0 {
			notice = problemsText(ps)
			p := max(f.pageOf(ps[0].Key), 0)
			if f.pages[p].title == advancedPage {
				f.advanced = true
			}
			f.page = p
			continue
		}
		m.vals = vals
		f.base = vals
		if m.env != nil {
			m.env.Close()
			m.env = nil
		}
		return nil
	}
}

// preflight runs the checks (read-only), one line per check as it ends.
func (a *accessibleFlow) preflight() (accessibleNext, error) {
	m := a.m
	for {
		a.heading("Preflight")
		a.println("Preflight checks, read-only: nothing is changed before you confirm the plan.")
		sel, err := m.selection()
		if err != nil {
			return accessibleNext{}, err
		}
		if ps := steps.Validate(m.vals, sel.Required(m.vals)); len(ps) > 0 {
			return accessibleNext{edit: true, page: formPagesIndex(ps[0].Key), notice: problemsText(ps)}, nil
		}
		p := &preflightScreen{gen: m.nextGen()}
		m.pre = p
		if err := m.rebuildEnv(); err != nil {
			p.rows = []checkRow{{name: "TLS settings usable", key: steps.KeyCAFile, done: true, err: err.Error()}}
			a.println("FAILED: %s: %s (fix: %s)", p.rows[0].name, p.rows[0].err, steps.KeyCAFile)
		} else {
			checks := steps.PreflightChecks(m.env, sel)
			for _, c := range checks {
				p.rows = append(p.rows, checkRow{name: c.Name, key: c.Key})
			}
			a.println("%s to run.", nounCount(len(checks), "check"))
			ctx, cancel := context.WithTimeout(m.ctx, time.Minute)
			steps.RunChecks(ctx, m.env, checks, func(res steps.CheckResult) {
				r := &p.rows[res.Index]
				r.done, r.notChecked, r.waits, r.note, r.err, r.dur = true, res.NotChecked, res.Waits, res.Note, res.Err, res.Duration
				r.fix = steps.FixOf(res.Cause)
				if res.Fix != "" {
					r.key = res.Fix
				}
				a.println("%s", checkLine(*r))
			})
			cancel()
			if m.ctx.Err() != nil {
				return accessibleNext{}, m.ctx.Err()
			}
		}
		a.flushWarnings()
		failed := p.failed()
		if len(failed) == 0 {
			if n := p.notChecked(); n > 0 {
				a.println("All checks passed; %s not checked yet (why is said above).", nounCount(n, "check"))
			} else {
				a.println("All checks passed.")
			}
			return accessibleNext{}, nil
		}
		a.println("%s failed: nothing was changed.", nounCount(len(failed), "check"))
		for _, i := range failed {
			a.println("  - %s: %s", p.rows[i].name, p.rows[i].err)
		}
		editable := -1
		for _, i := range failed {
			if _, ok := steps.LookupInput(p.rows[i].key); ok {
				editable = i
				break
			}
		}
		for _, i := range failed {
			if p.rows[i].fix == steps.FixRotateSecret {
				a.println("To give the Auth client a new secret: %s", m.env.Command("run", "--rotate-secret"))
				break
			}
		}
		choices := []string{"check", "quit"}
		if editable >= 0 {
			choices = []string{"edit", "check", "quit"}
			a.println("edit goes back to the inputs, at %s; check runs the checks again; quit exits (nothing was changed).", p.rows[editable].key)
		} else {
			a.println("Fix it outside the wizard, then check again; quit exits (nothing was changed).")
		}
		c, err := a.choose("What now?", choices...)
		if err != nil {
			return accessibleNext{}, err
		}
		switch c {
		case "quit":
			return accessibleNext{quit: true}, nil
		case "edit":
			r := p.rows[editable]
			return accessibleNext{edit: true, page: formPagesIndex(r.key), notice: r.name + ": " + r.err}, nil
		}
	}
}

// checkLine is one check's line: ok, FAILED (with what fixes it) or not checked.
func checkLine(r checkRow) string {
	switch {
	case r.err != "":
		fix := r.key
		if in, ok := steps.LookupInput(r.key); ok {
			fix = in.Label + " (" + r.key + ")"
		}
		return fmt.Sprintf("FAILED: %s: %s (fix: %s)", r.name, r.err, fix)
	case r.notChecked:
		return fmt.Sprintf("not checked: %s: %s", r.name, notCheckedWhy(r))
	case r.note != "":
		return fmt.Sprintf("ok: %s: %s", r.name, r.note)
	}
	return "ok: " + r.name
}

// plan prints every step with what will happen to it and what it sends,
// then asks to run.
func (a *accessibleFlow) plan() (accessibleNext, error) {
	m := a.m
	a.heading("Plan")
	sel, err := m.selection()
	if err != nil {
		return accessibleNext{}, err
	}
	if err := m.ensureEnv(); err != nil {
		return accessibleNext{}, err
	}
	a.println("Checking what is already done...")
	ctx, cancel := context.WithTimeout(m.ctx, time.Minute)
	status := steps.CheckAll(ctx, m.env, sel)
	cancel()
	if m.ctx.Err() != nil {
		return accessibleNext{}, m.ctx.Err()
	}
	run, done, skipped := 0, 0, 0
	var lines []string
	for i, st := range steps.All {
		word := "will run"
		switch {
		case !sel.Has(st.ID):
			word = "not selected"
		case st.Skip != nil && st.Skip(m.env.In) != "":
			word = "skipped: " + st.Skip(m.env.In)
			skipped++
		case status[st.ID] == steps.StatusAlreadyDone:
			word = "already done: the run checks it and moves on"
			done++
		case slices.Contains(sel.Pulled, st.ID):
			word = "will run (a selected step needs what it makes)"
			run++
		default:
			run++
		}
		lines = append(lines, "", fmt.Sprintf("Step %d of %d: %s (%s), %s.", i+1, len(steps.All), st.Title, st.ID, word))
		if word == "not selected" || strings.HasPrefix(word, "skipped") {
			continue
		}
		lines = append(lines, "  "+st.Doc)
		lines = append(lines, plannedLines(steps.PlanOf(st, m.env))...)
	}
	a.println("Plan: %s will run, %s already done, %s skipped.", nounCount(run, "step"), nounCount(done, "step"), nounCount(skipped, "step"))
	for _, l := range lines {
		a.println("%s", l)
	}
	a.println("")
	a.println("Headers and bodies are left out here; this command prints them in full, changing nothing:")
	a.println("%s", m.env.Command("plan"))
	a.flushWarnings()
	ok, err := a.yes(fmt.Sprintf("Run these %s?", nounCount(len(sel.Steps), "step")))
	if err != nil || ok {
		return accessibleNext{}, err
	}
	c, err := a.choose("Edit the inputs, or quit?", "edit", "quit")
	if err != nil {
		return accessibleNext{}, err
	}
	return accessibleNext{quit: c == "quit", edit: c == "edit"}, nil
}

// plannedLines tells what a step sends, one line a request (the note,
// the method and URL; the plan command has headers and bodies), the SQL
// whole.
func plannedLines(pls []steps.Planned) []string {
	var out []string
	for _, pl := range pls {
		note := ""
		switch {
		case strings.HasSuffix(pl.Note, "?"), strings.HasSuffix(pl.Note, ":"):
			note = pl.Note + " "
		case pl.Note != "":
			note = pl.Note + ": "
		}
		switch {
		case pl.SQL != "":
			out = append(out, "  "+strings.TrimSuffix(note, " "))
			for _, l := range strings.Split(strings.TrimRight(pl.SQL, "\n"), "\n") {
				out = append(out, "    "+l)
			}
		case pl.Method != "":
			out = append(out, "  "+note+pl.Method+" "+pl.URL)
		case pl.Note != "":
			out = append(out, "  "+pl.Note)
		}
	}
	return out
}

// runSteps runs the selection, one line per step as it ends; a failure
// asks whether to retry from the failed step, edit the inputs or quit.
func (a *accessibleFlow) runSteps() (accessibleNext, error) {
	m := a.m
	a.heading("Run")
	sel, err := m.selection()
	if err != nil {
		return accessibleNext{}, err
	}
	for {
		if err := m.ensureEnv(); err != nil {
			return accessibleNext{}, err
		}
		runErr := a.runOnce(sel)
		// A run happened: the outcome is the run's (quitOutcome, exitFor).
		m.run = &runScreen{sel: sel, err: runErr}
		m.lastRunErr = runErr
		var sf *steps.StepFailedError
		switch {
		case runErr == nil:
			a.println("Every step finished.")
			return accessibleNext{}, nil
		case errors.Is(runErr, steps.ErrInterrupted):
			a.println("Interrupted: the state is saved; the next start resumes.")
			m.interrupted = true
			return accessibleNext{quit: true}, nil
		case errors.As(runErr, &sf):
			a.println("%s failed; the state is saved.", sf.Step)
		default:
			a.println("The run stopped: %s", m.env.Redactor.Error(runErr))
		}
		c, err := a.choose("Retry, edit the inputs, or quit?", "retry", "edit", "quit")
		if err != nil {
			return accessibleNext{}, err
		}
		switch c {
		case "quit":
			return accessibleNext{quit: true}, nil
		case "edit":
			return accessibleNext{edit: true}, nil
		}
		if sf != nil {
			ids := sel.IDs()
			if i := slices.Index(ids, sf.Step); i >= 0 {
				ids = ids[i:]
			}
			if sel, err = steps.Select(ids, nil, m.vals); err != nil {
				return accessibleNext{}, err
			}
		}
		a.println("")
		a.println("Retrying from %s.", sel.Steps[0].ID)
	}
}

// runOnce runs sel with the runner the full-screen wizard uses, printing
// "Step i of n: title... done (message)" as each step ends.
func (a *accessibleFlow) runOnce(sel steps.Selection) error {
	m := a.m
	n := len(sel.Steps)
	index := func(id string) int {
		return slices.IndexFunc(sel.Steps, func(s steps.Step) bool { return s.ID == id }) + 1
	}
	var mu sync.Mutex
	open := false // a step's line waits for its outcome
	onEvent := func(ev steps.Event) {
		mu.Lock()
		defer mu.Unlock()
		st, _ := steps.Lookup(ev.Step)
		head := fmt.Sprintf("Step %d of %d: %s (%s)...", index(ev.Step), n, st.Title, ev.Step)
		switch ev.Kind {
		case steps.EventStart:
			fmt.Fprint(a.out, head+" ")
			open = true
		case steps.EventNote:
			if !strings.HasPrefix(ev.Text, "transient failure") {
				return // a warning: told with the outcome
			}
			if open {
				a.println("")
				open = false
			}
			a.println("  note: %s", ev.Text)
		case steps.EventFinish:
			rec := ev.Record
			if !open {
				fmt.Fprint(a.out, head+" ")
			}
			open = false
			a.println("%s", outcomeText(rec))
			if rec.Warning != "" {
				a.println("  warning: %s", rec.Warning)
			}
		}
	}
	runner := &steps.Runner{Env: m.env, Store: m.store, RetryDelay: m.retryDelay, StepTimeout: steps.DefaultStepTimeout, OnEvent: onEvent}
	_, err := runner.Run(m.ctx, sel)
	if st := runner.State(); st != nil {
		m.state = st
	}
	runner.Close()
	mu.Lock()
	if open {
		a.println("")
	}
	mu.Unlock()
	if cc := m.env.CCID(); cc != "" && m.vals.Get(steps.KeyCCID) != cc {
		m.vals.Set(steps.KeyCCID, cc, steps.FromUser)
	}
	return err
}

// outcomeText is how a step ended, in words.
func outcomeText(rec *steps.Record) string {
	var word string
	switch rec.Status {
	case steps.StatusFailed:
		return "FAILED: " + rec.Error
	case steps.StatusAlreadyDone:
		word = "already done"
	case steps.StatusManual:
		if rec.Message != "" {
			return "for you to do by hand: " + rec.Message
		}
		return "for you to do by hand (see the summary)"
	case steps.StatusNotRun:
		word = "not run"
	default:
		word = string(rec.Status)
	}
	if rec.Message != "" {
		word += " (" + rec.Message + ")"
	}
	return word
}

// summary prints each step's outcome, where the secrets live, the manual
// SQL, and last the DesignerEnv values, the key masked unless the user
// asks to see it.
func (a *accessibleFlow) summary() error {
	m := a.m
	a.heading("Summary")
	cc := m.vals.Get(steps.KeyCCID)
	var recs []*steps.Record
	if m.state != nil {
		for _, st := range steps.All {
			if rec, ok := m.state.Steps[st.ID]; ok {
				recs = append(recs, rec)
			}
		}
	}
	failed, manual, notRun := "", 0, 0
	for _, r := range recs {
		switch {
		case r.Status == steps.StatusFailed && failed == "":
			failed = r.ID
		case r.Status == steps.StatusManual:
			manual++
		case r.Status == steps.StatusNotRun:
			notRun++
		}
	}
	switch {
	case failed != "":
		a.println("Not finished: %s failed.", failed)
	case len(recs) < len(steps.All) || notRun > 0:
		a.println("%d of %d steps have run for contact center %s.", len(recs)-notRun, len(steps.All), cc)
	case manual > 0:
		a.println("Every step ran for contact center %s; %s for you to do by hand, below.", cc, nounCount(manual, "step"))
	default:
		a.println("Onboarding complete for contact center %s.", cc)
	}

	a.println("")
	a.println("Steps:")
	for _, r := range recs {
		msg := r.Message
		if r.Error != "" {
			msg = r.Error
		}
		line := "  " + r.ID + ": " + strings.ReplaceAll(string(r.Status), "-", " ")
		if msg != "" {
			line += ", " + msg
		}
		a.println("%s", line)
		if r.Warning != "" {
			a.println("    warning: %s", r.Warning)
		}
	}

	a.println("")
	apiAccount := secrets.Account(cc, secrets.NexusAPIKey)
	if n := m.params.KeyringNote; n != "" {
		a.println("Secrets (kept in memory: %s):", n)
	} else {
		a.println("Secrets in the OS keyring (service %s):", secrets.Service)
	}
	a.println("  client secret: %s", steps.KeyringAccount(m.vals, steps.OutClientSecret))
	a.println("  Nexus API key: %s", apiAccount)
	if m.params.KeyringNote == "" {
		a.println("  read one back with:")
		a.println("  secret-tool lookup service %s username %s", secrets.Service, apiAccount)
	}

	for _, r := range recs {
		if m := steps.ManualOf(r); m != nil && m.SQL != "" {
			a.println("")
			a.println("%s, by hand: run this SQL with psql:", stepTitle(r.ID))
			for _, l := range strings.Split(m.SQL, "\n") {
				a.println("  %s", l)
			}
		}
	}
	a.flushWarnings()

	a.println("")
	a.println("DesignerEnv transaction (by hand, in Agent Setup):")
	a.println(`Environment tenant, Transactions, List "DesignerEnv" (name and alias), options:`)
	for _, kv := range steps.DesignerEnv("(hidden: answer yes below to see it)") {
		a.println("  %s: %s", kv[0], kv[1])
	}
	a.println("")
	show, err := a.yes("Reveal the Nexus API key?")
	if err != nil {
		return a.quitOn(err)
	}
	if !show {
		a.println("The key stays hidden; it is in the keyring as %s.", apiAccount)
		return m.quitOutcome()
	}
	if err := m.ensureEnv(); err != nil {
		return err
	}
	if m.state != nil {
		m.env.UseState(m.state)
	}
	ctx, cancel := context.WithTimeout(m.ctx, 10*time.Second)
	key, found, ours, why, err := steps.TenantKey(ctx, m.env)
	cancel()
	switch {
	case err != nil:
		a.println("Could not read the key: %s", m.env.Redactor.Error(err))
	case found && !ours:
		a.println("Not shown: %s", why)
	case !found:
		a.println("The keyring has no Nexus API key for this contact center: the tenant step has not stored one.")
	default:
		a.println("  password: %s", key)
	}
	return m.quitOutcome()
}
