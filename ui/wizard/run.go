package wizard

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/nexus-onboard/nexus-onboard/steps"
)

// Run: the step list with a spinner on the running step, and a scrollable
// preview of the highlighted step's requests and answers. The runner works
// in its own goroutine; its events come back as messages through a channel
// that a command waits on, so Update never waits for the network.

type runRow struct {
	step        steps.Step
	status      steps.Status // "" until it starts
	started     time.Time
	rec         *steps.Record
	lines       []styled // exchanges and notes, rendered once as they arrive
	pending     []styled // the request in flight, until its answer arrives
	version     int
	userSkipped bool
}

type runScreen struct {
	sh  *session
	gen int
	// confirmRotate: R was pressed once; the next R gives the client a new secret.
	confirmRotate bool
	rows          []runRow
	cursor        int
	follow        bool // the highlight follows the running step
	active        bool
	cancel        context.CancelFunc
	ch            chan tea.Msg
	stop          chan struct{}
	sel           steps.Selection // what this screen runs, retries included
	err           error           // of the latest run
	failed        string          // the step that stopped it
	// rest: steps of the procedure after this run's that are still not
	// done (never run, not-run or failed); a runs them.
	rest  []string
	cc    string
	plans map[string][]styled
	listPane
}

type (
	runEventMsg struct {
		gen int
		ev  steps.Event
		at  time.Time
	}
	runDoneMsg struct {
		gen   int
		recs  []*steps.Record
		err   error
		state *steps.State
	}
)

// newRunScreen lays out the run screen for sel, every step pending; the
// plan's texts are reused where the plan made them.
func newRunScreen(m *session, sel steps.Selection, planTexts map[string][]styled) *runScreen {
	r := &runScreen{sh: m, sel: sel, follow: true, listPane: listPane{pane: newPane()}, plans: map[string][]styled{}, cc: m.vals.Get(steps.KeyCCID)}
	for _, st := range sel.Steps {
		r.rows = append(r.rows, runRow{step: st})
		if planTexts[st.ID] != nil {
			r.plans[st.ID] = planTexts[st.ID]
		} else {
			r.plans[st.ID] = planLines(st, m.env)
		}
	}
	return r
}

func (r *runScreen) Busy() bool    { return r.active }
func (r *runScreen) Crumb() string { return "Run" }

// startRun runs sel in a goroutine; rows of sel start afresh.
func (r *runScreen) startRun(sel steps.Selection) tea.Cmd {
	m := r.sh
	r.gen = m.nextGen()
	for i := range r.rows {
		if sel.Has(r.rows[i].step.ID) {
			r.rows[i] = runRow{step: r.rows[i].step, version: r.rows[i].version + 1}
		}
	}
	ctx, cancel := context.WithCancel(m.ctx)
	r.cancel, r.active, r.err, r.failed, r.follow = cancel, true, nil, "", true
	m.runActive = true
	ch := make(chan tea.Msg, 64)
	stop := make(chan struct{})
	done := make(chan struct{})
	r.ch, r.stop = ch, stop
	m.runDone = done
	gen := r.gen
	send := func(msg tea.Msg) {
		select {
		case ch <- msg:
		case <-stop: // the program has ended: nobody reads any more
		}
	}
	runner := &steps.Runner{Env: m.env, Store: m.store, RetryDelay: m.retryDelay, StepTimeout: steps.DefaultStepTimeout,
		OnEvent: func(ev steps.Event) { send(runEventMsg{gen: gen, ev: ev, at: time.Now()}) }}
	go func() {
		defer close(done)
		defer cancel()
		recs, err := runner.Run(ctx, sel)
		st := runner.State()
		runner.Close()
		send(runDoneMsg{gen: gen, recs: recs, err: err, state: st})
	}()
	r.refresh()
	return listen(ch)
}

func listen(ch <-chan tea.Msg) tea.Cmd {
	return func() tea.Msg { return <-ch }
}

func (r *runScreen) row(id string) *runRow {
	for i := range r.rows {
		if r.rows[i].step.ID == id {
			return &r.rows[i]
		}
	}
	return nil
}

func (r *runScreen) index(id string) int {
	return slices.IndexFunc(r.rows, func(x runRow) bool { return x.step.ID == id })
}

