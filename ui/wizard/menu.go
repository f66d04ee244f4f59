package wizard

import (
	"context"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/nexus-onboard/nexus-onboard/steps"
)

// Menu (support engineers): every step with its last status, time and
// error; enter re-runs one (its inputs checked first, what it needs pulled
// in as with `run --only`), t shows its last transcript, e opens the form.

type menuScreen struct {
	sh     *session
	cursor int
	listPane
	state *steps.State
	// confirmRotate: R was pressed once on a step whose fix is a new
	// client secret; the next R rotates.
	confirmRotate bool
	// The drift check (d, and on open when the state is older than a
	// day): diagnoses by step id, from the check of generation doctorGen.
	doctorGen  int
	checking   bool
	diagnoses  map[string]steps.Diagnosis
	doctorAt   time.Time
	doctorStop func()
}

// doctorMsg brings the diagnoses of a drift check.
type doctorMsg struct {
	gen int
	ds  []steps.Diagnosis
}

// doctorAge is how old a saved state may be before opening the menu checks
// for drift by itself.
const doctorAge = 24 * time.Hour

// runDoctor starts a drift check: read-only (GETs, SELECTs, token
// requests), off the UI goroutine.
func (mn *menuScreen) runDoctor() tea.Cmd {
	m := mn.sh
	if mn.checking || m.runActive {
		return nil
	}
	if err := m.ensureEnv(); err != nil {
		m.setNotice(noticeErr, "%s", err.Error())
		return nil
	}
	mn.doctorGen++
	mn.checking = true
	gen, env, st := mn.doctorGen, m.env, mn.state
	ctx, cancel := context.WithCancel(m.ctx)
	mn.doctorStop = cancel
	m.setNotice(noticeInfo, "Checking every step for drift (read-only)…")
	return func() tea.Msg {
		defer cancel()
		return doctorMsg{gen: gen, ds: steps.Doctor(ctx, env, st)}
	}
}

// drift is the highlighted step's diagnosis, if the last check found one.
func (mn *menuScreen) drift(id string) (steps.Diagnosis, bool) {
	d, ok := mn.diagnoses[id]
	return d, ok
}

// rotatable reports whether the highlighted step's last run failed in a
// way a new client secret fixes.
func (mn *menuScreen) rotatable() bool {
	id := steps.All[mn.cursor].ID
	if d, ok := mn.drift(id); ok && d.Status == steps.HealthDrift && d.Kind == steps.FixRotateSecret {
		return true
	}
	rec := mn.record(id)
	return rec != nil && rec.Status == steps.StatusFailed && rec.Fix == steps.FixRotateSecret
}

func newMenuScreen(m *session) *menuScreen {
	return &menuScreen{sh: m, listPane: listPane{pane: newPane()}, cursor: -1}
}

// autoDoctor checks for drift when the wizard opens on a state older than
// a day: what was onboarded then may have changed since.
func (mn *menuScreen) autoDoctor() tea.Cmd {
	if mn.state != nil && mn.diagnoses == nil && !mn.state.Updated.IsZero() && time.Since(mn.state.Updated) > doctorAge {
		return mn.runDoctor()
	}
	return nil
}

// open shows the latest saved state; the first time, on the first failed
// step.
func (mn *menuScreen) open() tea.Cmd {
	mn.state = mn.sh.state
	var cmd tea.Cmd
	defer func() { mn.pane.key = "" }()
	if mn.cursor < 0 {
		// Open on the step that needs attention: the first failed one.
		mn.cursor = 0
		for i, st := range steps.All {
			if r := mn.record(st.ID); r != nil && r.Status == steps.StatusFailed {
				mn.cursor = i
				break
			}
		}
	}
	return cmd
}

func (mn *menuScreen) Busy() bool    { return mn.checking }
func (mn *menuScreen) Crumb() string { return menuCrumb }

func (mn *menuScreen) Keys() helpKeys {
	k := mn.sh.keys
	sum := key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "summary"))
	short := []key.Binding{k.Rerun, k.Transcript, k.Edit, k.RunAll, k.Doctor, sum, k.Help, k.Quit}
	if mn.rotatable() {
		short = append([]key.Binding{k.Rotate}, short...)
	}
	return helpKeys{short: short, full: [][]key.Binding{{k.Rerun, k.RunAll, k.Transcript}, {k.Doctor, k.Edit, sum}, {k.Up, k.Down, k.PageUp, k.PageDown}, {k.Help, k.Quit}}}
}

func (mn *menuScreen) record(id string) *steps.Record {
	if mn.state == nil {
		return nil
	}
	return mn.state.Steps[id]
}

func (mn *menuScreen) SetSize(w, h int) {
	mn.place(w, h, 57, len(steps.All), 4)
	mn.refresh()
}

