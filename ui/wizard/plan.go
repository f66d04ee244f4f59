package wizard

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/nexus-onboard/nexus-onboard/steps"
)

// Plan: every step with what will happen to it, and for the highlighted one
// the exact requests it would send (secrets masked). Enter runs.

type planRow struct {
	step     steps.Step
	selected bool
	pulled   bool
	status   steps.Status // already-done or skipped, from the checks
	skipWhy  string
}

type planScreen struct {
	sh       *session
	gen      int
	sel      steps.Selection
	rows     []planRow
	cursor   int
	checking bool
	cancel   context.CancelFunc
	texts    map[string][]styled
	listPane
}

type planChecksMsg struct {
	gen int
	st  map[string]steps.Status
}

// Layout thresholds: side by side from this width on.
const wideWidth = 110

// newPlanScreen lays out the plan of sel; the already-done checks are still to come.
func newPlanScreen(m *session, sel steps.Selection) *planScreen {
	p := &planScreen{sh: m, gen: m.nextGen(), sel: sel, checking: true, texts: map[string][]styled{}, listPane: listPane{pane: newPane()}}
	for _, st := range steps.All {
		r := planRow{step: st, selected: sel.Has(st.ID), pulled: slices.Contains(sel.Pulled, st.ID)}
		if st.Skip != nil {
			r.skipWhy = st.Skip(m.env.In)
		}
		p.rows = append(p.rows, r)
		p.texts[st.ID] = planLines(st, m.env)
	}
	p.cursor = max(slices.IndexFunc(p.rows, func(r planRow) bool { return r.selected }), 0)
	return p
}

// planLines is the plan of one step: what it does and what it would send.
func planLines(st steps.Step, env *steps.Env) []styled {
	out := []styled{{text: st.ID + " · " + st.Title, style: &stBold}, {text: st.Doc, style: &stDim}}
	for _, pl := range steps.PlanOf(st, env) {
		out = append(out, styled{})
		for _, l := range strings.Split(strings.TrimRight(pl.String(), "\n"), "\n") {
			s := styled{text: l}
			if strings.HasPrefix(l, "# ") {
				s.style = &stDim
			}
			out = append(out, s)
		}
	}
	return out
}

func (p *planScreen) Busy() bool    { return p.checking }
func (p *planScreen) Crumb() string { return "Plan" }

func (p *planScreen) Keys() helpKeys {
	k := p.sh.keys
	return helpKeys{
		short: []key.Binding{k.Start, k.Nav, k.Scroll, k.Back, k.Help, k.Quit},
		full:  [][]key.Binding{{k.Start, k.Back}, {k.Up, k.Down, k.PageUp, k.PageDown}, {k.Help, k.Quit}},
	}
}

func (p *planScreen) SetSize(w, h int) {
	p.place(w, h, 46, len(p.rows), 4)
	p.refresh()
}

// refresh points the pane at the highlighted step's plan.
func (p *planScreen) refresh() {
	if p.cursor < 0 || p.cursor >= len(p.rows) {
		return
	}
	r := p.rows[p.cursor]
	lines := p.texts[r.step.ID]
	var head []styled
	switch {
	case !r.selected:
		head = []styled{{text: "Not selected for this run.", style: &stDim}, {}}
	case r.skipWhy != "":
		head = []styled{{text: "Skipped: " + r.skipWhy, style: &stDim}, {}}
	case r.status == steps.StatusAlreadyDone:
		head = []styled{{text: "Already done: the run checks it and moves on.", style: &stOK}, {}}
	case r.pulled:
		head = []styled{{text: "Pulled in: a selected step needs what it makes.", style: &stDim}, {}}
	}
	key := fmt.Sprintf("%s#%s", r.step.ID, r.status)
	p.pane.show(key, func(w int) []string { return wrapStyled(append(head, lines...), w) }, false)
}

func (p *planScreen) Update(msg tea.Msg) tea.Cmd {
	m := p.sh
	switch msg := msg.(type) {
	case planChecksMsg:
		if msg.gen != p.gen {
			return nil
		}
		p.checking = false
		for i := range p.rows {
			p.rows[i].status = msg.st[p.rows[i].step.ID]
		}
		p.refresh()
	case tea.KeyPressMsg:
		switch {
		case key.Matches(msg, m.keys.Up):
			p.cursor = (p.cursor + len(p.rows) - 1) % len(p.rows)
			p.refresh()
		case key.Matches(msg, m.keys.Down):
			p.cursor = (p.cursor + 1) % len(p.rows)
			p.refresh()
		case key.Matches(msg, m.keys.PageUp):
			p.pane.vp.HalfPageUp()
		case key.Matches(msg, m.keys.PageDown):
			p.pane.vp.HalfPageDown()
		case key.Matches(msg, m.keys.Back):
			p.cancel()
			return m.goTo(goBackMsg{})
		case key.Matches(msg, m.keys.Start):
			p.cancel()
			return m.goTo(goRunMsg{sel: p.sel})
		}
	}
	return nil
}

func (p *planScreen) counts() (run, done, skipped int) {
	for _, r := range p.rows {
		switch {
		case !r.selected:
		case r.skipWhy != "":
			skipped++
		case r.status == steps.StatusAlreadyDone:
			done++
		default:
			run++
		}
	}
	return
}

func (p *planScreen) View() string {
	m := p.sh
	var title string
	if p.checking {
		title = m.spinFrame() + " Checking what is already done…"
	} else {
		run, done, skipped := p.counts()
		title = fmt.Sprintf("Plan: %s will run, %d already done, %d skipped.", steps.Plural(run, "step"), done, skipped)
		if len(m.only) > 0 {
			title = fmt.Sprintf("Re-run %s: %s will run, %d already done.", strings.Join(m.only, ", "), steps.Plural(run, "step"), done)
		}
		if len(p.sel.Pulled) > 0 && len(p.sel.Steps) < len(steps.All) {
			title += " Pulled in: " + strings.Join(p.sel.Pulled, ", ") + "."
		}
	}
	var list strings.Builder
	idW := 18
	for i, r := range p.rows {
		cur := "  "
		if i == p.cursor {
			cur = cursorMark + " "
		}
		var mk, word string
		switch {
		case !r.selected:
			mk, word = stDim.Render("· "), "not selected"
		case r.skipWhy != "":
			mk, word = mark(steps.StatusSkipped, ""), "skipped"
		case p.checking && r.step.HasCheck():
			mk, word = mark(steps.StatusRunning, m.spinFrame()), "checking"
		case r.status == steps.StatusAlreadyDone:
			mk, word = mark(steps.StatusDone, ""), string(steps.StatusAlreadyDone)
		case r.pulled:
			mk, word = mark("", ""), "will run (needed)"
		default:
			mk, word = mark("", ""), "will run"
		}
		line := cur + mk + " " + padRight(r.step.ID, idW) + word
		if !p.wide && p.w >= 76 {
			line = cur + mk + " " + padRight(r.step.ID, idW) + padRight(word, 18) + stDim.Render(clip(r.step.Title, p.w-idW-24))
		}
		if i == p.cursor {
			line = stSelected.Render(line)
		}
		list.WriteString(line + "\n")
	}
	var b strings.Builder
	b.WriteString(stBold.Render(title) + "\n\n")
	b.WriteString(p.render(list.String()))
	return b.String()
}