// Update handles the run's events (the top model hands them over whatever
// screen shows) and the run screen's keys (only while it shows).
func (r *runScreen) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case runEventMsg:
		if msg.gen != r.gen {
			return nil
		}
		r.event(msg)
		return listen(r.ch)
	case runDoneMsg:
		if msg.gen != r.gen {
			return nil
		}
		return r.runFinished(msg)
	case tea.KeyPressMsg:
		return r.runKey(msg)
	}
	return nil
}

func (r *runScreen) event(msg runEventMsg) {
	ev := msg.ev
	row := r.row(ev.Step)
	if row == nil {
		return
	}
	switch ev.Kind {
	case steps.EventStart:
		row.status, row.started = steps.StatusRunning, msg.at
		if r.follow {
			r.cursor = r.index(ev.Step)
		}
	case steps.EventRequest:
		row.pending = append(requestLines(ev.Exchange), styled{text: "… waiting for the answer", style: &stDim})
	case steps.EventExchange:
		row.pending = nil
		if len(row.lines) > 0 {
			row.lines = append(row.lines, styled{})
		}
		row.lines = append(row.lines, exchangeLines(ev.Exchange)...)
	case steps.EventNote:
		row.lines = append(row.lines, styled{text: symWarn + " " + ev.Text, style: &stWarn})
	case steps.EventFinish:
		row.rec = ev.Record
		row.status = ev.Record.Status
		if ev.Record.Outputs[steps.OutCCID] != "" { // found or checked
			r.cc = ev.Record.Outputs[steps.OutCCID]
		}
	}
	row.version++
	r.refresh()
}

// runFinished takes the run's outcome; the top model ends the program
// when the user was quitting.
func (r *runScreen) runFinished(msg runDoneMsg) tea.Cmd {
	m := r.sh
	r.active = false
	m.runActive = false
	r.err = msg.err
	m.lastRunErr = msg.err
	if msg.state != nil {
		m.state = msg.state
	}
	// The goroutine is done: the inputs it may have changed are safe to read.
	if cc := m.env.CCID(); cc != "" && m.vals.Get(steps.KeyCCID) != cc {
		m.vals.Set(steps.KeyCCID, cc, steps.FromUser)
	}
	r.rest = m.restAfter(r.sel)
	var sf *steps.StepFailedError
	switch {
	case msg.err == nil:
		r.finishedNotice()
	case errors.Is(msg.err, steps.ErrInterrupted):
		m.setNotice(noticeInfo, "Interrupted: the state is saved; the next start resumes.")
	case errors.As(msg.err, &sf):
		r.failed = sf.Step
		r.cursor = max(r.index(sf.Step), 0)
		r.follow = false
		m.setNotice(noticeErr, "%s failed; the state is saved. Retry, edit the inputs, or open the menu.", sf.Step)
	default:
		m.setNotice(noticeErr, "%s", m.env.Redactor.Error(msg.err))
	}
	r.refresh()
	return nil
}

// finishedNotice says what a run that ended without error leaves open: the
// steps not run yet, those for the user to do by hand, or nothing.
func (r *runScreen) finishedNotice() {
	m := r.sh
	manual := r.manual()
	switch {
	case len(r.rest) > 0:
		m.setNotice(noticeInfo, "Not run yet: %s. a runs the rest; enter shows the summary.", strings.Join(r.rest, ", "))
	case len(manual) > 0:
		m.setNotice(noticeInfo, "%s: yours to do by hand. Press enter for the summary.", strings.Join(manual, ", "))
	default:
		m.setNotice(noticeOK, "Every step is done. Press enter for the summary.")
	}
}

// restAfter lists the steps of the procedure after the first one of sel
// that sel leaves out and the saved state does not hold as done: after a
// re-run from the step menu, what still needs running.
func (m *session) restAfter(sel steps.Selection) []string {
	first := len(steps.All)
	for i, st := range steps.All {
		if sel.Has(st.ID) {
			first = i
			break
		}
	}
	var out []string
	for _, st := range steps.All[min(first+1, len(steps.All)):] {
		if sel.Has(st.ID) {
			continue
		}
		var rec *steps.Record
		if m.state != nil {
			rec = m.state.Steps[st.ID]
		}
		if rec == nil || !rec.Status.OK() {
			out = append(out, st.ID)
		}
	}
	return out
}