func (mn *menuScreen) refresh() {
	st := steps.All[mn.cursor]
	rec := mn.record(st.ID)
	version := fmt.Sprint(mn.doctorGen, mn.checking)
	if rec != nil {
		version += rec.Finished.String() + string(rec.Status)
	}
	d, diagnosed := mn.drift(st.ID)
	mn.pane.show(st.ID+"#"+version, func(w int) []string {
		out := []styled{{text: st.ID + " · " + st.Title, style: &stBold}, {text: st.Doc, style: &stDim}, {}}
		if diagnosed {
			out = append(out, diagnosisLines(d, mn.doctorAt)...)
		}
		if rec == nil {
			out = append(out, styled{text: "Never run for this contact center.", style: &stDim})
			return wrapStyled(out, w)
		}
		when := ""
		if !rec.Finished.IsZero() {
			when = " at " + rec.Finished.Local().Format(time.DateTime)
		}
		out = append(out, styled{text: fmt.Sprintf("Last run: %s%s, %s", statusWord(rec.Status), when, fmtMS(rec.DurationMS))})
		out = append(out, recordLines(rec)...)
		if n := len(rec.Transcript); n > 0 {
			out = append(out, styled{}, styled{text: "t shows its " + steps.Plural(n, "request") + " and answers.", style: &stDim})
		}
		return wrapStyled(out, w)
	}, false)
}

func (mn *menuScreen) Update(msg tea.Msg) tea.Cmd {
	m := mn.sh
	if dm, ok := msg.(doctorMsg); ok {
		if dm.gen != mn.doctorGen {
			return nil
		}
		mn.checking = false
		mn.doctorAt = time.Now()
		mn.diagnoses = map[string]steps.Diagnosis{}
		drifted := 0
		for _, d := range dm.ds {
			mn.diagnoses[d.ID] = d
			if d.Status == steps.HealthDrift {
				drifted++
			}
		}
		if h := steps.DoctorHealth(dm.ds); h == steps.HealthOK {
			m.setNotice(noticeOK, "No drift: every step's work is still in place (manual ones say what to look at).")
		} else if drifted > 0 {
			m.setNotice(noticeErr, "Drift in %s: enter re-runs the highlighted one; its fix is in the pane.", steps.Plural(drifted, "step"))
		} else {
			m.setNotice(noticeErr, "Some checks could not run: the pane says why.")
		}
		mn.refresh()
		return nil
	}
	km, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return nil
	}
	k := m.keys
	n := len(steps.All)
	if !key.Matches(km, k.Rotate) && mn.confirmRotate {
		mn.confirmRotate = false // any other key cancels the rotation
		m.clearNotice()
	}
	switch {
	case key.Matches(km, k.Up):
		mn.cursor = (mn.cursor + n - 1) % n
	case key.Matches(km, k.Down):
		mn.cursor = (mn.cursor + 1) % n
	case key.Matches(km, k.PageUp):
		mn.pane.vp.HalfPageUp()
	case key.Matches(km, k.PageDown):
		mn.pane.vp.HalfPageDown()
	case key.Matches(km, k.Left), key.Matches(km, k.Right):
		mn.pane.pan(key.Matches(km, k.Right))
		return nil
	case key.Matches(km, k.Rerun):
		m.only = []string{steps.All[mn.cursor].ID}
		m.fromMenu = true
		return m.goTo(goPreflightMsg{})
	case key.Matches(km, k.RunAll):
		m.only = nil
		m.fromMenu = true
		return m.goTo(goPreflightMsg{})
	case key.Matches(km, k.Rotate) && mn.rotatable():
		if !mn.confirmRotate {
			mn.confirmRotate = true
			m.setNotice(noticeErr, "Press R again to give client %s a new secret: Auth, the keyring and nex_gapis (register-gws) get it; the old secret stops working.", m.vals.Get(steps.KeyClientID))
			return nil
		}
		mn.confirmRotate = false
		m.clearNotice()
		m.only = nil
		return m.startRotation()
	case key.Matches(km, k.Doctor):
		cmd := mn.runDoctor()
		mn.refresh()
		return cmd
	case key.Matches(km, k.Transcript):
		return m.goTo(goTranscriptMsg{id: steps.All[mn.cursor].ID})
	case key.Matches(km, k.Edit):
		return m.goTo(goFormMsg{})
	case km.String() == "s":
		return m.goTo(goSummaryMsg{})
	}
	mn.refresh()
	return nil
}

