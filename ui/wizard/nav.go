package wizard

import (
	"context"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/nexus-onboard/nexus-onboard/steps"
)

// navigate opens the screen a navigation message names. A new screen is a
// new file and one case here.
func (m *model) navigate(msg navMsg) tea.Cmd {
	switch msg := msg.(type) {
	case goFormMsg:
		return m.enterForm(msg.page, msg.focus, msg.notice)
	case goPreflightMsg:
		return m.toPreflight()
	case goPlanMsg:
		return m.toPlan()
	case goRunMsg:
		return m.toRun(msg.sel)
	case goSummaryMsg:
		return m.toSummary()
	case goMenuMsg:
		return m.toMenu()
	case goTranscriptMsg:
		return m.toTranscript(msg.id)
	case goBackMsg:
		return m.back()
	case quitMsg:
		return m.quit()
	}
	return nil
}

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
		return tea.Batch(m.toMenu(), m.menu.autoDoctor())
	}
	return m.enterForm(0, "", "")
}

// enterForm opens the form from another screen: a fresh form over the
// current values (discoveries and the advanced choice kept), at a page and
// field, with a message saying why.
func (m *model) enterForm(page int, focus, notice string) tea.Cmd {
	m.fromMenu = false // esc from what follows comes back here
	m.fullHelp = false
	old := m.form
	f := newFormScreen(m.vals, m.requiredFor, m.accessible)
	f.sh = m.session
	if old != nil {
		f.disc = old.disc
		f.advanced = old.advanced
	}
	f.notice = notice
	if old == nil && m.params.Sandbox != nil {
		f.intro = "Sandbox: every value is pre-filled. Press enter through the pages; nothing changes before you confirm the plan."
		if n := m.params.KeyringNote; n != "" {
			f.intro += " Note: " + n + "."
		}
		if sb := m.params.Sandbox; sb.DBURL == "" {
			f.intro += " No PostgreSQL here (" + sb.DBNote + "): register-gws will show its SQL as a manual step; install PostgreSQL (apt-get install postgresql) to see it run."
		}
	}
	m.form = f
	m.show(f)
	if page < 0 || page >= len(f.pages) {
		page = 0
	}
	if f.pages[page].title == advancedPage {
		f.advanced = true
	}
	return f.open(m.ctx, page, focus)
}

// enterFormAt opens the form on the field of an input, with a message.
func (m *model) enterFormAt(key, notice string) tea.Cmd {
	return m.enterForm(formPagesIndex(key), key, notice)
}

// back is where Esc from preflight and the plan leads: the menu for a
// re-run chosen there, else the last page of the form.
func (m *model) back() tea.Cmd {
	if m.fromMenu && m.state != nil && len(m.state.Steps) > 0 {
		return m.toMenu()
	}
	page := 0
	if m.form != nil {
		page = m.form.lastPage()
	}
	return m.enterForm(page, "", "")
}

// showKept shows a screen kept from before, when a transition fails before
// its own screen exists.
func (m *model) showKept(s screen, ok bool) {
	if ok {
		m.show(s)
	}
}

// toPreflight validates the inputs, builds the environment and starts the
// checks of steps.PreflightChecks (the same list `run` uses) side by side.
func (m *model) toPreflight() tea.Cmd {
	m.fullHelp = false
	m.clearNotice()
	sel, err := m.selection()
	if err != nil {
		m.setNotice(noticeErr, "%s", err.Error())
		m.showKept(m.pre, m.pre != nil)
		return nil
	}
	if ps := steps.Validate(m.vals, sel.Required(m.vals)); len(ps) > 0 {
		return m.enterFormAt(ps[0].Key, problemsText(ps))
	}
	if m.pre != nil && m.pre.cancel != nil {
		m.pre.cancel()
	}
	p := &preflightScreen{sh: m.session, gen: m.nextGen()}
	m.pre = p
	m.show(p)
	if err := m.rebuildEnv(); err != nil {
		p.rows = []checkRow{{name: "TLS settings usable", key: steps.KeyCAFile, done: true, err: err.Error()}}
		return nil
	}
	checks := steps.PreflightChecks(m.env, sel)
	ctx, cancel := context.WithTimeout(m.ctx, time.Minute)
	p.cancel = cancel
	p.results = make(chan steps.CheckResult, len(checks))
	for _, c := range checks {
		p.rows = append(p.rows, checkRow{name: c.Name, key: c.Key})
	}
	env, results := m.env, p.results
	go steps.RunChecks(ctx, env, checks, func(r steps.CheckResult) { results <- r })
	return p.next()
}

// toPlan shows the plan of the selection and checks what is already done.
func (m *model) toPlan() tea.Cmd {
	m.fullHelp = false
	sel, err := m.selection()
	if err == nil {
		err = m.ensureEnv()
	}
	if err != nil {
		m.setNotice(noticeErr, "%s", err.Error())
		m.showKept(m.plan, m.plan != nil)
		return nil
	}
	p := m.newPlan(sel)
	env := m.env
	ctx, cancel := context.WithTimeout(m.ctx, time.Minute)
	p.cancel = cancel
	gen := p.gen
	return func() tea.Msg {
		defer cancel()
		return planChecksMsg{gen: gen, st: steps.CheckAll(ctx, env, sel)}
	}
}

// newPlan shows the plan of sel; the already-done checks are still to come.
func (m *model) newPlan(sel steps.Selection) *planScreen {
	p := newPlanScreen(m.session, sel)
	m.plan = p
	m.show(p)
	return p
}

// toRun opens the run screen and starts the selection.
func (m *model) toRun(sel steps.Selection) tea.Cmd {
	m.fullHelp = false
	m.clearNotice()
	if err := m.ensureEnv(); err != nil {
		m.setNotice(noticeErr, "%s", err.Error())
		m.showKept(m.run, m.run != nil)
		return nil
	}
	m.newRun(sel)
	return m.run.startRun(sel)
}

// newRun shows the run screen for sel, every step pending.
func (m *model) newRun(sel steps.Selection) *runScreen {
	var texts map[string][]styled
	if m.plan != nil {
		texts = m.plan.texts
	}
	r := newRunScreen(m.session, sel, texts)
	m.run = r
	m.show(r)
	return r
}

// toSummary shows each step's outcome and the DesignerEnv values.
func (m *model) toSummary() tea.Cmd {
	m.fullHelp = false
	m.clearNotice()
	s := newSummaryScreen(m.session)
	if m.sum != nil && m.sum.cancel != nil {
		m.sum.cancel()
	}
	m.sum = s
	m.show(s)
	return nil
}

// toMenu shows the step menu, where it was left.
func (m *model) toMenu() tea.Cmd {
	m.fullHelp = false
	m.clearNotice()
	if m.menu == nil {
		m.menu = newMenuScreen(m.session)
	}
	cmd := m.menu.open()
	m.show(m.menu)
	return cmd
}

// toTranscript shows a step's last transcript.
func (m *model) toTranscript(id string) tea.Cmd {
	m.show(newTranscriptScreen(m.session, id))
	return nil
}