// runRest runs the steps the last run left open on this screen: their rows
// join the list, and what they need is pulled in.
func (r *runScreen) runRest() tea.Cmd {
	m := r.sh
	sel, err := steps.Select(r.rest, nil, m.vals)
	if err != nil {
		m.setNotice(noticeErr, "%s", err.Error())
		return nil
	}
	var all []steps.Step
	var rows []runRow
	for _, st := range steps.All {
		switch {
		case r.sel.Has(st.ID):
			rows = append(rows, *r.row(st.ID))
		case sel.Has(st.ID):
			rows = append(rows, runRow{step: st})
			r.plans[st.ID] = planLines(st, m.env)
		default:
			continue
		}
		all = append(all, st)
	}
	r.sel.Steps, r.rows, r.rest = all, rows, nil
	r.SetSize(r.w, r.h)
	m.clearNotice()
	return r.startRun(sel)
}

// manual lists the rows that ended as a step for the user to do by hand.
func (r *runScreen) manual() []string {
	var out []string
	for _, row := range r.rows {
		if !row.userSkipped && row.status == steps.StatusManual {
			out = append(out, row.step.ID)
		}
	}
	return out
}

// exitFor maps the last run's error to the process exit.
func exitFor(err error) error {
	var sf *steps.StepFailedError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, steps.ErrInterrupted):
		return exitError(130, "interrupted: the state is saved; run nexus-onboard again to resume")
	case errors.As(err, &sf):
		return exitError(1, "step "+sf.Step+" failed: the state is saved; run nexus-onboard again to open the step menu and re-run it")
	}
	return exitError(1, err.Error())
}

// skippable reports whether the failed step can be left out: no later
// selected step reads what it makes.
func (r *runScreen) skippable() bool {
	if r.failed == "" {
		return false
	}
	st, _ := steps.Lookup(r.failed)
	rest := r.after(r.failed)
	for _, o := range st.Makes {
		for _, id := range rest {
			later, _ := steps.Lookup(id)
			if slices.Contains(later.Uses, o.Name) {
				return false
			}
		}
	}
	return true
}

// after lists the selected steps that come after id.
func (r *runScreen) after(id string) []string {
	var out []string
	seen := false
	for _, st := range r.sel.Steps {
		if seen {
			out = append(out, st.ID)
		}
		if st.ID == id {
			seen = true
		}
	}
	return out
}

func (r *runScreen) runKey(msg tea.KeyPressMsg) tea.Cmd {
	m := r.sh
	k := m.keys
	switch {
	case key.Matches(msg, k.Up):
		r.cursor = (r.cursor + len(r.rows) - 1) % len(r.rows)
		r.follow = false
		r.refresh()
		return nil
	case key.Matches(msg, k.Down):
		r.cursor = (r.cursor + 1) % len(r.rows)
		r.follow = false
		r.refresh()
		return nil
	case key.Matches(msg, k.PageUp):
		r.pane.vp.HalfPageUp()
		return nil
	case key.Matches(msg, k.PageDown):
		r.pane.vp.HalfPageDown()
		return nil
	case key.Matches(msg, k.Left), key.Matches(msg, k.Right):
		r.pane.pan(key.Matches(msg, k.Right))
		return nil
	}
	if r.active {
		return nil
	}
	switch {
	case r.err == nil && key.Matches(msg, k.Summary):
		return m.goTo(goSummaryMsg{})
	case r.err == nil && len(r.rest) > 0 && key.Matches(msg, k.RunRest):
		return r.runRest()
	case key.Matches(msg, k.Menu):
		return m.goTo(goMenuMsg{})
	case r.err != nil && key.Matches(msg, k.Retry):
		from := r.failed
		if from == "" {
			return r.startRunIDs(r.sel.IDs())
		}
		return r.startRunIDs(append([]string{from}, r.after(from)...))
	case r.rotatable() && key.Matches(msg, k.Rotate):
		if !r.confirmRotate {
			r.confirmRotate = true
			m.setNotice(noticeErr, "Press R again to give client %s a new secret: Auth, the keyring and nex_gapis (register-gws) get it; the old secret stops working.", m.vals.Get(steps.KeyClientID))
			return nil
		}
		r.confirmRotate = false
		ids, ok := m.rotation(r.after(steps.RotationStart()))
		if !ok {
			return nil
		}
		return r.startRunIDs(ids)
	case r.err != nil && key.Matches(msg, k.Edit):
		return m.goTo(goFormMsg{notice: "Change what needs changing; preflight and the plan come next, and finished steps are not repeated."})
	case r.failed != "" && r.skippable() && key.Matches(msg, k.Skip):
		row := r.row(r.failed)
		row.userSkipped = true
		row.version++
		rest := r.after(r.failed)
		if len(rest) == 0 {
			r.err, r.failed = nil, ""
			m.lastRunErr = nil
			r.rest = m.restAfter(r.sel)
			r.finishedNotice()
			r.refresh()
			return nil
		}
		return r.startRunIDs(rest)
	}
	return nil
}

