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

// Preflight: the checks of steps.PreflightChecks side by side, each with its
// own spinner. Nothing is changed; a failure names the input to fix.

type checkRow struct {
	name, key string
	done      bool
	note, err string
	dur       time.Duration
}

type preflightScreen struct {
	gen    int
	rows   []checkRow
	cancel context.CancelFunc
	cursor int // among the failed rows
}

type checkDoneMsg struct {
	gen, idx  int
	note, err string
	key       string // what fixes the failure (steps.FixKey)
	dur       time.Duration
}

func (p *preflightScreen) pending() int {
	n := 0
	for _, r := range p.rows {
		if !r.done {
			n++
		}
	}
	return n
}

func (p *preflightScreen) failed() []int {
	var out []int
	for i, r := range p.rows {
		if r.done && r.err != "" {
			out = append(out, i)
		}
	}
	return out
}

// secretsCheck is the part of Selection.Preflight the checks list lacks: the
// keyring secrets the selected steps read must be there (a re-run of
// tenant after the keyring lost the client secret must say so now).
func secretsCheck(env *steps.Env, sel steps.Selection) steps.Check {
	return steps.Check{Name: "Stored secrets the steps need", Key: "keyring", Run: func(ctx context.Context) (string, error) {
		if ps := sel.Preflight(ctx, env); len(ps) > 0 {
			return "", ps
		}
		return "present, or made by an earlier step of this run", nil
	}}
}

// toPreflight validates the inputs, builds the environment and starts every
// check at once.
func (m *model) toPreflight() tea.Cmd {
	m.screen = scrPreflight
	m.fullHelp = false
	m.clearNotice()
	sel, err := m.selection()
	if err != nil {
		m.setNotice(noticeErr, "%s", err.Error())
		return nil
	}
	if ps := steps.Validate(m.vals, sel.Required(m.vals)); len(ps) > 0 {
		return m.enterFormAt(ps[0].Key, problemsText(ps))
	}
	if m.pre != nil && m.pre.cancel != nil {
		m.pre.cancel()
	}
	p := &preflightScreen{gen: m.nextGen()}
	m.pre = p
	if err := m.rebuildEnv(); err != nil {
		p.rows = []checkRow{{name: "TLS settings usable", key: steps.KeyCAFile, done: true, err: err.Error()}}
		return nil
	}
	checks := append(steps.PreflightChecks(m.env, sel), secretsCheck(m.env, sel))
	ctx, cancel := context.WithTimeout(m.ctx, time.Minute)
	p.cancel = cancel
	red := m.env.Redactor
	var cmds []tea.Cmd
	for i, c := range checks {
		p.rows = append(p.rows, checkRow{name: c.Name, key: c.Key})
		gen, run := p.gen, c.Run
		cmds = append(cmds, func() tea.Msg {
			t0 := time.Now()
			note, err := run(ctx)
			msg := checkDoneMsg{gen: gen, idx: i, note: red.String(note), dur: time.Since(t0)}
			if err != nil {
				msg.err, msg.key = red.Error(err), steps.FixKey(err, c.Key)
			}
			return msg
		})
	}
	return tea.Batch(cmds...)
}

