package wizard

import (
	"fmt"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// Colours are the 16 ANSI ones, so the terminal's own theme decides how they
// look; the renderer drops them under NO_COLOR and TERM=dumb. Nothing relies
// on colour alone: every state has a symbol and the cursor is a "›".
var (
	stTitle    = lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("6"))
	stBadge    = lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("3"))
	stCrumb    = lipgloss.NewStyle().Foreground(lipgloss.Color("8"))
	stCrumbOn  = lipgloss.NewStyle().Bold(true).Underline(true)
	stDim      = lipgloss.NewStyle().Foreground(lipgloss.Color("8"))
	stBold     = lipgloss.NewStyle().Bold(true)
	stOK       = lipgloss.NewStyle().Foreground(lipgloss.Color("2"))
	stFail     = lipgloss.NewStyle().Foreground(lipgloss.Color("1"))
	stWarn     = lipgloss.NewStyle().Foreground(lipgloss.Color("3"))
	stRun      = lipgloss.NewStyle().Foreground(lipgloss.Color("6"))
	stSelected = lipgloss.NewStyle().Bold(true)
	stSection  = lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("6"))
	stKey      = lipgloss.NewStyle().Bold(true)
)

// fmtDur renders a duration compactly, in at most 6 cells.
func fmtDur(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return "<1ms"
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
}

// fmtMS renders a recorded duration in milliseconds.
func fmtMS(ms int64) string { return fmtDur(time.Duration(ms) * time.Millisecond) }

// padRight pads s with spaces to w cells, or cuts it with an ellipsis.
func padRight(s string, w int) string {
	if w <= 0 {
		return ""
	}
	sw := ansi.StringWidth(s)
	if sw > w {
		return ansi.Truncate(s, w, "…")
	}
	return s + strings.Repeat(" ", w-sw)
}

// padLeft right-aligns s in w cells.
func padLeft(s string, w int) string {
	sw := ansi.StringWidth(s)
	if sw >= w {
		return ansi.Truncate(s, w, "")
	}
	return strings.Repeat(" ", w-sw) + s
}

// clip cuts s to one line of at most w cells.
func clip(s string, w int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if ansi.StringWidth(s) <= w {
		return s
	}
	return ansi.Truncate(s, w, "…")
}

// fit makes s exactly h lines, none wider than w: the guarantee that
// nothing overflows whatever a screen renders.
func fit(s string, w, h int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if s == "" {
		lines = nil
	}
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		if ansi.StringWidth(l) > w {
			lines[i] = ansi.Truncate(l, w, "…")
		}
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

// wrap breaks text into lines of at most w cells, at spaces where possible
// and hard otherwise (URLs and JSON strings have no spaces). Continuation
// lines keep the line's indentation, so wrapped JSON and lists stay legible.
func wrap(s string, w int) []string {
	if w < 8 {
		w = 8
	}
	var out []string
	for _, line := range strings.Split(s, "\n") {
		if ansi.StringWidth(line) <= w {
			out = append(out, line)
			continue
		}
		body := strings.TrimLeft(line, " ")
		indent := len(line) - len(body)
		if indent > w/2 {
			indent = 0
			body = line
		}
		pad := strings.Repeat(" ", indent)
		for i, piece := range strings.Split(ansi.Wrap(body, w-indent, " /,&"), "\n") {
			if i > 0 {
				piece = strings.TrimLeft(piece, " ")
			}
			out = append(out, pad+piece)
		}
	}
	return out
}

// sideBySide joins two blocks column-wise, the left one padded to lw cells.
func sideBySide(left, right string, lw, h int, gap string) string {
	ll := strings.Split(fit(left, lw, h), "\n")
	rl := strings.Split(fit(right, 1<<20, h), "\n")
	var b strings.Builder
	for i := 0; i < h; i++ {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(padRight(ll[i], lw))
		b.WriteString(gap)
		b.WriteString(rl[i])
	}
	return b.String()
}

// ansiWidth is the width of s in cells, escape sequences not counted.
func ansiWidth(s string) int { return ansi.StringWidth(s) }

// crumbOn marks where the user is in a breadcrumb. The brackets carry the
// mark where styles are dropped (TERM=dumb) or unseen (screen readers).
func crumbOn(name string) string { return stCrumbOn.Render("[" + name + "]") }