// startRunIDs runs these steps again (and what they need) on this screen.
func (r *runScreen) startRunIDs(ids []string) tea.Cmd {
	m := r.sh
	sel, err := steps.Select(ids, nil, m.vals)
	if err != nil {
		m.setNotice(noticeErr, "%s", err.Error())
		return nil
	}
	m.clearNotice()
	return r.startRun(sel)
}

func (r *runScreen) SetSize(w, h int) {
	r.place(w, h, 48, len(r.rows), 3)
	r.refresh()
}

// refresh points the preview at the highlighted row; its lines are wrapped
// again only when the row changed (a new version) or the width did. A
// running step's preview follows its newest exchange; a finished one opens
// at its outcome.
func (r *runScreen) refresh() {
	if r.cursor < 0 || r.cursor >= len(r.rows) {
		return
	}
	row := &r.rows[r.cursor]
	phase := "done"
	if row.status == steps.StatusRunning {
		phase = "running"
	}
	key := fmt.Sprintf("%s:%s#%d", row.step.ID, phase, row.version)
	r.pane.show(key, func(w int) []string { return wrapStyled(r.previewLines(row), w) }, phase == "running")
}

func (r *runScreen) previewLines(row *runRow) []styled {
	out := []styled{{text: row.step.ID + " · " + row.step.Title, style: &stBold}}
	switch {
	case row.userSkipped:
		out = append(out, styled{text: symSkip + " skipped by you; the state keeps its last outcome.", style: &stDim})
	case row.status == "":
		out = append(out, styled{text: "Not started yet. It will send:", style: &stDim})
		if p := r.plans[row.step.ID]; len(p) > 2 {
			out = append(out, p[2:]...)
		}
		return out
	}
	if row.rec != nil {
		out = append(out, recordLines(row.rec)...)
	}
	if row.status == steps.StatusRunning && len(row.lines) == 0 && len(row.pending) == 0 {
		// Exchanges show once answered; meanwhile, what the step sends.
		out = append(out, styled{text: "Waiting for the first answer. The step sends:", style: &stDim})
		if p := r.plans[row.step.ID]; len(p) > 2 {
			out = append(out, p[2:]...)
		}
		return out
	}
	if len(row.lines) > 0 {
		out = append(out, styled{})
	}
	out = append(out, row.lines...)
	if row.status == steps.StatusRunning && len(row.pending) > 0 {
		out = append(out, styled{})
		out = append(out, row.pending...)
	}
	return out
}

// actions are the keys that act on the finished (or failed) run.
func (r *runScreen) actions() []key.Binding {
	k := r.sh.keys
	switch {
	case r.active:
		return nil
	case r.err == nil && len(r.rest) > 0:
		return []key.Binding{k.RunRest, k.Summary, k.Menu}
	case r.err == nil:
		return []key.Binding{k.Summary, k.Menu}
	}
	out := []key.Binding{k.Retry, k.Edit}
	if r.rotatable() {
		out = append(out, k.Rotate)
	}
	if r.skippable() {
		out = append(out, k.Skip)
	}
	return append(out, k.Menu)
}

// rotatable reports whether the run stopped because the auth client exists
// with a secret this keyring does not hold (or Auth refuses): the fix is a
// new secret (run --rotate-secret), which register-gws then writes to
// nex_gapis.
func (r *runScreen) rotatable() bool {
	row := r.row(r.failed)
	return row != nil && row.rec != nil && row.rec.Fix == steps.FixRotateSecret
}