func (m *model) updatePreflight(msg tea.Msg) tea.Cmd {
	p := m.pre
	switch msg := msg.(type) {
	case checkDoneMsg:
		if msg.gen != p.gen || msg.idx >= len(p.rows) {
			return nil
		}
		r := &p.rows[msg.idx]
		r.done, r.note, r.err, r.dur = true, msg.note, msg.err, msg.dur
		if msg.key != "" {
			r.key = msg.key
		}
		if p.pending() == 0 {
			p.cancel()
			if f := p.failed(); len(f) > 0 {
				m.setNotice(noticeErr, "%d check(s) failed: nothing was changed.", len(f))
			} else {
				m.setNotice(noticeOK, "All checks passed. Press enter to review the plan.")
			}
		}
	case tea.KeyPressMsg:
		failed := p.failed()
		switch {
		case key.Matches(msg, m.keys.Back):
			p.cancel()
			m.clearNotice()
			return m.back()
		case key.Matches(msg, m.keys.Recheck) && p.pending() == 0:
			return m.toPreflight()
		case key.Matches(msg, m.keys.Up) && len(failed) > 0:
			p.cursor = (p.cursor + len(failed) - 1) % len(failed)
		case key.Matches(msg, m.keys.Down) && len(failed) > 0:
			p.cursor = (p.cursor + 1) % len(failed)
		case key.Matches(msg, m.keys.Enter) && p.pending() == 0:
			if len(failed) == 0 {
				m.clearNotice()
				return m.toPlan()
			}
			r := p.rows[failed[min(p.cursor, len(failed)-1)]]
			if _, isInput := steps.LookupInput(r.key); !isInput {
				m.setNotice(noticeErr, "%s: fix it outside the wizard, then press r to check again.", r.name)
				return nil
			}
			m.clearNotice()
			return m.enterFormAt(r.key, r.name+": "+r.err)
		}
	}
	return nil
}

// problemsText lists input problems on one line each.
func problemsText(ps steps.Problems) string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// back is where Esc from preflight and the plan leads: the menu for a
// re-run chosen there, else the last page of the form.
func (m *model) back() tea.Cmd {
	if m.only != nil && m.state != nil && len(m.state.Steps) > 0 {
		return m.toMenu()
	}
	page := 0
	if m.form != nil {
		page = m.form.lastPage()
	}
	return m.enterForm(page, "", "")
}

func (p *preflightScreen) keys(m *model) []key.Binding {
	k := m.keys
	if p.pending() > 0 {
		return []key.Binding{k.Back, k.Help, k.Quit}
	}
	if len(p.failed()) > 0 {
		return []key.Binding{k.Fix, k.Nav, k.Recheck, k.Back, k.Help, k.Quit}
	}
	cont := key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "review the plan"))
	return []key.Binding{cont, k.Recheck, k.Back, k.Help, k.Quit}
}

func (p *preflightScreen) view(m *model) string {
	w, _ := m.bodySize()
	var b strings.Builder
	b.WriteString(stBold.Render("Preflight checks") + stDim.Render(" — read-only: nothing is changed before you confirm the plan.") + "\n\n")
	failed := p.failed()
	sel := -1
	if len(failed) > 0 {
		sel = failed[min(p.cursor, len(failed)-1)]
	}
	nameW := 34
	for i, r := range p.rows {
		cur := "  "
		if i == sel {
			cur = cursorMark + " "
		}
		st := steps.StatusRunning
		switch {
		case r.done && r.err != "":
			st = steps.StatusFailed
		case r.done:
			st = steps.StatusDone
		}
		line := cur + mark(st, m.spinFrame()) + " " + padRight(r.name, nameW)
		if r.done {
			note := r.note
			if r.err != "" {
				note = "failed"
				if _, ok := steps.LookupInput(r.key); ok {
					note += ": check " + r.key
				}
			}
			room := w - nameW - 14
			line += " " + padRight(clip(note, room), room) + " " + padLeft(fmtDur(r.dur), 6)
		}
		if i == sel {
			line = stSelected.Render(line)
		}
		b.WriteString(line + "\n")
		switch {
		case r.err != "" && i == sel:
			for _, l := range wrap(r.err, w-8) {
				b.WriteString("       " + stFail.Render(l) + "\n")
			}
		case r.err != "":
			// Only the highlighted failure is told in full: the list must fit.
			b.WriteString("       " + stDim.Render(clip(r.err, w-8)) + "\n")
		}
	}
	if p.pending() == 0 && len(failed) > 0 {
		r := p.rows[sel]
		b.WriteString("\n")
		if _, ok := steps.LookupInput(r.key); ok {
			b.WriteString(fmt.Sprintf("enter opens %s in the form; r checks again.", stBold.Render(r.key)))
		} else {
			b.WriteString("Fix it outside the wizard, then press r to check again.")
		}
	}
	return b.String()
}

// spinFrame is the current spinner frame; still in accessible mode.
func (m *model) spinFrame() string {
	if m.accessible {
		return "…"
	}
	return m.spin.View()
}