func (mn *menuScreen) View() string {
	m := mn.sh
	var b strings.Builder
	cc := m.vals.Get(steps.KeyCCID)
	title := stBold.Render("Contact center " + cc)
	if mn.state != nil && !mn.state.Updated.IsZero() {
		title += stDim.Render(" · saved " + mn.state.Updated.Local().Format("2006-01-02 15:04"))
	}
	b.WriteString(title + "\n")
	var list strings.Builder
	// Columns: cursor and mark (5), step id (18: the longest id and two
	// spaces), status (14), when (17), then the detail one space further.
	head := "     " + padRight("STEP", 18) + padRight("LAST STATUS", 14) + "WHEN"
	if !mn.wide {
		head = padRight(head, 5+18+14+17+1) + "DETAIL"
	}
	list.WriteString(stDim.Render(head) + "\n")
	for i, st := range steps.All {
		rec := mn.record(st.ID)
		status, when, detail := steps.Status("-"), "", ""
		if rec != nil {
			status = rec.Status
			if !rec.Finished.IsZero() {
				when = rec.Finished.Local().Format("2006-01-02 15:04")
			}
			detail = rec.Message
			if rec.Error != "" {
				detail = rec.Error
			}
		}
		cur := "  "
		if i == mn.cursor {
			cur = cursorMark + " "
		}
		mk := mark(status, "")
		if rec == nil {
			mk = stDim.Render("  ")
		}
		if d, ok := mn.drift(st.ID); ok && d.Status == steps.HealthDrift {
			// The last drift check found its work changed or gone.
			status, mk, detail = "drift", mark(steps.StatusFailed, ""), d.Detail
		}
		line := cur + mk + " " + padRight(st.ID, 18) + padRight(string(status), 14) + padRight(when, 17)
		if !mn.wide {
			line += " " + stDim.Render(clip(detail, max(mn.w-ansiWidth(line)-1, 0)))
		}
		if i == mn.cursor {
			line = stSelected.Render(line)
		}
		list.WriteString(line + "\n")
	}
	b.WriteString(mn.render(list.String()))
	return b.String()
}

// --- transcript ---------------------------------------------------------------

type transcriptScreen struct {
	sh   *session
	id   string
	rec  *steps.Record
	pane pane
	w, h int
}

func newTranscriptScreen(m *session, id string) *transcriptScreen {
	t := &transcriptScreen{sh: m, id: id, pane: newPane()}
	if m.state != nil {
		t.rec = m.state.Steps[id]
	}
	return t
}

func (t *transcriptScreen) Busy() bool    { return false }
func (t *transcriptScreen) Crumb() string { return "Transcript" }

func (t *transcriptScreen) Keys() helpKeys {
	k := t.sh.keys
	return helpKeys{
		short: []key.Binding{k.Nav, k.Scroll, k.Back, k.Help, k.Quit},
		full:  [][]key.Binding{{k.Up, k.Down, k.PageUp, k.PageDown}, {k.Back, k.Help, k.Quit}},
	}
}

func (t *transcriptScreen) SetSize(w, h int) {
	t.w, t.h = w, h
	t.pane.setSize(w, h-2)
	t.pane.show(t.id+"#transcript", func(w int) []string {
		if t.rec == nil {
			return wrapStyled([]styled{{text: "This step has never run for this contact center.", style: &stDim}}, w)
		}
		lines := recordLines(t.rec)
		if len(t.rec.Transcript) == 0 {
			lines = append(lines, styled{}, styled{text: "It sent no request (nothing to show).", style: &stDim})
		}
		return wrapStyled(append(lines, transcriptLines(t.rec)...), w)
	}, false)
}

func (t *transcriptScreen) Update(msg tea.Msg) tea.Cmd {
	m := t.sh
	km, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return nil
	}
	switch {
	case key.Matches(km, m.keys.Up):
		t.pane.vp.ScrollUp(1)
	case key.Matches(km, m.keys.Down):
		t.pane.vp.ScrollDown(1)
	case key.Matches(km, m.keys.PageUp):
		t.pane.vp.PageUp()
	case key.Matches(km, m.keys.PageDown):
		t.pane.vp.PageDown()
	case key.Matches(km, m.keys.Left), key.Matches(km, m.keys.Right):
		t.pane.pan(key.Matches(km, m.keys.Right))
	case key.Matches(km, m.keys.Back):
		return m.goTo(goMenuMsg{})
	}
	return nil
}

func (t *transcriptScreen) View() string {
	title := "Last transcript of " + t.id
	if t.rec != nil {
		title += fmt.Sprintf(": %s, %s", statusWord(t.rec.Status), steps.Plural(len(t.rec.Transcript), "request"))
		if !t.rec.Finished.IsZero() {
			title += ", " + t.rec.Finished.Local().Format(time.DateTime)
		}
	}
	return stBold.Render(title) + "\n\n" + t.pane.view()
}

// diagnosisLines tells what the last drift check found for a step.
func diagnosisLines(d steps.Diagnosis, at time.Time) []styled {
	when := ""
	if !at.IsZero() {
		when = " (checked " + at.Local().Format(time.TimeOnly) + ")"
	}
	st := &stOK
	switch d.Status {
	case steps.HealthDrift, steps.HealthError:
		st = &stFail
	case steps.HealthManual, steps.HealthUnknown:
		st = &stWarn
	}
	out := []styled{{text: "Drift check: " + string(d.Status) + when, style: st}, {text: d.Detail}}
	if d.Fix != "" {
		out = append(out, styled{text: "Fix (enter re-runs this step; R gives a new secret where that is the fix):", style: &stDim}, styled{text: "  " + d.Fix, noWrap: true})
	}
	if d.SQL != "" {
		out = append(out, styled{text: "Check by hand with psql:", style: &stDim})
		for _, l := range strings.Split(strings.TrimRight(d.SQL, "\n"), "\n") {
			out = append(out, styled{text: "  " + l, noWrap: true})
		}
	}
	return append(out, styled{})
}