func (r *runScreen) Keys() helpKeys {
	k := r.sh.keys
	short := r.shortKeys()
	return helpKeys{short: short, full: [][]key.Binding{r.actions(), {k.Up, k.Down, k.PageUp, k.PageDown}, {k.Help, short[len(short)-1]}}}
}

func (r *runScreen) shortKeys() []key.Binding {
	k := r.sh.keys
	if r.active {
		stop := key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "stop"))
		return []key.Binding{k.Nav, k.Scroll, k.Help, stop}
	}
	if r.err == nil {
		out := []key.Binding{k.Summary, k.Nav, k.Scroll, k.Menu, k.Help, k.Quit}
		if len(r.rest) > 0 {
			out = append([]key.Binding{k.RunRest}, out...)
		}
		if r.pane.clipped() {
			out = slices.Insert(out, len(out)-3, k.Pan)
		}
		return out
	}
	out := []key.Binding{k.Retry, k.Edit}
	if r.pane.clipped() {
		out = append(out, k.Pan)
	}
	if r.rotatable() {
		out = append(out, k.Rotate)
	}
	if r.skippable() {
		out = append(out, k.Skip)
	}
	return append(out, k.Menu, k.Nav, k.Help, k.Quit)
}

func (r *runScreen) counts() (ok, failed, left int) {
	for _, row := range r.rows {
		switch {
		case row.userSkipped:
			ok++
		case row.status.OK():
			ok++
		case row.status == steps.StatusFailed:
			failed++
		default:
			left++
		}
	}
	return
}

func (r *runScreen) title() string {
	m := r.sh
	ok, failed, _ := r.counts()
	n := len(r.rows)
	switch {
	case r.active:
		return fmt.Sprintf("%s Running: %d of %s finished", m.spinFrame(), ok+failed, steps.Plural(n, "step"))
	case r.err == nil:
		return stOK.Render(clip(r.finishedTitle(), r.w))
	case r.failed != "":
		return stFail.Render(fmt.Sprintf("%s Stopped at %s", symFail, r.failed))
	}
	return stFail.Render(symFail + " Stopped")
}

// finishedTitle counts what a run that ended without error did, and never
// calls a step done while it is open: "✓ Finished: 8 of 9 done; 1 for you
// to do by hand (designer-env)".
func (r *runScreen) finishedTitle() string {
	done, skipped := 0, 0
	for _, row := range r.rows {
		switch {
		case row.userSkipped:
			skipped++
		case row.status.OK() && row.status != steps.StatusManual:
			done++
		}
	}
	t := fmt.Sprintf("%s Finished: %d of %d done", symOK, done, len(r.rows))
	if skipped > 0 {
		t += fmt.Sprintf("; %d skipped by you", skipped)
	}
	if manual := r.manual(); len(manual) > 0 {
		t += fmt.Sprintf("; %d for you to do by hand (%s)", len(manual), strings.Join(manual, ", "))
	}
	if len(r.rest) > 0 {
		t += fmt.Sprintf("; %d not run yet (a runs the rest)", len(r.rest))
	}
	return t
}

func (r *runScreen) View() string {
	m := r.sh
	var list strings.Builder
	idW := 18
	now := time.Now()
	for i, row := range r.rows {
		cur := "  "
		if i == r.cursor {
			cur = cursorMark + " "
		}
		st := row.status
		word := statusWord(st)
		if row.userSkipped {
			st, word = steps.StatusSkipped, "skipped by you"
		}
		dur := ""
		switch {
		case row.rec != nil && row.rec.Status != steps.StatusNotRun && row.rec.Status != steps.StatusSkipped:
			dur = fmtMS(row.rec.DurationMS)
		case st == steps.StatusRunning:
			dur = fmtDur(now.Sub(row.started))
		}
		line := cur + mark(st, m.spinFrame()) + " " + padRight(row.step.ID, idW) + padRight(word, 14) + padLeft(dur, 6)
		if !r.wide && r.w >= 76 {
			line += "  " + stDim.Render(clip(row.step.Title, r.w-ansiWidth(line)-2))
		}
		if i == r.cursor {
			line = stSelected.Render(line)
		}
		list.WriteString(line + "\n")
	}
	var b strings.Builder
	b.WriteString(r.title() + "\n\n")
	b.WriteString(r.render(list.String()))
	return b.String()
}
