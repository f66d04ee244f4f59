// Package batchview is the live table of `nexus-onboard batch` on a
// terminal: one row per tenant with its current step, status and elapsed
// time, drawn with Bubble Tea while the steps.Batch runs. It renders and
// routes keys only; the batch itself runs in steps.
package batchview

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/nexus-onboard/nexus-onboard/steps"
)

// Messages the batch sends to the table.
type (
	startMsg struct{ index int }
	stepMsg  struct {
		index int
		step  string
	}
	doneMsg    struct{ r steps.BatchResult }
	allDoneMsg struct{}
	tickMsg    struct{}
)

// row is one tenant's line.
type row struct {
	index      int
	cc, name   string
	step       string
	status     string // pending, running, ok, failed, interrupted
	started    time.Time
	elapsed    time.Duration
	failedStep string
}

// Model is the table.
type Model struct {
	rows     []row
	at       map[int]int
	cancel   func()
	stopping bool
	width    int
	height   int
	start    time.Time
	now      time.Time
}

// New is a table of the batch's tenants, all pending; cancel stops the
// batch (Ctrl+C).
func New(tenants []steps.BatchTenant, cancel func()) *Model {
	m := &Model{at: map[int]int{}, cancel: cancel, start: time.Now(), now: time.Now(), width: 100, height: 30}
	for i, t := range tenants {
		m.rows = append(m.rows, row{index: t.Index, cc: t.Values.Get(steps.KeyCCID), name: t.Values.Get(steps.KeyTenantName), status: "pending"})
		m.at[t.Index] = i
	}
	return m
}

func tick() tea.Cmd {
	return tea.Tick(200*time.Millisecond, func(time.Time) tea.Msg { return tickMsg{} })
}

// Init starts the clock.
func (m *Model) Init() tea.Cmd { return tick() }

// Update applies the batch's progress and the keys.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tickMsg:
		m.now = time.Now()
		return m, tick()
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
	case tea.KeyPressMsg:
		if s := msg.String(); s == "ctrl+c" || s == "q" {
			// The running tenants stop after saving their state; the
			// table stays until the batch has ended.
			m.stopping = true
			m.cancel()
		}
	case startMsg:
		if r := m.row(msg.index); r != nil {
			r.status, r.started = "running", time.Now()
		}
	case stepMsg:
		if r := m.row(msg.index); r != nil {
			r.step = msg.step
		}
	case doneMsg:
		if r := m.row(msg.r.Index); r != nil {
			r.status, r.elapsed = msg.r.Status(), msg.r.Elapsed
			r.failedStep, _ = msg.r.Failure()
			if r.status == steps.TenantOK {
				r.step = ""
			}
		}
	case allDoneMsg:
		m.now = time.Now()
		return m, tea.Quit
	}
	return m, nil
}

func (m *Model) row(index int) *row {
	if i, ok := m.at[index]; ok {
		return &m.rows[i]
	}
	return nil
}

var (
	styleOK     = lipgloss.NewStyle().Foreground(lipgloss.Green)
	styleFailed = lipgloss.NewStyle().Foreground(lipgloss.Red)
	styleRun    = lipgloss.NewStyle().Foreground(lipgloss.Yellow)
	styleDim    = lipgloss.NewStyle().Faint(true)
	styleHead   = lipgloss.NewStyle().Bold(true)
)

// mark is a status's symbol, styled.
func mark(status string) string {
	switch status {
	case steps.TenantOK:
		return styleOK.Render("✓")
	case steps.TenantFailed:
		return styleFailed.Render("✗")
	case steps.TenantInterrupted:
		return styleFailed.Render("■")
	case "running":
		return styleRun.Render("›")
	}
	return styleDim.Render("·")
}

// View draws the header and as many rows as fit: running and failed
// tenants first when not all fit.
func (m *Model) View() tea.View {
	counts := map[string]int{}
	for _, r := range m.rows {
		counts[r.status]++
	}
	var b strings.Builder
	head := fmt.Sprintf("nexus-onboard batch · %d tenants · %d ok · %d failed · %d running · %d pending · %s",
		len(m.rows), counts[steps.TenantOK], counts[steps.TenantFailed], counts["running"], counts["pending"], m.now.Sub(m.start).Round(100*time.Millisecond))
	if m.stopping {
		head += " · stopping: saving each tenant's state"
	}
	b.WriteString(styleHead.Render(clip(head, m.width)) + "\n")
	b.WriteString(styleDim.Render(clip(fmt.Sprintf("  %4s  %-36s  %-22s  %-11s  %-17s  %7s", "#", "cc_id", "tenant_name", "status", "step", "elapsed"), m.width)) + "\n")
	rows := m.rows
	room := max(m.height-3, 1)
	if len(rows) > room {
		// Show what needs eyes first: running, failed, then the rest.
		var pick []row
		for _, want := range []string{"running", steps.TenantFailed, steps.TenantInterrupted, "pending", steps.TenantOK} {
			for _, r := range rows {
				if r.status == want && len(pick) < room-1 {
					pick = append(pick, r)
				}
			}
		}
		rows = pick
	}
	for _, r := range rows {
		el := r.elapsed
		if r.status == "running" {
			el = m.now.Sub(r.started)
		}
		step := r.step
		if r.failedStep != "" {
			step = r.failedStep
		}
		elapsed := ""
		if r.status != "pending" {
			elapsed = el.Round(time.Millisecond).String()
		}
		line := fmt.Sprintf("%s %4d  %-36s  %-22s  %-11s  %-17s  %7s", mark(r.status), r.index, r.cc, clip(r.name, 22), r.status, step, elapsed)
		b.WriteString(line + "\n")
	}
	if len(rows) < len(m.rows) {
		b.WriteString(styleDim.Render(fmt.Sprintf("  … %d more (ok or pending)", len(m.rows)-len(rows))) + "\n")
	}
	b.WriteString(styleDim.Render("ctrl+c stop (each tenant's state is saved; run again to resume)"))
	return tea.NewView(b.String())
}

func clip(s string, n int) string {
	if r := []rune(s); n > 1 && len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// Run runs the batch under the live table on in/out and returns its
// results once every tenant has ended. Ctrl+C (or ctx) stops the batch.
func Run(ctx context.Context, b *steps.Batch, in io.Reader, out io.Writer, opts ...tea.ProgramOption) []steps.BatchResult {
	bctx, cancel := context.WithCancel(ctx)
	defer cancel()
	m := New(b.Tenants, cancel)
	prog := tea.NewProgram(m, append([]tea.ProgramOption{tea.WithInput(in), tea.WithOutput(out), tea.WithoutSignalHandler()}, opts...)...)
	onStart, onEvent, onDone := b.OnStart, b.OnEvent, b.OnDone
	b.OnStart = func(i int) {
		prog.Send(startMsg{i})
		if onStart != nil {
			onStart(i)
		}
	}
	b.OnEvent = func(i int, ev steps.Event) {
		if ev.Kind == steps.EventStart {
			prog.Send(stepMsg{i, ev.Step})
		}
		if onEvent != nil {
			onEvent(i, ev)
		}
	}
	b.OnDone = func(r steps.BatchResult) {
		prog.Send(doneMsg{r})
		if onDone != nil {
			onDone(r)
		}
	}
	results := make(chan []steps.BatchResult, 1)
	go func() {
		rs := b.Run(bctx)
		results <- rs
		prog.Send(allDoneMsg{})
	}()
	if _, err := prog.Run(); err != nil {
		// The table failed (no terminal after all): the batch goes on
		// without it.
		fmt.Fprintln(out, "batch: live table unavailable:", err)
	}
	return <-results
}
